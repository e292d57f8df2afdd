//! The consume loop both stores share.
//!
//! `CONSUMER_CONCURRENCY` workers per store, each on its own channel with
//! `basic_qos(CONSUMER_PREFETCH)`, repeat: wait for a message, gather messages until they
//! carry `CONSUMER_BATCH_SIZE` tickets (a message is a batch of ticket events, or one) or
//! `CONSUMER_BATCH_WAIT_MS` has passed, then
//!
//! - reject without requeue every message that can never be processed as a whole (not
//!   JSON, no known version): the queue dead-letters it into its `.dlq` queue; the reason
//!   goes to an ERROR log;
//! - write the tickets of the rest to the store, retrying with capped backoff for as long as
//!   the store fails: nothing is acknowledged meanwhile, so the messages stay in the queue;
//! - publish to the `.dlq` queue, alone and with its reason in a header, every event that
//!   can never be stored: a poison event inside a batch, and a ticket the store refused
//!   because another ticket holds its seat (an invariant violation); both logged at ERROR.
//!   The rest of their batch is stored;
//! - acknowledge the messages with one `multiple` ack, only after the store committed and
//!   the broker confirmed those dead letters.
//!
//! One batch is in flight per channel, so a `multiple` ack never covers another batch. A
//! lost broker connection ends the session in whatever state its workers are (waiting for
//! deliveries, filling a batch, waiting for the store, acknowledging): every session races
//! its workers against [`amqp::lost`], and bounds its set-up and its close, so no future
//! that lapin leaves pending on a dead connection can hang it. The runner then reconnects
//! with backoff; unacknowledged messages are redelivered, and the stores are idempotent.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::Ticket;
use futures_util::StreamExt;
use infra::amqp::{self, Topology};
use infra::config::{AmqpSettings, ConsumerSettings};
use infra::contract::{self, decode_message};
use infra::retry::backoff;
use infra::shutdown::Stop;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};
use metrics::{counter, histogram};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::store::Store;

const BACKOFF_MIN: Duration = Duration::from_millis(50);

/// Consumes one queue into one store.
pub struct Runner<S> {
    store: Arc<S>,
    queue: String,
    amqp: AmqpSettings,
    settings: ConsumerSettings,
}

impl<S: Store> Runner<S> {
    /// A runner writing the messages of `queue` into `store`.
    pub fn new(store: S, queue: String, amqp: AmqpSettings, settings: ConsumerSettings) -> Self {
        Self {
            store: Arc::new(store),
            queue,
            amqp,
            settings,
        }
    }

    /// Consumes until `shutdown` turns true; then finishes the batches in flight (for at most
    /// `CONSUMER_SHUTDOWN_GRACE_SECS`) and returns.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut stop = Stop::new(shutdown, self.settings.shutdown_grace);
        let mut retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
        let store = self.store.name();
        while !stop.requested() {
            match self.session(&stop).await {
                Ok(()) => retry = backoff(BACKOFF_MIN, self.settings.backoff_max),
                Err(e) => {
                    tracing::warn!(
                        store,
                        queue = self.queue,
                        error = format!("{e:#}"),
                        "consumer disconnected; reconnecting"
                    );
                    stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
                }
            }
        }
        tracing::info!(store, queue = self.queue, "consumer stopped");
    }

    /// One broker connection with its workers, until shutdown or a broker failure.
    async fn session(&self, stop: &Stop) -> anyhow::Result<()> {
        // `AMQP_TIMEOUT_MS` bounds the set-up (connect, declare, consume) and the close: a
        // broker that accepts the connection but does not answer counts as down.
        let timeout = self.amqp.timeout;
        // Shutdown does not wait for a set-up that hangs: nothing is consumed yet.
        let mut stopping = stop.clone();
        let opened = tokio::select! {
            opened = tokio::time::timeout(timeout, self.open()) => opened,
            () = stopping.wait() => return Ok(()),
        };
        let (connection, workers) = opened
            .with_context(|| format!("the broker did not answer within {timeout:?} while the consumer was set up"))??;
        tracing::info!(
            store = self.store.name(),
            queue = self.queue,
            workers = workers.len(),
            "consuming"
        );
        // Held until the connection is closed: lapin closes a channel whose last handle goes
        // while the connection is up, in the background, and that close, racing the
        // connection's, fails and is logged as a connection error on every clean stop.
        let channels: Vec<Channel> = workers
            .iter()
            .flat_map(|w| [w.channel.clone(), w.dead_letters.clone()])
            .collect();
        let workers = workers.into_iter().map(|worker| worker.run(stop.clone()));
        let result = tokio::select! {
            result = futures_util::future::try_join_all(workers) => result.map(drop),
            why = amqp::lost(&connection) => Err(anyhow::anyhow!("lost the broker connection: {why}")),
        };
        let _ = tokio::time::timeout(timeout, connection.close(200, "consumer stopping".into())).await;
        drop(channels);
        result
    }

    /// Connects, declares the topology and sets up the workers, each on its own channel.
    async fn open(&self) -> anyhow::Result<(Connection, Vec<Worker<S>>)> {
        let connection = amqp::connect(&self.amqp, &format!("ticketing-consumer-{}", self.store.name()))
            .await
            .context("Failed to connect to RabbitMQ")?;
        let channel = connection.create_channel().await?;
        Topology::new(&self.amqp)
            .declare(&channel)
            .await
            .context("Failed to declare the topology")?;
        let mut workers = Vec::with_capacity(self.settings.concurrency);
        for index in 0..self.settings.concurrency {
            let channel = connection.create_channel().await?;
            channel
                .basic_qos(self.settings.prefetch, BasicQosOptions::default())
                .await?;
            let consumer = channel
                .basic_consume(
                    self.queue.as_str().into(),
                    format!("{}-{index}", self.store.name()).into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .with_context(|| format!("Failed to consume from {}", self.queue))?;
            let dead_letters = connection.create_channel().await?;
            dead_letters.confirm_select(ConfirmSelectOptions::default()).await?;
            workers.push(Worker {
                store: self.store.clone(),
                channel,
                dead_letters,
                dlq: Topology::dead_letter_queue(&self.queue),
                consumer,
                settings: self.settings.clone(),
            });
        }
        Ok((connection, workers))
    }
}

