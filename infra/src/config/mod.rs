//! Configuration from environment variables, with local defaults, validated once at start.
//!
//! Every variable the programs read is read here, through an [`Env`], and listed in the
//! README's configuration table and in `.env.template`. The configuration comes in sections
//! (one struct per part of the stack, each with its defaults in its `load`); every binary
//! loads and validates only the sections it uses (`api::config`, `consumers::config`), so a
//! bad value for one tier never stops another. URLs may carry credentials: they are
//! [`SecretUrl`]s, printed with the password masked.

mod env;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use env::invalid;
pub use env::{ConfigError, Env, SecretUrl};
use secrecy::SecretString;

/// Logging.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `RUST_LOG`: the filter, e.g. `api=debug,info`.
    pub filter: String,
    /// `LOG_FORMAT`: `text` (the default) or `json`, one JSON object per line.
    pub json: bool,
}

impl LogSettings {
    /// Reads `RUST_LOG` and `LOG_FORMAT`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let format = env.get("LOG_FORMAT", "text");
        let json = match format.trim().to_ascii_lowercase().as_str() {
            "text" => false,
            "json" => true,
            _ => return Err(invalid("LOG_FORMAT", format, "must be text or json")),
        };
        Ok(Self {
            filter: env.get("RUST_LOG", "info"),
            json,
        })
    }
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

impl HttpSettings {
    /// Reads the `API_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bind: env.parse("API_BIND", "0.0.0.0:8080")?,
            body_limit: env.parse_in("API_BODY_LIMIT_BYTES", "4096", 64..=1 << 20)?,
            shutdown_grace: Duration::from_secs(env.parse_in("API_SHUTDOWN_GRACE_SECS", "15", 0..=600)?),
        })
    }
}

/// Buyers' accounts and their tokens.
#[derive(Clone)]
pub struct AuthSettings {
    /// `JWT_SECRET`: the HS256 key tokens are signed with, at least 32 bytes; no default, so
    /// an api without one does not start (the local scripts generate one into `.local/`).
    pub jwt_secret: SecretString,
    /// `JWT_TTL_SECS`: how long a token is valid.
    pub jwt_ttl: Duration,
    /// `API_REQUIRE_AUTH`: `true` refuses anonymous direct purchases (401); by default
    /// `POST /api/v1/tickets` sells without a token, as the contention benchmarks need.
    pub require_auth: bool,
}

impl AuthSettings {
    /// Reads `JWT_SECRET`, `JWT_TTL_SECS` and `API_REQUIRE_AUTH`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            jwt_secret: env.secret("JWT_SECRET", 32)?,
            jwt_ttl: Duration::from_secs(env.parse_in("JWT_TTL_SECS", "3600", 60..=7 * 86_400)?),
            require_auth: env.parse("API_REQUIRE_AUTH", "false")?,
        })
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"(hidden)")
            .field("jwt_ttl", &self.jwt_ttl)
            .field("require_auth", &self.require_auth)
            .finish()
    }
}

/// Seat holds and checkout.
#[derive(Debug, Clone)]
pub struct HoldSettings {
    /// `HOLD_TTL_SECS`: how long a hold keeps its seats.
    pub ttl: Duration,
    /// `HOLD_MAX_SEATS`: the most seats one hold may take.
    pub max_seats: usize,
    /// `PAYMENT_LATENCY_MS`: how long the simulated payment gateway takes per call.
    pub payment_latency: Duration,
}

impl HoldSettings {
    /// Reads `HOLD_TTL_SECS`, `HOLD_MAX_SEATS` and `PAYMENT_LATENCY_MS`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            ttl: Duration::from_secs(env.parse_in("HOLD_TTL_SECS", "600", 1..=86_400)?),
            max_seats: env.parse_in("HOLD_MAX_SEATS", "10", 1..=100)?,
            payment_latency: Duration::from_millis(env.parse_in("PAYMENT_LATENCY_MS", "0", 0..=60_000)?),
        })
    }
}

