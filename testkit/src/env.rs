//! One test's private slice of the shared servers, and readers of what reached them.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use api::config::ApiSettings;
use consumers::config::ConsumersSettings;
use consumers::config::StackSettings;
use futures_util::StreamExt;
use infra::amqp::Topology;
use infra::config::{Env, LogSettings, Settings};
use infra::redis::EventKeys;
use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use redis::AsyncCommands;
use serde_json::Value;
use uuid::Uuid;

/// Where the tests' shared Kafka-compatible broker listens (`TEST_KAFKA_BOOTSTRAP`, default
/// 127.0.0.1:9092, which `scripts/test.sh` starts).
pub fn kafka_bootstrap() -> String {
    std::env::var("TEST_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// One test's private slice of the servers, removed again when dropped.
pub struct TestEnv {
    pub id: String,
    overrides: Arc<HashMap<&'static str, String>>,
    pub(crate) uses_kafka: Cell<bool>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    /// A fresh slice: its own names on the servers the process environment points at (the
    /// programs' own variables, `REDIS_URL` and the rest; their defaults otherwise). Logs go to
    /// the test's output only when `TEST_LOG` is set, with its value as the filter.
    pub fn new() -> Self {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let filter = if filter.is_empty() { "info".to_owned() } else { filter };
            infra::telemetry::init(&LogSettings { filter, json: false }).unwrap();
        }
        let id = Uuid::new_v4().simple().to_string()[..12].to_owned();
        let shared = Settings::from_env().expect("valid settings in the environment");
        let mysql = shared.mysql.url.expose();
        let mysql_server = mysql.rsplit_once('/').map_or(mysql, |(server, _)| server).to_owned();
        let overrides = HashMap::from([
            ("API_BIND", "127.0.0.1:0".to_owned()),
            ("JWT_SECRET", format!("test-secret-{id}-0123456789abcdef")),
            ("REDIS_KEY_PREFIX", format!("test-{id}")),
            ("AMQP_EXCHANGE", format!("test-{id}.ticket.events")),
            ("AMQP_QUEUE_PREFIX", format!("test-{id}.")),
            ("MYSQL_URL", format!("{mysql_server}/test_{id}")),
            ("MYSQL_POOL_MAX", "4".to_owned()),
            ("RELAY_CONSUMER", "relay-test".to_owned()),
            ("RELAY_BLOCK_MS", "100".to_owned()),
            ("RELAY_BACKOFF_MAX_MS", "300".to_owned()),
            ("API_SHUTDOWN_GRACE_SECS", "5".to_owned()),
            ("DYNAMODB_TABLE", format!("test-{id}-tickets")),
            ("DYNAMODB_SEATS_TABLE", format!("test-{id}-seats")),
            ("CONSUMER_BACKOFF_MAX_MS", "300".to_owned()),
            ("CONSUMER_SHUTDOWN_GRACE_SECS", "5".to_owned()),
            // No metrics port unless a test asks for one: tests run side by side.
            ("CONSUMER_METRICS_BIND", String::new()),
            // No replay topic unless a test asks for one (`TestEnv::kafka`).
            ("KAFKA_BOOTSTRAP", String::new()),
            ("KAFKA_TOPIC", format!("test-{id}-ticket-events")),
        ]);
        Self {
            id,
            overrides: Arc::new(overrides),
            uses_kafka: Cell::new(false),
        }
    }

    /// Sets `name` to `value` for every program and helper of this environment from now on:
    /// e.g. `AMQP_URL` of a broker of the test's own.
    pub fn set(&mut self, name: &'static str, value: String) {
        Arc::make_mut(&mut self.overrides).insert(name, value);
    }

    /// The variables this environment sets, for a program started as a process of its own
    /// (which inherits the rest from the test's environment).
    pub fn vars(&self) -> Vec<(String, String)> {
        self.overrides.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    /// The variables of this environment with `extra` on top, as the programs read them.
    pub fn env(&self, extra: &[(&str, String)]) -> Env {
        let extra: HashMap<String, String> = extra.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let overrides = self.overrides.clone();
        Env::from_lookup(move |name| {
            extra
                .get(name)
                .cloned()
                .or_else(|| overrides.get(name).cloned())
                .or_else(|| std::env::var(name).ok())
        })
    }

    /// Every section of this environment's configuration, with `extra` variables on top.
    pub fn settings(&self, extra: &[(&str, String)]) -> Settings {
        Settings::load(&self.env(extra)).expect("valid test settings")
    }

    /// What the api of this environment reads.
    pub fn api_settings(&self, extra: &[(&str, String)]) -> ApiSettings {
        ApiSettings::load(&self.env(extra)).expect("valid test settings")
    }

    /// What the consumers of this environment read.
    pub fn consumers_settings(&self, extra: &[(&str, String)]) -> ConsumersSettings {
        ConsumersSettings::load(&self.env(extra)).expect("valid test settings")
    }

    /// Every store of this environment, for a reset or an audit.
    pub fn stack_settings(&self, extra: &[(&str, String)]) -> StackSettings {
        StackSettings::load(&self.env(extra)).expect("valid test settings")
    }

    pub fn topology(&self) -> Topology {
        Topology::new(&self.settings(&[]).amqp)
    }

    pub fn mysql_queue(&self) -> String {
        self.topology().queues[0].clone()
    }

    pub fn dynamodb_queue(&self) -> String {
        self.topology().queues[1].clone()
    }

    /// Declares the exchange and queues, as any program of the stack does at start.
    pub async fn declare_topology(&self) {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        self.topology().declare(&channel).await.unwrap();
        connection.close(0, "".into()).await.ok();
    }

    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        let settings = self.settings(&[]);
        redis::Client::open(
            settings
                .redis
                .target
                .server()
                .expect("the tests run on one Redis server")
                .expose(),
        )
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
    }

    pub fn keys(&self, event_id: &str) -> EventKeys {
        EventKeys::new(&self.settings(&[]).redis.key_prefix, event_id)
    }

    /// Consumes `queue` until `expected` ticket events arrived (a batch message counts for
    /// each event it carries), then for `settle` more to catch any extra; panics if fewer
    /// arrive within `timeout`. Returns one [`Message`] per event.
    pub async fn drain(&self, queue: &str, expected: usize, timeout: Duration) -> Vec<Message> {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test-drain").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        let options = BasicConsumeOptions {
            no_ack: true,
            ..Default::default()
        };
        let mut consumer = channel
            .basic_consume(queue.into(), "test-drain".into(), options, FieldTable::default())
            .await
            .unwrap();
        let mut messages = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        let settle = Duration::from_millis(500);
        loop {
            let until = if messages.len() >= expected {
                tokio::time::Instant::now() + settle
            } else {
                deadline
            };
            match tokio::time::timeout_at(until, consumer.next()).await {
                Ok(Some(delivery)) => messages.extend(Message::of(&delivery.unwrap())),
                Ok(None) => panic!("consumer of {queue} closed"),
                Err(_) if messages.len() >= expected => break,
                Err(_) => panic!(
                    "only {} of {expected} events reached {queue} in {timeout:?}",
                    messages.len()
                ),
            }
        }
        connection.close(0, "".into()).await.ok();
        messages
    }

    /// Entries in the outbox stream of `event_id`, and how many of them are pending.
    pub async fn outbox(&self, event_id: &str) -> (usize, usize) {
        let mut redis = self.redis().await;
        let stream = self.keys(event_id).outbox();
        let len: usize = redis.xlen(&stream).await.unwrap();
        let pending: redis::RedisResult<redis::streams::StreamPendingReply> =
            redis.xpending(&stream, api::relay::outbox::GROUP).await;
        match pending {
            Ok(pending) => (len, pending.count()),
            // No relay has read this outbox yet: nothing is pending.
            Err(e) if e.code() == Some("NOGROUP") => (len, 0),
            Err(e) => panic!("XPENDING {stream}: {e}"),
        }
    }
}

