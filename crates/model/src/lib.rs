//! The vocabulary every Earshot stage shares: what a collected mention looks like on
//! the wire, how brands are described, and the Kafka topics that connect the stages.
//!
//! This crate does no I/O, so collectors, the processor and tests agree on one shape.

mod brand;
mod mention;
pub mod topics;

pub use brand::{Brand, CohortBoundaries};
pub use mention::{
    Author, DecodeError, Engagement, MAX_PLAUSIBLE_FOLLOWERS, MAX_RAW_MENTION_BYTES, MentionId,
    Origin, Platform, RawMention, SCHEMA_VERSION,
};
