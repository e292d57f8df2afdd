//! The outbox relay: the RabbitMQ producer of the api process.
//!
//! The seat lock appends each ticket event to its event's outbox stream in the same atomic
//! step that sells the seat. The relay moves those entries to the broker:
//!
//! 1. at start, its own entries left pending by a previous run of this consumer, then
//!    entries other relays left pending for longer than `RELAY_CLAIM_IDLE_MS` (a crashed
//!    instance), then new entries as they arrive, re-checking for stale ones every
//!    `RELAY_CLAIM_IDLE_MS`;
//! 2. what one read returns (Redis counts `RELAY_BATCH_SIZE` per stream, so one read over
//!    many events may return more) is delivered in batches of at most `RELAY_BATCH_SIZE`
//!    entries: each batch goes out as one message per event ([`batch`]), published with
//!    confirms and, when a replay topic is configured (`KAFKA_BOOTSTRAP`), produced to it;
//!    only after every confirm and the topic's acknowledgement are its entries acknowledged
//!    and deleted from the stream;
//! 3. when the broker, Kafka or Redis fails, it backs off and retries the step that failed:
//!    entries wait in Redis meanwhile and purchases go on. With a topic configured, a Kafka
//!    outage therefore pauses RabbitMQ delivery too: the outbox is the one place an event
//!    waits until it has reached both;
//! 4. on shutdown it flushes what is in the outbox, for at most the shutdown grace period.
//!
//! A crash between publish and acknowledgement publishes those entries again later: delivery
//! is at least once, and a message of the same entries carries the same message id.

pub mod batch;
mod link;
pub mod outbox;
pub mod publisher;
mod thread;
pub mod topic;

use std::time::Duration;

use infra::config::RelaySettings;
use infra::retry::backoff;
use infra::shutdown::Stop;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::ApiSettings;
pub use link::LinkHealth;
pub use outbox::{Cursor, Entry, Outbox};
pub use publisher::{PublishError, Publisher};
pub use thread::RelayThread;
pub use topic::TopicProducer;

/// Shortest wait before retrying a failed step.
const BACKOFF_MIN: Duration = Duration::from_millis(50);

/// The relay task's state.
pub struct Relay {
    outbox: Outbox,
    publisher: Publisher,
    topic: Option<TopicProducer>,
    settings: RelaySettings,
}

/// How long the relay waits before it reads entries it held back again.
const HELD_BACK_RETRY: Duration = Duration::from_millis(500);

/// Where the relay is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    OwnPending,
    ClaimStale,
    New { since_claim: Instant },
}

impl Relay {
    /// A relay for the outbox streams of `event_ids`. Connects to Redis now and to the
    /// broker lazily, so the api starts (and sells) while the broker is down.
    pub async fn connect(
        settings: &ApiSettings,
        event_ids: Vec<String>,
        health: LinkHealth,
        topic_health: LinkHealth,
    ) -> anyhow::Result<Self> {
        let outbox = Outbox::connect(
            &settings.redis,
            settings.relay.block,
            event_ids,
            settings.relay.consumer.clone(),
        )
        .await?;
        let publisher = Publisher::new(settings.amqp.clone(), health);
        let topic = settings
            .kafka
            .enabled()
            .then(|| TopicProducer::new(settings.kafka.clone(), topic_health, settings.relay.backoff_max));
        Ok(Self {
            outbox,
            publisher,
            topic,
            settings: settings.relay.clone(),
        })
    }

    /// Split into parts, for tests that drive the steps one by one.
    pub fn into_parts(self) -> (Outbox, Publisher) {
        (self.outbox, self.publisher)
    }

