//! Every metric and log line the Kafka crate emits, as typed events
//! ([`earshot_runtime::InternalEvent`]): one place defines each metric name, label and
//! message. Credentials never appear in an event.

use earshot_runtime::InternalEvent;
use metrics::counter;

/// A topic Earshot needs did not exist and was created (one that existed is silent).
#[derive(Debug)]
pub struct TopicCreated<'a> {
    /// The full name, prefix included.
    pub topic: &'a str,
}

impl InternalEvent for TopicCreated<'_> {
    fn handle(self) {
        tracing::info!(topic = %self.topic, "created topic");
        counter!("earshot_kafka_topics_created_total", "topic" => self.topic.to_owned())
            .increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_runtime::events::EventRecorder;
    use earshot_runtime::testing::capture_metrics;

    #[test]
    fn a_created_topic_is_logged_and_counted_by_name() {
        let recorder = EventRecorder::start();
        let ((), metrics) = capture_metrics(|| {
            TopicCreated {
                topic: "acme.mentions.raw",
            }
            .emit();
            TopicCreated {
                topic: "acme.mentions.dlq",
            }
            .emit();
        });
        assert_eq!(
            recorder.find("TopicCreated"),
            [
                r#"TopicCreated { topic: "acme.mentions.raw" }"#,
                r#"TopicCreated { topic: "acme.mentions.dlq" }"#
            ]
        );
        for topic in ["acme.mentions.raw", "acme.mentions.dlq"] {
            assert_eq!(
                metrics.counter("earshot_kafka_topics_created_total", &[("topic", topic)]),
                Some(1),
                "{topic}"
            );
        }
        assert_eq!(metrics.names(), ["earshot_kafka_topics_created_total"]);
    }
}
