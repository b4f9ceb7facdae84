//! What every Earshot stage needs and none should write again:
//!
//! - [`backoff`]: one retry policy (exponential, one jitter, one cap) for HTTP polls,
//!   webhook posts, ClickHouse writes and "wait until the stack is up".
//! - [`produce`]: produce to Kafka and wait for the broker's acknowledgement, one
//!   record or a whole page at a time.
//! - [`events`]: the [`InternalEvent`] trait every metric and log line goes through
//!   (after Vector's `internal_events`), with a [`events::EventRecorder`] for tests,
//!   and (feature `testing`) `testing::capture_metrics` to read back their metrics.
//! - [`hash`]: hashes that are the same in every process and every build (keys shared
//!   through Kafka, job slots), which `std`'s `DefaultHasher` does not promise.

pub mod backoff;
pub mod events;
pub mod hash;
pub mod produce;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use backoff::{Backoff, Retrying, retry_until_ok};
pub use events::{InternalEvent, emit};
pub use hash::{fnv1a, sha256_prefix_hex};
pub use produce::{produce_all_and_ack, produce_and_ack, produce_each_and_ack};
