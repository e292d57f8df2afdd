//! The replay topic of one test, on the shared Kafka-compatible broker (`TEST_KAFKA_BOOTSTRAP`,
//! default 127.0.0.1:9092, which `scripts/test.sh` starts).

use infra::kafka::EventTopic;
use serde_json::Value;

use crate::env::TestEnv;

/// Where the tests' Kafka-compatible broker listens.
pub fn kafka_bootstrap() -> String {
    std::env::var("TEST_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

impl TestEnv {
    /// The variables that turn the replay topic on, for [`TestEnv::settings`] and the
    /// programs; the test's topic is deleted with the environment.
    pub fn kafka(&self) -> Vec<(&'static str, String)> {
        self.uses_kafka.set(true);
        vec![("KAFKA_BOOTSTRAP", kafka_bootstrap())]
    }

    /// The test's topic.
    pub async fn topic(&self) -> EventTopic {
        EventTopic::connect(&self.settings(&self.kafka()).kafka, "test")
            .await
            .unwrap()
    }

    /// Every record of the test's topic, partition after partition: its key and its value
    /// as JSON.
    pub async fn topic_records(&self) -> Vec<(String, Value)> {
        let topic = self.topic().await;
        let mut records = Vec::new();
        for partition in 0..topic.partition_count() {
            let mut offset = topic.earliest(partition).await.unwrap();
            loop {
                let batch = topic.fetch(partition, offset).await.unwrap();
                let Some(last) = batch.last() else { break };
                offset = last.offset + 1;
                for record in batch {
                    let key = String::from_utf8(record.record.key.unwrap_or_default()).unwrap();
                    let value = serde_json::from_slice(&record.record.value.unwrap_or_default()).unwrap();
                    records.push((key, value));
                }
            }
        }
        records
    }

    /// Produces raw `(key, value)` records to the test's topic.
    pub async fn produce(&self, records: &[(&str, &[u8])]) {
        self.topic().await.produce(records.iter().copied()).await.unwrap();
    }
}
