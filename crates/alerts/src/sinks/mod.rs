//! Where alerts go besides the `alerts` table: the Kafka topic and webhooks.

mod kafka;
mod webhook;

pub use kafka::KafkaSink;
pub use webhook::WebhookSink;
