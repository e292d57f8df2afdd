//! Configuration from environment variables, with local defaults, validated once at start.
//!
//! Every variable is listed in the README's configuration table and in `.env.template`.
//! URLs may carry credentials, so `Debug` output redacts them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A variable that is set but unusable; the process stops with this message.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

/// Everything the api and the consumers read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The HTTP server.
    pub http: HttpSettings,
    /// Seat state and the outbox.
    pub redis: RedisSettings,
    /// The broker.
    pub amqp: AmqpSettings,
    /// The read model and the catalog tables.
    pub mysql: MysqlSettings,
    /// The outbox relay.
    pub relay: RelaySettings,
    /// The queue consumers.
    pub consumer: ConsumerSettings,
    /// The DynamoDB write model.
    pub dynamodb: DynamoDbSettings,
    /// The optional Kafka-compatible replay topic.
    pub kafka: KafkaSettings,
    /// Seed file of the catalog; the built-in seed when unset.
    pub catalog_path: Option<PathBuf>,
}

/// The HTTP server.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `API_BIND`: listen address (port 0 picks a free port).
    pub bind: SocketAddr,
    /// `API_BODY_LIMIT_BYTES`: larger request bodies get 413.
    pub body_limit: u64,
    /// `API_SHUTDOWN_GRACE_SECS`: how long shutdown waits for requests and the relay.
    pub shutdown_grace: Duration,
}

/// Redis.
#[derive(Clone)]
pub struct RedisSettings {
    /// `REDIS_URL`.
    pub url: String,
    /// `REDIS_KEY_PREFIX`: first segment of every key, so stacks (or tests) can share a server.
    pub key_prefix: String,
    /// `REDIS_TIMEOUT_MS`: a purchase waits at most this long for Redis, then answers 503.
    pub timeout: Duration,
}

/// RabbitMQ.
#[derive(Clone)]
pub struct AmqpSettings {
    /// `AMQP_URL`.
    pub url: String,
    /// `AMQP_EXCHANGE`: where ticket events are published.
    pub exchange: String,
    /// `AMQP_QUEUE_PREFIX`: prepended to every queue name (empty in production).
    pub queue_prefix: String,
}

/// MySQL / MariaDB.
#[derive(Clone)]
pub struct MysqlSettings {
    /// `MYSQL_URL`, including the database name, which is created if missing.
    pub url: String,
    /// `MYSQL_POOL_MAX`: connections per process.
    pub pool_max: usize,
}

/// The outbox relay inside the api process.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// `RELAY_ENABLED`: `false` runs an api that only sells (another instance relays).
    pub enabled: bool,
    /// `RELAY_CONSUMER`: this relay's name in the Redis consumer group; keep it stable across
    /// restarts of one instance so it resumes its own pending entries first.
    pub consumer: String,
    /// `RELAY_BATCH_SIZE`: entries read, published and acknowledged together.
    pub batch_size: usize,
    /// `RELAY_BLOCK_MS`: how long one read waits for new entries.
    pub block: Duration,
    /// `RELAY_CLAIM_IDLE_MS`: entries another relay read but did not acknowledge for this
    /// long are taken over (that relay is presumed dead).
    pub claim_idle: Duration,
    /// `RELAY_BACKOFF_MAX_MS`: cap of the retry backoff while the broker is down.
    pub backoff_max: Duration,
}

/// The queue consumers (both stores).
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// `CONSUMER_PREFETCH`: unacknowledged messages the broker may hand each worker.
    pub prefetch: u16,
    /// `CONSUMER_BATCH_SIZE`: messages written to a store in one batch.
    pub batch_size: usize,
    /// `CONSUMER_BATCH_WAIT_MS`: how long a batch waits to fill once its first message arrived.
    pub batch_wait: Duration,
    /// `CONSUMER_CONCURRENCY`: workers per store, each with its own channel and batch.
    pub concurrency: usize,
    /// `CONSUMER_BACKOFF_MAX_MS`: cap of the retry backoff while a store or the broker is down.
    pub backoff_max: Duration,
    /// `CONSUMER_SHUTDOWN_GRACE_SECS`: on SIGTERM, how long the batch in flight may take to finish.
    pub shutdown_grace: Duration,
}

/// DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoDbSettings {
    /// `DYNAMODB_ENDPOINT`: DynamoDB Local's URL; empty for AWS's own endpoint of the region.
    pub endpoint: Option<String>,
    /// `AWS_REGION`.
    pub region: String,
    /// `DYNAMODB_TABLE`: the tickets, partition key `ticketId`, GSI `eventId-index`.
    pub table: String,
    /// `DYNAMODB_SEATS_TABLE`: one item per sold seat naming its ticket, which makes a second
    /// ticket for a seat detectable.
    pub seats_table: String,
}

