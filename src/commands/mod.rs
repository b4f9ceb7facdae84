pub mod detect_series;
pub mod migrate;
pub mod process;
pub mod retention;
pub mod summary;
