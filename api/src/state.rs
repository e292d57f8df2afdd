//! What the handlers share: the catalog, the seat lock, the stores, tokens, the relay's
//! health. Built once at start ([`crate::startup`]).

use std::sync::Arc;

use domain::Catalog;
use infra::config::{AmqpSettings, HoldSettings, KafkaSettings};
use infra::redis::Conn;
use mysql_async::Pool;

use crate::auth::limiter::Limiter;
use crate::auth::token::Tokens;
use crate::holds::store::HoldStore;
use crate::payment::PaymentGateway;
use crate::purchase::seat_lock::SeatLock;
use crate::recovery::Rebuilds;
use crate::relay::LinkHealth;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

/// Everything the state holds.
pub struct Parts {
    /// The in-memory catalog.
    pub catalog: Catalog,
    /// The commit point of direct purchases.
    pub seat_lock: SeatLock,
    /// The shared, multiplexed Redis connection.
    pub redis: Conn,
    /// The prefix of every Redis key.
    pub key_prefix: String,
    /// The MySQL pool: the primary.
    pub mysql: Pool,
    /// A pool on the read replica, if there is one (`MYSQL_READ_URL`).
    pub mysql_replica: Option<Pool>,
    /// The relay's broker link, if this instance relays.
    pub broker: Option<LinkHealth>,
    /// The relay's replay-topic link, if it produces to one.
    pub topic: Option<LinkHealth>,
    /// Largest accepted request body.
    pub body_limit: u64,
    /// Signs and checks access tokens.
    pub tokens: Tokens,
    /// Whether `POST /api/v1/tickets` needs a token.
    pub require_auth: bool,
    /// Hold lifetime and size.
    pub holds: HoldSettings,
    /// The hold scripts.
    pub hold_store: HoldStore,
    /// Where checkouts pay.
    pub gateway: Arc<dyn PaymentGateway>,
    /// The broker, for the admin operations.
    pub amqp: AmqpSettings,
    /// The replay topic, for the admin reset.
    pub kafka: KafkaSettings,
    /// The events whose seat state this instance is rebuilding.
    pub rebuilds: Rebuilds,
}

impl AppState {
    /// State over live connections.
    pub fn new(parts: Parts) -> Self {
        Self(Arc::new(parts))
    }

    /// The in-memory catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.0.catalog
    }

    /// The commit point of purchases.
    pub fn seat_lock(&self) -> &SeatLock {
        &self.0.seat_lock
    }

    /// A handle on the shared, multiplexed Redis connection.
    pub fn redis(&self) -> Conn {
        self.0.redis.clone()
    }

    /// The prefix of every Redis key.
    pub fn key_prefix(&self) -> &str {
        &self.0.key_prefix
    }

    /// The MySQL pool: the primary, for what writes or must read its own writes (accounts,
    /// the seat state's rebuild).
    pub fn mysql(&self) -> &Pool {
        &self.0.mysql
    }

    /// Where the ticket queries read: the read replica if there is one, else the primary.
    pub fn mysql_read(&self) -> &Pool {
        self.0.mysql_replica.as_ref().unwrap_or(&self.0.mysql)
    }

    /// The read replica, if there is one.
    pub fn mysql_replica(&self) -> Option<&Pool> {
        self.0.mysql_replica.as_ref()
    }

    /// Whether the relay is connected to the broker, if this instance relays.
    pub fn broker(&self) -> Option<&LinkHealth> {
        self.0.broker.as_ref()
    }

    /// Whether the relay reaches the replay topic, if this instance produces to one.
    pub fn topic(&self) -> Option<&LinkHealth> {
        self.0.topic.as_ref()
    }

    /// Largest accepted request body.
    pub fn body_limit(&self) -> u64 {
        self.0.body_limit
    }

    /// Access tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.0.tokens
    }

    /// The failed-login counters.
    pub fn login_limiter(&self) -> Limiter {
        Limiter::new(self.redis(), &self.0.key_prefix)
    }

    /// Whether a direct purchase needs a token.
    pub fn require_auth(&self) -> bool {
        self.0.require_auth
    }

    /// Hold lifetime and size.
    pub fn holds(&self) -> &HoldSettings {
        &self.0.holds
    }

    /// The hold scripts.
    pub fn hold_store(&self) -> &HoldStore {
        &self.0.hold_store
    }

    /// Where checkouts pay.
    pub fn gateway(&self) -> &dyn PaymentGateway {
        self.0.gateway.as_ref()
    }

    /// The broker's settings.
    pub fn amqp(&self) -> &AmqpSettings {
        &self.0.amqp
    }

    /// The replay topic's settings.
    pub fn kafka(&self) -> &KafkaSettings {
        &self.0.kafka
    }

    /// The events whose seat state this instance is rebuilding.
    pub fn rebuilds(&self) -> &Rebuilds {
        &self.0.rebuilds
    }
}