struct Worker<S> {
    store: Arc<S>,
    channel: Channel,
    /// In confirm mode: the events this worker dead-letters itself.
    dead_letters: Channel,
    dlq: String,
    consumer: Consumer,
    settings: ConsumerSettings,
}

impl<S: Store> Worker<S> {
    async fn run(mut self, mut stop: Stop) -> anyhow::Result<()> {
        loop {
            let first = tokio::select! {
                () = stop.wait() => return Ok(()),
                first = self.consumer.next() => first,
            };
            let first = first
                .context("the broker cancelled the consumer")?
                .context("delivery failed")?;
            let batch = self.fill(first).await?;
            self.process(batch, &mut stop).await?;
        }
    }

    /// Adds to `first` whatever arrives within the batch window, until the messages carry
    /// the batch size in tickets.
    async fn fill(&mut self, first: Delivery) -> anyhow::Result<Vec<Delivery>> {
        let mut tickets = contract::tickets_of(&first.properties);
        let mut batch = vec![first];
        let deadline = Instant::now() + self.settings.batch_wait;
        while tickets < self.settings.batch_size {
            match tokio::time::timeout_at(deadline, self.consumer.next()).await {
                Ok(Some(delivery)) => {
                    let delivery = delivery.context("delivery failed")?;
                    tickets += contract::tickets_of(&delivery.properties);
                    batch.push(delivery);
                }
                Ok(None) => anyhow::bail!("the broker cancelled the consumer"),
                Err(_) => break,
            }
        }
        Ok(batch)
    }

    /// Stores a batch; a reset command inside it splits it: what came before it is stored
    /// and acknowledged, then the store is wiped, then what came after it follows.
    async fn process(&self, batch: Vec<Delivery>, stop: &mut Stop) -> anyhow::Result<()> {
        let mut segment = Vec::with_capacity(batch.len());
        for delivery in batch {
            if contract::is_reset(&delivery.properties) {
                self.store_segment(std::mem::take(&mut segment), stop).await?;
                self.reset_until_done(stop).await?;
                self.channel
                    .basic_ack(delivery.delivery_tag, BasicAckOptions { multiple: false })
                    .await
                    .context("Failed to acknowledge a reset")?;
            } else {
                segment.push(delivery);
            }
        }
        self.store_segment(segment, stop).await
    }

    /// Wipes the store, retrying with backoff as a write would.
    async fn reset_until_done(&self, stop: &mut Stop) -> anyhow::Result<()> {
        let mut retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
        loop {
            match self.store.reset().await {
                Ok(()) => {
                    tracing::warn!(
                        store = self.store.name(),
                        "reset command: every ticket of the store wiped"
                    );
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(
                        store = self.store.name(),
                        error = format!("{e:#}"),
                        "reset failed; retrying"
                    );
                    if stop.expired() {
                        anyhow::bail!("stopping before the reset was done; it will be redelivered");
                    }
                    stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
                }
            }
        }
    }