impl Drop for TestEnv {
    /// Deletes this test's keys, queues, exchange, database, tables and topic, on a thread of
    /// its own since `Drop` cannot await.
    fn drop(&mut self) {
        let kafka = if self.uses_kafka.get() {
            self.kafka()
        } else {
            Vec::new()
        };
        let settings = self.stack_settings(&kafka);
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(consumers::reset::remove_all(&settings));
            }
        });
        cleanup.join().ok();
    }
}

/// One ticket event taken from a queue, with the properties of the message that carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_id: Option<String>,
    /// The AMQP `type`.
    pub kind: Option<String>,
    pub content_type: Option<String>,
    pub persistent: bool,
    /// The event (or the whole body, as a string if it is not JSON).
    pub body: Value,
    /// The ticket ids of every event of the carrying message, in order.
    pub batch: Vec<String>,
    /// The AMQP headers, as text.
    pub headers: Vec<(String, String)>,
}

impl Message {
    /// The events of `delivery`: each of a batch, or the body itself.
    fn of(delivery: &lapin::message::Delivery) -> Vec<Self> {
        let properties = &delivery.properties;
        let body: Value = serde_json::from_slice(&delivery.data)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&delivery.data).into_owned()));
        let events = match body.get("events").and_then(Value::as_array) {
            Some(events) if body["v"] == infra::contract::BATCH_VERSION => events.clone(),
            _ => vec![body],
        };
        let batch: Vec<String> = events
            .iter()
            .filter_map(|e| e["ticketId"].as_str().map(str::to_owned))
            .collect();
        let headers: Vec<(String, String)> = properties
            .headers()
            .as_ref()
            .map(|h| {
                h.inner()
                    .iter()
                    .map(|(k, v)| {
                        let text = match v {
                            lapin::types::AMQPValue::LongString(s) => {
                                String::from_utf8_lossy(s.as_bytes()).into_owned()
                            }
                            other => format!("{other:?}"),
                        };
                        (k.to_string(), text)
                    })
                    .collect()
            })
            .unwrap_or_default();
        events
            .into_iter()
            .map(|event| Self {
                message_id: properties.message_id().as_ref().map(|m| m.to_string()),
                kind: properties.kind().as_ref().map(|t| t.to_string()),
                content_type: properties.content_type().as_ref().map(|c| c.to_string()),
                persistent: properties.delivery_mode() == &Some(2),
                body: event,
                batch: batch.clone(),
                headers: headers.clone(),
            })
            .collect()
    }

    /// The value of header `name`, if the message has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