/// Redis.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// Where Redis is: one server or a cluster.
    pub target: RedisTarget,
    /// `REDIS_KEY_PREFIX`: first segment of every key, so stacks (or tests) can share a server.
    pub key_prefix: String,
    /// `REDIS_TIMEOUT_MS`: a purchase waits at most this long for Redis, then answers 503.
    pub timeout: Duration,
}

/// One Redis server, or the nodes of a Redis Cluster.
#[derive(Debug, Clone)]
pub enum RedisTarget {
    /// `REDIS_URL`.
    Server(SecretUrl),
    /// `REDIS_CLUSTER_NODES`: some nodes of a Redis Cluster (`host:port` or `redis://` URLs,
    /// comma-separated); the client learns the others from them.
    Cluster(Vec<SecretUrl>),
}

impl RedisTarget {
    /// The server's URL, unless this is a cluster.
    pub fn server(&self) -> Option<&SecretUrl> {
        match self {
            Self::Server(url) => Some(url),
            Self::Cluster(_) => None,
        }
    }
}

impl std::fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Server(url) => write!(f, "{url}"),
            Self::Cluster(nodes) => {
                f.write_str("the cluster of ")?;
                for (i, node) in nodes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{node}")?;
                }
                Ok(())
            }
        }
    }
}

impl RedisSettings {
    /// Reads the `REDIS_*` variables. `REDIS_URL` and `REDIS_CLUSTER_NODES` exclude each
    /// other: a program that is given both would otherwise sell on one and not the other.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let nodes = env.urls("REDIS_CLUSTER_NODES", "", "redis", &["redis", "rediss"])?;
        let target = if nodes.is_empty() {
            RedisTarget::Server(env.url("REDIS_URL", "redis://127.0.0.1:6379", &["redis", "rediss"])?)
        } else if env.var("REDIS_URL").is_some_and(|url| !url.is_empty()) {
            return Err(invalid(
                "REDIS_CLUSTER_NODES",
                env.get("REDIS_CLUSTER_NODES", ""),
                "excludes REDIS_URL: set one of them",
            ));
        } else {
            RedisTarget::Cluster(nodes)
        };
        Ok(Self {
            target,
            key_prefix: env.key_prefix("REDIS_KEY_PREFIX", "tk")?,
            timeout: env.millis("REDIS_TIMEOUT_MS", "1000")?,
        })
    }
}

/// RabbitMQ.
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// `AMQP_URL`: the broker, or the nodes of a RabbitMQ cluster as URLs separated by commas
    /// (a program connects to one and moves on to the next when it cannot reach it).
    pub nodes: Vec<SecretUrl>,
    /// `AMQP_EXCHANGE`: where ticket events are published.
    pub exchange: String,
    /// `AMQP_QUEUE_PREFIX`: prepended to every queue name (empty in production).
    pub queue_prefix: String,
    /// `AMQP_TIMEOUT_MS`: the longest connecting and setting up, closing, or confirming a
    /// batch may take. A broker that accepts connections but does not answer (a node still
    /// booting, a half-dead one) counts as down after this long, like one that refuses them.
    pub timeout: Duration,
}

impl AmqpSettings {
    /// Reads the `AMQP_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            nodes: match env.urls(
                "AMQP_URL",
                "amqp://guest:guest@127.0.0.1:5672/%2f",
                "amqp",
                &["amqp", "amqps"],
            )? {
                nodes if nodes.is_empty() => {
                    return Err(invalid("AMQP_URL", String::new(), "must name at least one node"))
                }
                nodes => nodes,
            },
            exchange: env.non_empty("AMQP_EXCHANGE", "ticket.events")?,
            queue_prefix: env.get("AMQP_QUEUE_PREFIX", ""),
            timeout: env.millis("AMQP_TIMEOUT_MS", "30000")?,
        })
    }
}