    async fn store_segment(&self, batch: Vec<Delivery>, stop: &mut Stop) -> anyhow::Result<()> {
        let store = self.store.name();
        let mut last_settled = None;
        let mut tickets: Vec<Ticket> = Vec::new();
        // Per ticket: the event's bytes and the message it came in, to dead-letter it alone.
        let mut origins: Vec<(&[u8], &Delivery)> = Vec::new();
        let mut dead: Vec<DeadLetter> = Vec::new();
        for delivery in &batch {
            match decode_message(&delivery.data) {
                Ok(items) => {
                    last_settled = Some(delivery.delivery_tag);
                    for item in items {
                        match item.ticket {
                            Ok(ticket) => {
                                tickets.push(ticket);
                                origins.push((item.bytes, delivery));
                            }
                            Err(poison) => dead.push(DeadLetter::new(item.bytes, delivery, None, poison.0)),
                        }
                    }
                }
                Err(poison) => {
                    tracing::error!(
                        store,
                        message_id = message_id(delivery),
                        reason = %poison,
                        "poison message dead-lettered"
                    );
                    self.reject(delivery.delivery_tag).await?;
                    counter!("consumer_tickets_total", "store" => store, "outcome" => "refused").increment(1);
                }
            }
        }
        if !tickets.is_empty() {
            let started = Instant::now();
            let conflicts = self.write_until_stored(&tickets, stop).await?;
            histogram!("consumer_batch_duration_seconds", "store" => store).record(started.elapsed().as_secs_f64());
            counter!("consumer_tickets_total", "store" => store, "outcome" => "stored")
                .increment((tickets.len() - conflicts.len()) as u64);
            for conflict in &conflicts {
                let Some(index) = tickets.iter().position(|t| t.ticket_id == conflict.ticket_id) else {
                    continue;
                };
                let (ticket, (bytes, delivery)) = (&tickets[index], origins[index]);
                let reason = format!(
                    "a second ticket for seat {} zone {} row {} column {}, which ticket {} holds",
                    ticket.event_id,
                    ticket.zone_id,
                    ticket.row,
                    ticket.column,
                    conflict.holder.as_deref().unwrap_or("(unknown)")
                );
                dead.push(DeadLetter::new(bytes, delivery, Some(ticket), reason));
            }
        }
        counter!("consumer_tickets_total", "store" => store, "outcome" => "refused").increment(dead.len() as u64);
        for letter in &dead {
            letter.log(store);
            amqp::dead_letter(
                &self.dead_letters,
                &self.dlq,
                letter.event,
                &letter.message_id,
                &letter.source,
                &letter.reason,
            )
            .await
            .context("Failed to dead-letter an event")?;
        }
        if let Some(tag) = last_settled {
            self.channel
                .basic_ack(tag, BasicAckOptions { multiple: true })
                .await
                .context("Failed to acknowledge a stored batch")?;
        }
        tracing::debug!(store, tickets = tickets.len(), dead = dead.len(), "batch stored");
        Ok(())
    }

    async fn write_until_stored(
        &self,
        tickets: &[Ticket],
        stop: &mut Stop,
    ) -> anyhow::Result<Vec<crate::store::Conflict>> {
        let mut retry = backoff(BACKOFF_MIN, self.settings.backoff_max);
        loop {
            match self.store.write(tickets).await {
                Ok(conflicts) => return Ok(conflicts),
                Err(e) => {
                    tracing::warn!(
                        store = self.store.name(),
                        tickets = tickets.len(),
                        error = format!("{e:#}"),
                        "store write failed; retrying, the messages stay queued"
                    );
                    if stop.expired() {
                        anyhow::bail!("stopping with the store unavailable; the batch will be redelivered");
                    }
                    stop.sleep(retry.next().unwrap_or(self.settings.backoff_max)).await;
                }
            }
        }
    }

    async fn reject(&self, tag: u64) -> anyhow::Result<()> {
        self.channel
            .basic_reject(tag, BasicRejectOptions { requeue: false })
            .await
            .context("Failed to reject a message")
    }
}

/// The id of a delivered message, for the logs.
fn message_id(delivery: &Delivery) -> Option<&str> {
    delivery.properties.message_id().as_ref().map(|m| m.as_str())
}

/// One event a worker dead-letters itself, alone.
struct DeadLetter<'a> {
    event: &'a [u8],
    /// The ticket id where the event has one, else the message's id and the event's place.
    message_id: String,
    /// The id of the message it came in.
    source: String,
    reason: String,
}

impl<'a> DeadLetter<'a> {
    fn new(event: &'a [u8], delivery: &Delivery, ticket: Option<&Ticket>, reason: String) -> Self {
        let source = message_id(delivery).unwrap_or("(no message id)").to_owned();
        let message_id = match ticket {
            Some(ticket) => ticket.ticket_id.to_string(),
            None => format!("{source}:poison"),
        };
        Self {
            event,
            message_id,
            source,
            reason,
        }
    }

    fn log(&self, store: &str) {
        tracing::error!(
            store,
            message_id = self.message_id,
            source = self.source,
            reason = self.reason,
            "an event that can never be stored: dead-lettered alone, the rest of its batch stored"
        );
    }
}