/// The Kafka-compatible replay topic (DESIGN: optional).
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    /// `KAFKA_BOOTSTRAP`: `host:port[,host:port...]`; empty (the default) means no topic: the
    /// relay publishes to RabbitMQ only and `consumers replay` refuses to run.
    pub bootstrap: Vec<String>,
    /// `KAFKA_TOPIC`: the topic of every ticket event, keyed by event id.
    pub topic: String,
    /// `KAFKA_PARTITIONS`: partitions of the topic when the programs create it.
    pub partitions: i32,
}

impl KafkaSettings {
    /// Whether a topic is configured.
    pub fn enabled(&self) -> bool {
        !self.bootstrap.is_empty()
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests can configure without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let settings = Self {
            http: HttpSettings {
                bind: env.parse("API_BIND", "0.0.0.0:8080")?,
                body_limit: env.parse_in("API_BODY_LIMIT_BYTES", "4096", 64..=1 << 20)?,
                shutdown_grace: Duration::from_secs(env.parse_in("API_SHUTDOWN_GRACE_SECS", "15", 0..=600)?),
            },
            redis: RedisSettings {
                url: env.url("REDIS_URL", "redis://127.0.0.1:6379", &["redis", "rediss"])?,
                key_prefix: env.key_prefix("REDIS_KEY_PREFIX", "tk")?,
                timeout: env.millis("REDIS_TIMEOUT_MS", "1000")?,
            },
            amqp: AmqpSettings {
                url: env.url("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f", &["amqp", "amqps"])?,
                exchange: env.non_empty("AMQP_EXCHANGE", "ticket.events")?,
                queue_prefix: env.get("AMQP_QUEUE_PREFIX", ""),
            },
            mysql: MysqlSettings {
                url: env.url("MYSQL_URL", "mysql://root@127.0.0.1:3306/ticketing", &["mysql"])?,
                pool_max: env.parse_in("MYSQL_POOL_MAX", "16", 1..=1000)?,
            },
            relay: RelaySettings {
                enabled: env.parse("RELAY_ENABLED", "true")?,
                consumer: env.non_empty("RELAY_CONSUMER", &default_consumer_name())?,
                batch_size: env.parse_in("RELAY_BATCH_SIZE", "500", 1..=10_000)?,
                block: env.millis("RELAY_BLOCK_MS", "1000")?,
                claim_idle: env.millis("RELAY_CLAIM_IDLE_MS", "30000")?,
                backoff_max: env.millis("RELAY_BACKOFF_MAX_MS", "5000")?,
            },
            consumer: ConsumerSettings {
                prefetch: env.parse_in("CONSUMER_PREFETCH", "1000", 1..=u16::MAX)?,
                batch_size: env.parse_in("CONSUMER_BATCH_SIZE", "250", 1..=5000)?,
                batch_wait: env.millis("CONSUMER_BATCH_WAIT_MS", "20")?,
                concurrency: env.parse_in("CONSUMER_CONCURRENCY", "2", 1..=64)?,
                backoff_max: env.millis("CONSUMER_BACKOFF_MAX_MS", "5000")?,
                shutdown_grace: Duration::from_secs(env.parse_in("CONSUMER_SHUTDOWN_GRACE_SECS", "15", 0..=600)?),
            },
            dynamodb: DynamoDbSettings {
                endpoint: Some(env.get("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")).filter(|e| !e.trim().is_empty()),
                region: env.non_empty("AWS_REGION", "us-east-1")?,
                table: env.name("DYNAMODB_TABLE", "tickets", 3..=255)?,
                seats_table: env.name("DYNAMODB_SEATS_TABLE", "ticket_seats", 3..=255)?,
            },
            kafka: KafkaSettings {
                bootstrap: env.host_ports("KAFKA_BOOTSTRAP")?,
                topic: env.name("KAFKA_TOPIC", "ticket-events", 1..=249)?,
                partitions: env.parse_in("KAFKA_PARTITIONS", "1", 1..=1000)?,
            },
            catalog_path: lookup("CATALOG_PATH").filter(|p| !p.is_empty()).map(PathBuf::from),
        };
        Ok(settings)
    }
}

/// The host name, so each instance of a scaled-out api has its own relay consumer.
fn default_consumer_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .map_or_else(|| "relay".to_owned(), |h| format!("relay-{h}"))
}