    /// Runs until `shutdown` turns true, then flushes for at most `grace`.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>, grace: Duration) {
        let mut stop = Stop::new(shutdown.clone(), grace);
        if let Err(e) = self.publisher.connect().await {
            tracing::warn!(error = %e, "broker unavailable at start; ticket events wait in the outbox");
        }
        if let Some(topic) = &mut self.topic {
            if let Err(e) = topic.connect().await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "replay topic unavailable at start; ticket events wait in the outbox"
                );
            }
        }
        let mut phase = Phase::OwnPending;
        let mut retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
        loop {
            if stop.requested() {
                self.flush(&mut stop).await;
                return;
            }
            let batch = tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        // The owner is gone without a word: stop as if asked to.
                        self.flush(&mut stop).await;
                        return;
                    }
                    continue;
                }
                batch = self.next_batch(&mut phase) => batch,
            };
            match batch {
                Ok(batch) if batch.is_empty() => {
                    if let Some(topic) = &mut self.topic {
                        topic.reconnect_when_idle().await;
                    }
                }
                Ok(entries) => {
                    let held_back = self.deliver_all(&entries, &mut stop).await;
                    retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
                    if held_back {
                        // They wait in this relay's pending list: read them again from there
                        // once the event is rebuilt, not after RELAY_CLAIM_IDLE_MS.
                        phase = Phase::OwnPending;
                        stop.sleep(HELD_BACK_RETRY).await;
                    }
                }
                Err(e) => {
                    self.on_read_error(&e).await;
                    stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
                }
            }
        }
    }

    async fn next_batch(&mut self, phase: &mut Phase) -> redis::RedisResult<Vec<Entry>> {
        let count = self.settings.batch_size;
        match *phase {
            Phase::OwnPending => {
                let batch = self.outbox.read(Cursor::Pending, count, None).await?;
                if batch.is_empty() {
                    *phase = Phase::ClaimStale;
                }
                Ok(batch)
            }
            Phase::ClaimStale => {
                let batch = self.outbox.claim_stale(self.settings.claim_idle, count).await?;
                if batch.is_empty() {
                    *phase = Phase::New {
                        since_claim: Instant::now(),
                    };
                } else {
                    tracing::warn!(
                        entries = batch.len(),
                        "took over outbox entries another relay left pending"
                    );
                }
                Ok(batch)
            }
            Phase::New { since_claim } if since_claim.elapsed() >= self.settings.claim_idle => {
                *phase = Phase::ClaimStale;
                Ok(Vec::new())
            }
            Phase::New { .. } => self.outbox.read(Cursor::New, count, Some(self.settings.block)).await,
        }
    }

    /// Delivers what one read returned, in batches of at most `RELAY_BATCH_SIZE`; whether it
    /// held any back.
    async fn deliver_all(&mut self, entries: &[Entry], stop: &mut Stop) -> bool {
        let mut held_back = false;
        for batch in entries.chunks(self.settings.batch_size) {
            if stop.expired() {
                break;
            }
            held_back |= self.deliver(batch, stop).await;
        }
        held_back
    }

    /// Publishes `batch` until confirmed, produces it to the replay topic if there is one,
    /// then acknowledges it; each step retried with backoff. Gives up only when the shutdown
    /// grace period is over: the entries stay pending and the next run delivers them again.
    /// Before every attempt, entries of events whose seat state is not verified are held back
    /// ([`Outbox::verified_only`], `crate::recovery`): they stay pending, and the answer is
    /// whether any were.
    async fn deliver(&mut self, batch: &[Entry], stop: &mut Stop) -> bool {
        let mut retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
        let mut held_back = false;
        let (entries, messages) = loop {
            let attempt = match self.outbox.verified_only(batch).await {
                Ok(entries) if entries.is_empty() => return true,
                Ok(entries) => {
                    held_back = entries.len() < batch.len();
                    let messages = batch::messages(&entries);
                    let started = Instant::now();
                    match self.publisher.publish(&messages).await {
                        Ok(()) => {
                            crate::metrics::relay_published(started.elapsed(), messages.iter().map(|m| m.tickets));
                            Ok((entries, messages))
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(format!("checking the events' seat state: {e}")),
            };
            match attempt {
                Ok(published) => break published,
                Err(e) => {
                    tracing::warn!(error = %e, entries = batch.len(), "publish failed; retrying");
                    if stop.expired() {
                        tracing::warn!(entries = batch.len(), "shutdown grace over: entries stay in the outbox");
                        return held_back;
                    }
                    stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
                }
            }
        };
        if let Some(topic) = &mut self.topic {
            while let Err(e) = topic.produce(&messages).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    entries = entries.len(),
                    "producing to the replay topic failed; retrying"
                );
                if stop.expired() {
                    // Published to RabbitMQ, not to the topic: published once more next run.
                    tracing::warn!(
                        entries = entries.len(),
                        "shutdown grace over: entries stay in the outbox"
                    );
                    return held_back;
                }
                stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
            }
        }
        while let Err(e) = self.outbox.ack(&entries).await {
            tracing::warn!(error = %e, entries = entries.len(), "acknowledging published entries failed; retrying");
            if stop.expired() {
                // Published but not acknowledged: they will be published once more.
                return held_back;
            }
            stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
        }
        tracing::debug!(
            entries = entries.len(),
            messages = messages.len(),
            "relayed ticket events"
        );
        held_back
    }

    /// Drains the outbox without waiting for new entries.
    async fn flush(&mut self, stop: &mut Stop) {
        let count = self.settings.batch_size;
        for cursor in [Cursor::Pending, Cursor::New] {
            loop {
                if stop.expired() {
                    return;
                }
                match self.outbox.read(cursor, count, None).await {
                    Ok(entries) if entries.is_empty() => break,
                    // Entries held back stay pending for the next run.
                    Ok(entries) => {
                        self.deliver_all(&entries, stop).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox unreadable during shutdown; entries stay for the next run");
                        return;
                    }
                }
            }
        }
        tracing::info!("relay flushed the outbox");
    }

    async fn on_read_error(&mut self, e: &redis::RedisError) {
        if e.code() == Some("NOGROUP") {
            // The streams were deleted (a reset): create the groups again.
            if let Err(e) = self.outbox.ensure_groups().await {
                tracing::warn!(error = %e, "creating the outbox consumer groups failed");
            }
        } else {
            tracing::warn!(error = %e, "reading the outbox failed; retrying");
        }
    }

    /// Creates the consumer groups; call once before [`Relay::run`].
    pub async fn ensure_groups(&mut self) -> redis::RedisResult<()> {
        self.outbox.ensure_groups().await
    }
}