/// MySQL / MariaDB.
#[derive(Debug, Clone)]
pub struct MysqlSettings {
    /// `MYSQL_URL`, including the database name, which is created if missing.
    pub url: SecretUrl,
    /// `MYSQL_READ_URL`: a read replica of `MYSQL_URL`'s server, for the api's ticket
    /// queries; unset, they go to `MYSQL_URL` as well.
    pub read_url: Option<SecretUrl>,
    /// `MYSQL_POOL_MAX`: connections per process.
    pub pool_max: usize,
}

impl MysqlSettings {
    /// Reads the `MYSQL_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            url: env.url("MYSQL_URL", "mysql://root@127.0.0.1:3306/ticketing", &["mysql"])?,
            read_url: match env.var("MYSQL_READ_URL").filter(|url| !url.is_empty()) {
                Some(_) => Some(env.url("MYSQL_READ_URL", "", &["mysql"])?),
                None => None,
            },
            pool_max: env.parse_in("MYSQL_POOL_MAX", "16", 1..=1000)?,
        })
    }
}

/// The outbox relay inside the api process.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// `RELAY_ENABLED`: `false` runs an api that only sells (another instance relays).
    pub enabled: bool,
    /// `RELAY_CONSUMER`: this relay's name in the Redis consumer group; keep it stable across
    /// restarts of one instance so it resumes its own pending entries first. Default:
    /// `relay-` and the host name (`HOSTNAME`, else `/etc/hostname`).
    pub consumer: String,
    /// `RELAY_BATCH_SIZE`: at most this many entries are published and acknowledged together.
    pub batch_size: usize,
    /// `RELAY_BLOCK_MS`: how long one read waits for new entries.
    pub block: Duration,
    /// `RELAY_CLAIM_IDLE_MS`: entries another relay read but did not acknowledge for this
    /// long are taken over (that relay is presumed dead).
    pub claim_idle: Duration,
    /// `RELAY_BACKOFF_MAX_MS`: cap of the retry backoff while the broker is down.
    pub backoff_max: Duration,
}

impl RelaySettings {
    /// Reads the `RELAY_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: env.parse("RELAY_ENABLED", "true")?,
            consumer: env.non_empty("RELAY_CONSUMER", &default_consumer_name(env))?,
            batch_size: env.parse_in("RELAY_BATCH_SIZE", "500", 1..=10_000)?,
            block: env.millis("RELAY_BLOCK_MS", "1000")?,
            claim_idle: env.millis("RELAY_CLAIM_IDLE_MS", "30000")?,
            backoff_max: env.millis("RELAY_BACKOFF_MAX_MS", "5000")?,
        })
    }
}

/// The queue consumers (both stores).
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// `CONSUMER_PREFETCH`: unacknowledged messages the broker may hand each worker.
    pub prefetch: u16,
    /// `CONSUMER_BATCH_SIZE`: tickets written to a store in one batch (messages are
    /// gathered until they carry this many; a batch message is never split).
    pub batch_size: usize,
    /// `CONSUMER_BATCH_WAIT_MS`: how long a batch waits to fill once its first message arrived.
    pub batch_wait: Duration,
    /// `CONSUMER_CONCURRENCY`: workers per store, each with its own channel and batch.
    pub concurrency: usize,
    /// `CONSUMER_BACKOFF_MAX_MS`: cap of the retry backoff while a store or the broker is down.
    pub backoff_max: Duration,
    /// `CONSUMER_SHUTDOWN_GRACE_SECS`: on SIGTERM, how long the batch in flight may take to finish.
    pub shutdown_grace: Duration,
    /// `CONSUMER_METRICS_BIND`: where `/metrics` is served; empty for nowhere.
    pub metrics_bind: Option<SocketAddr>,
}

/// Where the consumers serve their metrics unless told otherwise.
const METRICS_BIND: &str = "127.0.0.1:9100";

