//! The `alerts` topic: one JSON record per alert, keyed by its id so consumers can
//! deduplicate the rare redelivery (a crash between the topic and the table).

use earshot_kafka::KafkaConfig;
use earshot_model::topics;
use rdkafka::producer::FutureProducer;

use crate::Error;
use crate::alert::Alert;

pub struct KafkaSink {
    producer: FutureProducer,
    topic: String,
}

impl KafkaSink {
    pub fn new(config: &KafkaConfig) -> Result<Self, Error> {
        Ok(Self {
            producer: config.producer()?,
            topic: config.topic(topics::ALERTS),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Produces the alert and waits until the broker has it.
    pub async fn send(&self, alert: &Alert) -> Result<(), Error> {
        let payload = serde_json::to_vec(alert).map_err(Error::Encode)?;
        earshot_runtime::produce_and_ack(
            &self.producer,
            &self.topic,
            alert.alert_id.as_bytes(),
            &payload,
            None,
        )
        .await
        .map_err(|source| Error::KafkaDelivery {
            alert_id: alert.alert_id.clone(),
            topic: self.topic.clone(),
            source: Box::new(source),
        })
    }
}
