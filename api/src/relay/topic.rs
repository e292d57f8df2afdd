//! The relay's producer for the optional replay topic (`KAFKA_BOOTSTRAP`).
//!
//! Connected lazily and again after any failure, like the RabbitMQ publisher: the api starts
//! and sells while Kafka is down, and the outbox keeps what has not reached the topic.

use infra::config::KafkaSettings;
use infra::kafka::EventTopic;
use infra::seats::EventKeys;

use super::Entry;

/// Produces outbox entries to the event topic, keyed by event id.
pub struct TopicProducer {
    settings: KafkaSettings,
    topic: Option<EventTopic>,
}

impl TopicProducer {
    /// A producer for `settings`, not connected yet.
    pub fn new(settings: KafkaSettings) -> Self {
        Self { settings, topic: None }
    }

    /// Produces `batch`; returns once the topic holds all of it.
    pub async fn produce(&mut self, batch: &[Entry]) -> anyhow::Result<()> {
        let topic = match &mut self.topic {
            Some(topic) => topic,
            empty => empty.insert(EventTopic::connect(&self.settings, "ticketing-relay").await?),
        };
        let records = batch.iter().map(|entry| {
            (
                EventKeys::event_of(&entry.stream).unwrap_or_default(),
                entry.payload.as_slice(),
            )
        });
        let produced = topic.produce(records).await;
        if produced.is_err() {
            // Reconnect on the next attempt: the brokers may have moved.
            self.topic = None;
        }
        produced
    }
}
