//! `consumers replay [all|mysql|dynamodb]`: rebuilds the MySQL read model and/or the DynamoDB
//! write model from the replay topic (`KAFKA_BOOTSTRAP`, `KAFKA_TOPIC`), every partition from
//! its earliest offset to its end.
//!
//! Records (a batch of ticket events each, or one event) are decoded exactly as the queue
//! consumers decode messages and written through the same stores, in batches of about
//! `CONSUMER_BATCH_SIZE` tickets, so a replay is idempotent: tickets already stored are left
//! as they are, and replaying twice changes nothing. What the queue consumers would
//! dead-letter is reported instead (the record stays in the topic): a record or an event in
//! it that is not a ticket event, and a second ticket for a seat another ticket holds. Both
//! are logged at ERROR and counted; the command then exits non-zero.
//!
//! A partition ends at the first fetch that returns nothing: some Kafka-compatible brokers
//! report end offsets that cannot be trusted. The api may go on producing during a replay;
//! what arrives after a partition's end is not replayed, and the queues deliver it anyway.

use std::time::Duration;

use anyhow::Context;
use domain::Ticket;
use infra::contract::decode_message;
use infra::kafka::EventTopic;
use infra::retry::backoff;
use infra::{dynamodb, mysql};
use serde::Serialize;

use crate::config::ConsumersSettings;
use crate::dynamodb::DynamoDbStore;
use crate::mysql::MysqlStore;
use crate::startup::Which;
use crate::store::Store;

/// Attempts at writing one batch before the replay gives up.
const WRITE_ATTEMPTS: usize = 6;

/// What a replay did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Records read from the topic, duplicates included.
    pub records: usize,
    /// Ticket events in them (a record is a batch of events, or one).
    pub events: usize,
    /// Records, or events inside them, that are not ticket events (logged at ERROR).
    pub poison: usize,
    /// Tickets the MySQL read model refused: their seat holds another ticket.
    pub mysql_conflicts: usize,
    /// Tickets the DynamoDB write model refused: their seat holds another ticket.
    pub dynamodb_conflicts: usize,
}

impl ReplayReport {
    /// Whether anything was refused.
    pub fn clean(&self) -> bool {
        self.poison == 0 && self.mysql_conflicts == 0 && self.dynamodb_conflicts == 0
    }
}

/// Replays the whole topic into the stores `which` names.
pub async fn replay(settings: &ConsumersSettings, which: Which) -> anyhow::Result<ReplayReport> {
    let topic = EventTopic::connect(&settings.kafka, "ticketing-replay").await?;
    let mysql = if which.mysql() {
        let pool = mysql::connect(&settings.mysql).await?;
        mysql::migrate(&pool).await?;
        Some(MysqlStore::new(pool))
    } else {
        None
    };
    let dynamodb = if which.dynamodb() {
        let client = dynamodb::connect(&settings.dynamodb).await;
        dynamodb::ensure_tables(&client, &settings.dynamodb).await?;
        Some(DynamoDbStore::new(client, &settings.dynamodb))
    } else {
        None
    };
    let mut report = ReplayReport::default();
    let batch_size = settings.consumer.batch_size;
    for partition in 0..topic.partition_count() {
        let mut offset = topic.earliest(partition).await?;
        let mut tickets: Vec<Ticket> = Vec::with_capacity(batch_size);
        loop {
            let records = topic.fetch(partition, offset).await?;
            let Some(last) = records.last() else { break };
            offset = last.offset + 1;
            for record in records {
                report.records += 1;
                let poison = |reason: &dyn std::fmt::Display| {
                    tracing::error!(
                        topic = topic.name(),
                        partition,
                        offset = record.offset,
                        reason = %reason,
                        "not a ticket event: skipped"
                    );
                };
                match decode_message(record.record.value.as_deref().unwrap_or_default()) {
                    Ok(items) => {
                        report.events += items.len();
                        for item in items {
                            match item.ticket {
                                Ok(ticket) => tickets.push(ticket),
                                Err(reason) => {
                                    report.poison += 1;
                                    poison(&reason);
                                }
                            }
                        }
                    }
                    Err(reason) => {
                        report.poison += 1;
                        poison(&reason);
                    }
                }
                if tickets.len() >= batch_size {
                    write(&mysql, &dynamodb, &tickets, &mut report).await?;
                    tickets.clear();
                }
            }
        }
        write(&mysql, &dynamodb, &tickets, &mut report).await?;
        tracing::info!(topic = topic.name(), partition, end = offset, "partition replayed");
    }
    Ok(report)
}

async fn write(
    mysql: &Option<MysqlStore>,
    dynamodb: &Option<DynamoDbStore>,
    tickets: &[Ticket],
    report: &mut ReplayReport,
) -> anyhow::Result<()> {
    if tickets.is_empty() {
        return Ok(());
    }
    if let Some(store) = mysql {
        report.mysql_conflicts += write_batch(store, tickets).await?;
    }
    if let Some(store) = dynamodb {
        report.dynamodb_conflicts += write_batch(store, tickets).await?;
    }
    Ok(())
}

/// Writes one batch, retrying a failing store a few times; returns how many tickets it
/// refused, each logged at ERROR.
async fn write_batch<S: Store>(store: &S, tickets: &[Ticket]) -> anyhow::Result<usize> {
    let mut retry = backoff(Duration::from_millis(200), Duration::from_secs(5));
    let mut attempt = 1;
    let conflicts = loop {
        match store.write(tickets).await {
            Ok(conflicts) => break conflicts,
            Err(e) if attempt < WRITE_ATTEMPTS => {
                tracing::warn!(
                    store = store.name(),
                    attempt,
                    error = format!("{e:#}"),
                    "replay write failed; retrying"
                );
                tokio::time::sleep(retry.next().unwrap_or(Duration::from_secs(5))).await;
                attempt += 1;
            }
            Err(e) => return Err(e).with_context(|| format!("{} kept failing; the replay stopped", store.name())),
        }
    };
    for conflict in &conflicts {
        tracing::error!(
            store = store.name(),
            ticket_id = %conflict.ticket_id,
            holder = conflict.holder.as_deref(),
            "a second ticket for a sold seat in the topic: not stored"
        );
    }
    Ok(conflicts.len())
}
