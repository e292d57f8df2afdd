//! What the handlers share: the catalog, the seat lock, the stores, the relay's health.

use std::sync::Arc;

use domain::Catalog;
use mysql_async::Pool;
use redis::aio::ConnectionManager;

use crate::purchase::seat_lock::SeatLock;
use crate::relay::LinkHealth;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    catalog: Catalog,
    seat_lock: SeatLock,
    redis: ConnectionManager,
    key_prefix: String,
    mysql: Pool,
    broker: Option<LinkHealth>,
    topic: Option<LinkHealth>,
    body_limit: u64,
}

impl AppState {
    /// State over live connections. `broker` is `None` when this instance runs no relay,
    /// `topic` when it produces to no replay topic.
    pub fn new(
        catalog: Catalog,
        redis: ConnectionManager,
        key_prefix: String,
        mysql: Pool,
        broker: Option<LinkHealth>,
        topic: Option<LinkHealth>,
        body_limit: u64,
    ) -> Self {
        let seat_lock = SeatLock::new(redis.clone(), key_prefix.clone());
        Self(Arc::new(Inner {
            catalog,
            seat_lock,
            redis,
            key_prefix,
            mysql,
            broker,
            topic,
            body_limit,
        }))
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
    pub fn redis(&self) -> ConnectionManager {
        self.0.redis.clone()
    }

    /// The prefix of every Redis key.
    pub fn key_prefix(&self) -> &str {
        &self.0.key_prefix
    }

    /// The MySQL pool.
    pub fn mysql(&self) -> &Pool {
        &self.0.mysql
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
}
