//! `earshot serve`: a versioned JSON API over Earshot's ClickHouse database, and the web
//! dashboard's static files. Reads go through [`ListeningData`], so handlers are tested
//! against memory and [`ClickHouseData`] against the real stack.

mod api;
mod auth;
mod clickhouse;
mod config;
mod csv_out;
pub mod data;
mod error;
pub mod openapi;
pub mod params;
pub mod report;

use std::future::Future;

pub use api::{AppState, Kpi, kpi_row, router, system_now};
pub use auth::Access;
pub use clickhouse::ClickHouseData;
pub use config::{ConfigError, MIN_TOKEN_LEN, ServeConfig};
pub use data::ListeningData;
pub use error::ApiError;

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in
/// flight finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests;