struct Env<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn get(&self, name: &str, default: &str) -> String {
        (self.0)(name).unwrap_or_else(|| default.to_owned())
    }

    fn invalid(name: &'static str, value: String, reason: impl ToString) -> ConfigError {
        ConfigError {
            name,
            value,
            reason: reason.to_string(),
        }
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: &str) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        let value = self.get(name, default);
        value.trim().parse().map_err(|e| Self::invalid(name, value, e))
    }

    fn parse_in<T>(
        &self,
        name: &'static str,
        default: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Debug,
        T::Err: fmt::Display,
    {
        let parsed: T = self.parse(name, default)?;
        if range.contains(&parsed) {
            Ok(parsed)
        } else {
            Err(Self::invalid(
                name,
                self.get(name, default),
                format!("must be in {range:?}"),
            ))
        }
    }

    fn millis(&self, name: &'static str, default: &str) -> Result<Duration, ConfigError> {
        self.parse_in(name, default, 1..=3_600_000u64)
            .map(Duration::from_millis)
    }

    fn non_empty(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.get(name, default);
        if value.trim().is_empty() {
            return Err(Self::invalid(name, value, "must not be empty"));
        }
        Ok(value)
    }

    fn key_prefix(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.non_empty(name, default)?;
        if value.contains(['{', '}', ' ']) {
            return Err(Self::invalid(
                name,
                value,
                "must not contain braces or spaces (keys carry hash tags)",
            ));
        }
        Ok(value)
    }

    /// A comma-separated list of `host:port`; empty when unset.
    fn host_ports(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        let value = self.get(name, "");
        let mut list = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let valid = item
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
            if !valid {
                let reason = format!("`{item}` is not host:port");
                return Err(Self::invalid(name, value.clone(), reason));
            }
            list.push(item.to_owned());
        }
        Ok(list)
    }

    /// A name of `lengths` characters of A-Z, a-z, 0-9, '_', '-', '.': what DynamoDB tables
    /// (3 to 255) and Kafka topics (1 to 249) accept alike.
    fn name(
        &self,
        name: &'static str,
        default: &str,
        lengths: std::ops::RangeInclusive<usize>,
    ) -> Result<String, ConfigError> {
        let value = self.get(name, default);
        let valid = lengths.contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            let reason = format!(
                "must be {} to {} characters of A-Z, a-z, 0-9, '_', '-', '.'",
                lengths.start(),
                lengths.end()
            );
            return Err(Self::invalid(name, value, reason));
        }
        Ok(value)
    }

    fn url(&self, name: &'static str, default: &str, schemes: &[&str]) -> Result<String, ConfigError> {
        let value = self.get(name, default);
        match value.split_once("://") {
            Some((scheme, rest)) if schemes.contains(&scheme) && !rest.is_empty() => Ok(value),
            _ => Err(Self::invalid(
                name,
                redact(&value),
                format!("must be a URL with scheme {}", schemes.join(" or ")),
            )),
        }
    }
}

/// `scheme://user:secret@host/...` with the password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{user}{masked}@{host}")
        }
        None => authority.to_owned(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("url", &redact(&self.url))
                    $(.field(stringify!($field), &self.$field))*
                    .finish()
            }
        }
    };
}

redacted_debug!(RedisSettings { key_prefix, timeout });
redacted_debug!(AmqpSettings { exchange, queue_prefix });
redacted_debug!(MysqlSettings { pool_max });

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_describe_the_local_stack() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.http.bind.port(), 8080);
        assert_eq!(s.redis.url, "redis://127.0.0.1:6379");
        assert_eq!(s.amqp.exchange, "ticket.events");
        assert!(s.mysql.url.ends_with("/ticketing"));
        assert!(s.relay.enabled);
        assert!(s.catalog_path.is_none());
        assert_eq!(s.dynamodb.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(s.dynamodb.table, "tickets");
        assert!(!s.kafka.enabled());
        assert_eq!(s.kafka.topic, "ticket-events");
        let kafka = settings(&[("KAFKA_BOOTSTRAP", "k1:9092, k2:9093")]).unwrap().kafka;
        assert_eq!(kafka.bootstrap, ["k1:9092", "k2:9093"]);
        assert!(settings(&[("DYNAMODB_ENDPOINT", "")])
            .unwrap()
            .dynamodb
            .endpoint
            .is_none());
    }

    #[test]
    fn bad_values_stop_the_program_with_the_variable_named() {
        for (name, value) in [
            ("API_BIND", "not-an-address"),
            ("MYSQL_POOL_MAX", "0"),
            ("RELAY_BATCH_SIZE", "-1"),
            ("REDIS_URL", "http://localhost"),
            ("AMQP_URL", ""),
            ("REDIS_KEY_PREFIX", "a{b}"),
            ("RELAY_ENABLED", "maybe"),
            ("RELAY_BLOCK_MS", "0"),
            ("CONSUMER_PREFETCH", "0"),
            ("CONSUMER_CONCURRENCY", "0"),
            ("DYNAMODB_TABLE", "a b"),
            ("KAFKA_BOOTSTRAP", "kafka"),
            ("KAFKA_BOOTSTRAP", "kafka:0"),
            ("KAFKA_TOPIC", "a/b"),
            ("KAFKA_PARTITIONS", "0"),
        ] {
            let err = settings(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn secrets_never_reach_debug_output() {
        let s = settings(&[("AMQP_URL", "amqp://app:s3cret@mq:5672/%2f")]).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("amqp://app:***@mq:5672/%2f"), "{debug}");
    }

    #[test]
    fn redact_leaves_urls_without_passwords_alone() {
        assert_eq!(
            redact("mysql://root@db:3306/ticketing"),
            "mysql://root@db:3306/ticketing"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("redis://:pw@h"), "redis://:***@h");
    }
}
