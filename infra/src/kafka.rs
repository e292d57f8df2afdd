//! The Kafka-compatible replay topic: every ticket event, keyed by its event id, produced by
//! the outbox relay next to RabbitMQ and read back from the earliest offset by
//! `consumers replay`.
//!
//! A record's partition is the FNV-1a hash of its key modulo the partition count, so one
//! event's tickets stay in one partition, in the order the relay read them. The client's own
//! retries stop after [`CALL_DEADLINE`]: the callers retry with their own backoff and must
//! see a broker outage as an error, not as a call that never returns.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use anyhow::Context;
use rskafka::client::error::{Error as KafkaError, ProtocolError};
use rskafka::client::partition::{Compression, OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::{Record, RecordAndOffset};
use rskafka::BackoffConfig;

use crate::config::KafkaSettings;

/// How long one client call may keep retrying inside the client.
pub const CALL_DEADLINE: Duration = Duration::from_secs(5);
/// Bytes asked for per fetch: whole record batches up to about this much.
const FETCH_BYTES: Range<i32> = 1..4 * 1024 * 1024;
/// How long a fetch waits for records before it answers empty.
const FETCH_WAIT_MS: i32 = 200;

/// The event topic, its partitions opened.
pub struct EventTopic {
    topic: String,
    partitions: Vec<PartitionClient>,
}

impl EventTopic {
    /// Connects to the brokers, creates the topic with `KAFKA_PARTITIONS` partitions when it
    /// does not exist (no broker is assumed to create topics on its own), and opens every
    /// partition it has.
    pub async fn connect(settings: &KafkaSettings, client_id: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(settings.enabled(), "KAFKA_BOOTSTRAP is not set");
        let backoff = BackoffConfig {
            init_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
            deadline: Some(CALL_DEADLINE),
        };
        let client = tokio::time::timeout(
            CALL_DEADLINE,
            ClientBuilder::new(settings.bootstrap.clone())
                .client_id(client_id)
                .backoff_config(backoff)
                .build(),
        )
        .await
        .context("timed out connecting to Kafka")?
        .context("Failed to connect to Kafka")?;
        let partitions = match partition_count(&client, &settings.topic).await? {
            Some(count) => count,
            None => {
                create_topic(&client, settings).await?;
                settings.partitions
            }
        };
        let mut opened = Vec::with_capacity(partitions as usize);
        for partition in 0..partitions {
            opened.push(
                client
                    .partition_client(settings.topic.as_str(), partition, UnknownTopicHandling::Retry)
                    .await
                    .with_context(|| format!("Failed to open partition {partition} of {}", settings.topic))?,
            );
        }
        Ok(Self {
            topic: settings.topic.clone(),
            partitions: opened,
        })
    }

    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.topic
    }

    /// How many partitions the topic has.
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// Produces `(key, value)` records, each to its key's partition; returns once every
    /// partition has acknowledged its records.
    pub async fn produce<'a>(&self, records: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> anyhow::Result<()> {
        let mut by_partition: BTreeMap<usize, Vec<Record>> = BTreeMap::new();
        let now = chrono::Utc::now();
        for (key, value) in records {
            by_partition
                .entry(partition_of(key, self.partitions.len()))
                .or_default()
                .push(Record {
                    key: Some(key.to_vec()),
                    value: Some(value.to_vec()),
                    headers: BTreeMap::new(),
                    timestamp: now,
                });
        }
        for (partition, records) in by_partition {
            self.partitions[partition]
                .produce(records, Compression::NoCompression)
                .await
                .with_context(|| format!("Failed to produce to {} partition {partition}", self.topic))?;
        }
        Ok(())
    }

    /// The first offset still held by `partition`.
    pub async fn earliest(&self, partition: usize) -> anyhow::Result<i64> {
        Ok(self.partitions[partition].get_offset(OffsetAt::Earliest).await?)
    }

    /// The record batches of `partition` from `offset` on; empty at the end of the partition.
    /// The next offset to read is the last record's plus one: always the start of a batch
    /// (some Kafka-compatible brokers answer nothing from an offset inside a batch).
    pub async fn fetch(&self, partition: usize, offset: i64) -> anyhow::Result<Vec<RecordAndOffset>> {
        let (records, _high_watermark) = self.partitions[partition]
            .fetch_records(offset, FETCH_BYTES, FETCH_WAIT_MS)
            .await
            .with_context(|| format!("Failed to fetch {} partition {partition} at {offset}", self.topic))?;
        Ok(records)
    }
}

/// Deletes the topic of `settings` (tests and benchmarks clean up with this).
pub async fn delete_topic(settings: &KafkaSettings) -> anyhow::Result<()> {
    let client = ClientBuilder::new(settings.bootstrap.clone())
        .backoff_config(BackoffConfig {
            deadline: Some(CALL_DEADLINE),
            ..BackoffConfig::default()
        })
        .build()
        .await?;
    client
        .controller_client()?
        .delete_topic(settings.topic.as_str(), 5_000)
        .await?;
    Ok(())
}

/// The partition count of `topic`, or `None` when it does not exist.
async fn partition_count(client: &Client, topic: &str) -> anyhow::Result<Option<i32>> {
    let topics = client.list_topics().await.context("Failed to list Kafka topics")?;
    Ok(topics
        .into_iter()
        .find(|t| t.name == topic)
        .map(|t| t.partitions.len() as i32)
        .filter(|&count| count > 0))
}

async fn create_topic(client: &Client, settings: &KafkaSettings) -> anyhow::Result<()> {
    let created = client
        .controller_client()?
        .create_topic(settings.topic.as_str(), settings.partitions, 1, 5_000)
        .await;
    match created {
        Ok(()) => {
            tracing::info!(
                topic = settings.topic,
                partitions = settings.partitions,
                "created Kafka topic"
            );
            Ok(())
        }
        // Another process created it in between.
        Err(KafkaError::ServerError {
            protocol_error: ProtocolError::TopicAlreadyExists,
            ..
        }) => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("Failed to create topic {}", settings.topic))),
    }
}

/// The partition of `key` among `partitions`: FNV-1a, stable across processes and builds.
pub fn partition_of(key: &[u8], partitions: usize) -> usize {
    let hash = key.iter().copied().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % partitions.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_always_lands_in_the_same_partition() {
        assert_eq!(partition_of(b"Event1", 1), 0);
        let p = partition_of(b"Event1", 12);
        assert!(p < 12);
        assert_eq!(partition_of(b"Event1", 12), p);
        let spread: std::collections::HashSet<usize> = (1..=50)
            .map(|i| partition_of(format!("Event{i}").as_bytes(), 4))
            .collect();
        assert_eq!(spread.len(), 4);
    }
}
