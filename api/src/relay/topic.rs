//! The relay's producer for the optional replay topic (`KAFKA_BOOTSTRAP`).
//!
//! Connected at start and again after any failure, like the RabbitMQ publisher: the api starts
//! and sells while Kafka is down, and the outbox keeps what has not reached the topic. While
//! the relay is idle and Kafka is unreachable it tries again at most every
//! `RELAY_BACKOFF_MAX_MS`, so the readiness answer follows Kafka without waiting for a sale.

use std::time::Duration;

use infra::config::KafkaSettings;
use infra::contract;
use infra::kafka::EventTopic;
use tokio::time::Instant;

use super::batch::Message;
use super::link::LinkHealth;

/// Produces outbox entries to the event topic, keyed by event id.
pub struct TopicProducer {
    settings: KafkaSettings,
    topic: Option<EventTopic>,
    health: LinkHealth,
    next_idle_attempt: Instant,
    idle_retry: Duration,
}

impl TopicProducer {
    /// A producer for `settings`, not connected yet, reporting to `health`; while idle and
    /// disconnected it tries again every `idle_retry`.
    pub fn new(settings: KafkaSettings, health: LinkHealth, idle_retry: Duration) -> Self {
        Self {
            settings,
            topic: None,
            health,
            next_idle_attempt: Instant::now(),
            idle_retry,
        }
    }

    /// The topic, connected first if it is not.
    pub async fn connect(&mut self) -> anyhow::Result<&EventTopic> {
        let topic = match self.topic.take() {
            Some(topic) => topic,
            None => {
                let connected = EventTopic::connect(&self.settings, "ticketing-relay").await;
                self.record(connected.as_ref().err());
                connected?
            }
        };
        Ok(self.topic.insert(topic))
    }

    /// When idle: connects again if disconnected and the last idle attempt is old enough.
    pub async fn reconnect_when_idle(&mut self) {
        if self.topic.is_some() || Instant::now() < self.next_idle_attempt {
            return;
        }
        self.next_idle_attempt = Instant::now() + self.idle_retry;
        if let Err(e) = self.connect().await {
            tracing::debug!(error = format!("{e:#}"), "replay topic still unreachable");
        }
    }

    /// Produces `batch`; returns once the topic holds all of it.
    pub async fn produce(&mut self, messages: &[Message]) -> anyhow::Result<()> {
        let topic = self.connect().await?;
        let records = messages
            .iter()
            .map(|message| (contract::kafka_key(&message.event_id), message.body.as_slice()));
        let produced = topic.produce(records).await;
        if produced.is_err() {
            // Reconnect on the next attempt: the brokers may have moved.
            self.topic = None;
        }
        self.record(produced.as_ref().err());
        produced
    }

    /// The outcome of an attempt, for the readiness check.
    fn record(&self, failed: Option<&anyhow::Error>) {
        match failed {
            None => self.health.up(),
            Some(e) => self.health.down(&format!("{e:#}")),
        }
    }
}