impl ConsumerSettings {
    /// Reads the `CONSUMER_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            prefetch: env.parse_in("CONSUMER_PREFETCH", "1000", 1..=u16::MAX)?,
            batch_size: env.parse_in("CONSUMER_BATCH_SIZE", "250", 1..=5000)?,
            batch_wait: env.millis("CONSUMER_BATCH_WAIT_MS", "20")?,
            concurrency: env.parse_in("CONSUMER_CONCURRENCY", "2", 1..=64)?,
            backoff_max: env.millis("CONSUMER_BACKOFF_MAX_MS", "5000")?,
            shutdown_grace: Duration::from_secs(env.parse_in("CONSUMER_SHUTDOWN_GRACE_SECS", "15", 0..=600)?),
            metrics_bind: match env.get("CONSUMER_METRICS_BIND", METRICS_BIND).trim() {
                "" => None,
                _ => Some(env.parse("CONSUMER_METRICS_BIND", METRICS_BIND)?),
            },
        })
    }
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
    /// Fixed local credentials instead of AWS's credential chain: with an explicit endpoint
    /// (DynamoDB Local) and no `AWS_ACCESS_KEY_ID`. Otherwise the AWS SDK reads its own
    /// `AWS_*` variables, profile or instance role.
    pub local_credentials: bool,
}

impl DynamoDbSettings {
    /// Reads the `DYNAMODB_*` variables and `AWS_REGION`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let endpoint = Some(env.get("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")).filter(|e| !e.trim().is_empty());
        Ok(Self {
            local_credentials: endpoint.is_some() && env.var("AWS_ACCESS_KEY_ID").is_none(),
            endpoint,
            region: env.non_empty("AWS_REGION", "us-east-1")?,
            table: env.name("DYNAMODB_TABLE", "tickets", 3..=255)?,
            seats_table: env.name("DYNAMODB_SEATS_TABLE", "ticket_seats", 3..=255)?,
        })
    }
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

    /// Reads the `KAFKA_*` variables.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bootstrap: env.host_ports("KAFKA_BOOTSTRAP")?,
            topic: env.name("KAFKA_TOPIC", "ticket-events", 1..=249)?,
            partitions: env.parse_in("KAFKA_PARTITIONS", "1", 1..=1000)?,
        })
    }
}

/// The catalog's seed file.
#[derive(Debug, Clone)]
pub struct CatalogSettings {
    /// `CATALOG_PATH`: the seed file; the seed built into the binaries when unset.
    pub path: Option<PathBuf>,
}

impl CatalogSettings {
    /// Reads `CATALOG_PATH`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            path: env.var("CATALOG_PATH").filter(|p| !p.is_empty()).map(PathBuf::from),
        })
    }

    /// The catalog, read and validated.
    pub fn catalog(&self) -> anyhow::Result<domain::Catalog> {
        crate::seed::load(self.path.as_deref())
    }
}

/// Every section: the whole stack's configuration, for the tools that touch every part of it
/// (the load test's checks, the test harness). The binaries load only their own sections.
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
    /// The catalog's seed file.
    pub catalog: CatalogSettings,
}

impl Settings {
    /// Every section, from `env`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpSettings::load(env)?,
            redis: RedisSettings::load(env)?,
            amqp: AmqpSettings::load(env)?,
            mysql: MysqlSettings::load(env)?,
            relay: RelaySettings::load(env)?,
            consumer: ConsumerSettings::load(env)?,
            dynamodb: DynamoDbSettings::load(env)?,
            kafka: KafkaSettings::load(env)?,
            catalog: CatalogSettings::load(env)?,
        })
    }

    /// Every section, from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&Env::process())
    }
}

