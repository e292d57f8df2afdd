//! The replay topic of one test, on the shared Kafka-compatible broker (`TEST_KAFKA_BOOTSTRAP`,
//! default 127.0.0.1:9092, which `scripts/test.sh` starts).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use infra::kafka::EventTopic;
use serde_json::Value;

use crate::env::{kafka_bootstrap, TestEnv};
use crate::proxy::Proxy;

impl TestEnv {
    /// The variables that turn the replay topic on, for [`TestEnv::settings`] and the
    /// programs; the test's topic is deleted with the environment.
    pub fn kafka(&self) -> Vec<(&'static str, String)> {
        self.uses_kafka.set(true);
        vec![("KAFKA_BOOTSTRAP", kafka_bootstrap())]
    }

    /// The test's topic on the shared broker.
    pub async fn topic(&self) -> EventTopic {
        self.uses_kafka.set(true);
        self.topic_on(&kafka_bootstrap()).await
    }

    /// The test's topic on the broker at `bootstrap`.
    pub async fn topic_on(&self, bootstrap: &str) -> EventTopic {
        let settings = self.settings(&[("KAFKA_BOOTSTRAP", bootstrap.to_owned())]);
        EventTopic::connect(&settings.kafka, "test").await.unwrap()
    }

    /// Every ticket event of the test's topic on the shared broker, partition after
    /// partition: the key of its record and the event as JSON.
    pub async fn topic_records(&self) -> Vec<(String, Value)> {
        self.uses_kafka.set(true);
        self.topic_records_on(&kafka_bootstrap()).await
    }

    /// Every ticket event of the test's topic on the broker at `bootstrap`, with the key of
    /// its record (a batch record gives one entry per event).
    pub async fn topic_records_on(&self, bootstrap: &str) -> Vec<(String, Value)> {
        let topic = self.topic_on(bootstrap).await;
        let mut records = Vec::new();
        for partition in 0..topic.partition_count() {
            let mut offset = topic.earliest(partition).await.unwrap();
            loop {
                let batch = topic.fetch(partition, offset).await.unwrap();
                let Some(last) = batch.last() else { break };
                offset = last.offset + 1;
                for record in batch {
                    let key = String::from_utf8(record.record.key.unwrap_or_default()).unwrap();
                    let value: Value = serde_json::from_slice(&record.record.value.unwrap_or_default()).unwrap();
                    match value.get("events").and_then(Value::as_array) {
                        Some(events) if value["v"] == infra::contract::BATCH_VERSION => {
                            records.extend(events.iter().map(|e| (key.clone(), e.clone())));
                        }
                        _ => records.push((key, value)),
                    }
                }
            }
        }
        records
    }

    /// Produces raw `(event id, value)` records to the test's topic, keyed as the relay keys them.
    pub async fn produce(&self, records: &[(&str, &[u8])]) {
        let records = records
            .iter()
            .map(|(event_id, value)| (infra::contract::kafka_key(event_id), *value));
        self.topic().await.produce(records).await.unwrap();
    }
}

/// A Kafka-compatible broker of one test's own (tansu, in memory), which advertises a
/// [`Proxy`] in front of it as its address: every client connection goes through the proxy,
/// so switching it off cuts the clients off mid-run while the broker keeps its records.
pub struct PrivateKafka {
    child: Child,
    pub proxy: Proxy,
}

impl PrivateKafka {
    pub async fn start() -> Self {
        let port = crate::free_port();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let proxy = Proxy::start(address, true).await;
        let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_default();
            let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo"));
            format!("{cargo_home}/bin/tansu")
        });
        let child = Command::new(&tansu)
            .args(["broker", "--storage-engine", "memory://tansu/", "--listener-url"])
            .arg(format!("tcp://{address}"))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://127.0.0.1:{}", proxy.port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {tansu}: {e}"));
        let kafka = Self { child, proxy };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                return kafka;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("tansu did not listen on {address} within 10 s");
    }

    /// The address clients bootstrap from: the proxy's.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.proxy.port())
    }
}

impl Drop for PrivateKafka {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