/// The host name, so each instance of a scaled-out api has its own relay consumer.
fn default_consumer_name(env: &Env) -> String {
    env.var("HOSTNAME")
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .map_or_else(|| "relay".to_owned(), |h| format!("relay-{h}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Env::from_lookup(move |name| vars.get(name).cloned())
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load(&env(vars))
    }

    #[test]
    fn defaults_describe_the_local_stack() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.http.bind.port(), 8080);
        assert_eq!(s.redis.target.server().unwrap().expose(), "redis://127.0.0.1:6379");
        assert_eq!(s.amqp.exchange, "ticket.events");
        assert!(s.mysql.url.expose().ends_with("/ticketing"));
        assert!(s.relay.enabled);
        assert!(s.catalog.path.is_none());
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
        let log = LogSettings::load(&env(&[])).unwrap();
        assert_eq!((log.filter.as_str(), log.json), ("info", false));
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
        let err = LogSettings::load(&env(&[("LOG_FORMAT", "yaml")])).unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
    }

    #[test]
    fn a_section_validates_only_its_own_variables() {
        let broken_api = env(&[("API_BIND", "nowhere"), ("RELAY_BATCH_SIZE", "0")]);
        assert!(HttpSettings::load(&broken_api).is_err());
        assert!(ConsumerSettings::load(&broken_api).is_ok());
        assert!(DynamoDbSettings::load(&broken_api).is_ok());
    }

    #[test]
    fn secrets_never_reach_debug_or_display_output() {
        let s = settings(&[("AMQP_URL", "amqp://app:s3cret@mq:5672/%2f")]).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("amqp://app:***@mq:5672/%2f"), "{debug}");
        assert_eq!(s.amqp.nodes[0].to_string(), "amqp://app:***@mq:5672/%2f");
        assert_eq!(s.amqp.nodes[0].expose(), "amqp://app:s3cret@mq:5672/%2f");
        let cluster = settings(&[(
            "AMQP_URL",
            "amqp://app:s3cret@mq1:5672/%2f, amqp://app:s3cret@mq2:5672/%2f",
        )])
        .unwrap();
        let nodes: Vec<String> = cluster.amqp.nodes.iter().map(ToString::to_string).collect();
        assert_eq!(nodes, ["amqp://app:***@mq1:5672/%2f", "amqp://app:***@mq2:5672/%2f"]);
        let err = settings(&[("MYSQL_URL", "postgres://u:hunter2@db/x")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn the_relay_is_named_after_the_host() {
        let relay = RelaySettings::load(&env(&[("HOSTNAME", "api-2")])).unwrap();
        assert_eq!(relay.consumer, "relay-api-2");
        let relay = RelaySettings::load(&env(&[("HOSTNAME", "api-2"), ("RELAY_CONSUMER", "r9")])).unwrap();
        assert_eq!(relay.consumer, "r9");
    }

    #[test]
    fn dynamodb_local_gets_local_credentials_unless_aws_ones_are_set() {
        assert!(DynamoDbSettings::load(&env(&[])).unwrap().local_credentials);
        assert!(
            !DynamoDbSettings::load(&env(&[("AWS_ACCESS_KEY_ID", "AKIA")]))
                .unwrap()
                .local_credentials
        );
        assert!(
            !DynamoDbSettings::load(&env(&[("DYNAMODB_ENDPOINT", "")]))
                .unwrap()
                .local_credentials
        );
    }

    #[test]
    fn redis_cluster_nodes_replace_redis_url_and_exclude_it() {
        let redis = |vars: &[(&str, &str)]| RedisSettings::load(&env(vars));
        let nodes = redis(&[("REDIS_CLUSTER_NODES", "10.0.0.1:7000, redis://:pw@10.0.0.2:7001,")]).unwrap();
        let RedisTarget::Cluster(nodes) = nodes.target else {
            panic!("not a cluster")
        };
        let nodes: Vec<&str> = nodes.iter().map(SecretUrl::expose).collect();
        assert_eq!(nodes, ["redis://10.0.0.1:7000", "redis://:pw@10.0.0.2:7001"]);

        let both = redis(&[("REDIS_CLUSTER_NODES", "a:7000"), ("REDIS_URL", "redis://b:6379")]);
        assert!(both.unwrap_err().to_string().contains("excludes REDIS_URL"));
        let bad = redis(&[("REDIS_CLUSTER_NODES", "a:7000,http://:secret@b:80")]).unwrap_err();
        assert!(bad.to_string().contains("is not a redis or rediss URL"), "{bad}");
        assert!(!bad.to_string().contains("secret"), "{bad}");
        assert!(redis(&[("REDIS_CLUSTER_NODES", "")]).unwrap().target.server().is_some());
    }
}
