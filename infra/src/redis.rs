//! Redis: the key scheme of the seat state and the outbox, the seat state's verification
//! mark, and the connection ([`Conn`]: one server, or a Redis Cluster).
//!
//! Every key of one event carries the event id as its hash tag (`tk:{Event1}:...`), so a
//! script touching several of them runs unchanged on Redis Cluster: they share one slot.
//! Nothing here sends one request for keys of two events (a cluster refuses that when their
//! slots differ): what concerns several events goes as one request per event, side by side
//! on the multiplexed connection.
//!
//! **The verification mark** ([`EventKeys::verified`]) holds what `LASTSAVE` answered when
//! the event's seat state was last known to hold every sale the stores have. `LASTSAVE`
//! changes when Redis restarts (it is the start time until a snapshot is saved), and a wiped
//! or new Redis has no mark at all; every script that sells or holds compares the two first
//! and refuses on a difference, so a Redis that came back empty or behind never sells a
//! seat the stores already hold. The api then rebuilds the seat state from the stores and
//! marks it again (`api/src/recovery/`).
//!
//! `LASTSAVE` counts whole seconds, so a server restarted within the second it started in
//! would answer the same. A mark is therefore only set once the server's clock (`TIME`) has
//! left the `LASTSAVE` second: a script that marks answers [`TOO_SOON`] until then, and its
//! caller runs it again ([`until_marked`]). A restart comes after the mark was set, so the
//! new `LASTSAVE` is a later second than the mark's. (A server clock stepped back by a second
//! or more across the restart could still meet the old value.)

use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::ClusterClientBuilder;
use ::redis::cluster_async::ClusterConnection;
use ::redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use ::redis::{Cmd, Pipeline, RedisFuture, RedisResult, ScriptInvocation, Value};
use futures_util::future::try_join_all;

use crate::config::{RedisSettings, RedisTarget};

/// The keys of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKeys {
    base: String,
}

impl EventKeys {
    /// Keys of `event_id` under `prefix`.
    pub fn new(prefix: &str, event_id: &str) -> Self {
        Self {
            base: format!("{prefix}:{{{event_id}}}"),
        }
    }

    /// The sold-seat bitmap of one zone: bit `seat_offset` is 1 once that seat is sold.
    pub fn seats(&self, zone_id: u32) -> String {
        format!("{}:seats:{zone_id}", self.base)
    }

    /// A hash of counters: `remaining:<zoneId>` per zone and `sold` for the event.
    pub fn counts(&self) -> String {
        format!("{}:counts", self.base)
    }

    /// The outbox stream of ticket events waiting for the relay.
    pub fn outbox(&self) -> String {
        format!("{}:outbox", self.base)
    }

    /// The holds on seats of one zone: field = seat offset, value = `holdId|deadline`
    /// (milliseconds since the epoch, Redis's clock). A field past its deadline is free.
    pub fn holds(&self, zone_id: u32) -> String {
        format!("{}:holds:{zone_id}", self.base)
    }

    /// One hold: its buyer, seats, total, deadline and state (`held`, `sold`, `released`).
    pub fn hold(&self, hold: &uuid::Uuid) -> String {
        format!("{}:hold:{}", self.base, hold.simple())
    }

    /// The live hold of one buyer at this event, if there is one; it expires with the hold.
    pub fn buyer_hold(&self, buyer: &uuid::Uuid) -> String {
        format!("{}:buyer:{}", self.base, buyer.simple())
    }

    /// The event's verification mark: `LASTSAVE` as it was when the seat state was last
    /// verified against the stores (see the module's documentation).
    pub fn verified(&self) -> String {
        format!("{}:verified", self.base)
    }

    /// Held while one api instance rebuilds the event's seat state, so only one does.
    pub fn rebuilding(&self) -> String {
        format!("{}:rebuilding", self.base)
    }

    /// A key a script may write and delete within one call.
    pub fn scratch(&self) -> String {
        format!("{}:scratch", self.base)
    }

    /// An idempotency key's record, `scope` naming whose key it is.
    pub fn idempotency(&self, scope: &str, key_digest: &str) -> String {
        format!("{}:idempotency:{scope}:{key_digest}", self.base)
    }
}

/// The field of [`EventKeys::counts`] counting the event's sold seats (the sale scripts
/// spell it `'sold'`).
pub const SOLD_FIELD: &str = "sold";

/// The field of [`EventKeys::counts`] holding a zone's unsold seats.
pub fn remaining_field(zone_id: u32) -> String {
    format!("remaining:{zone_id}")
}

/// The glob matching every key under `prefix`, for resets.
pub fn all_keys_pattern(prefix: &str) -> String {
    format!("{prefix}:*")
}

/// Marks the seat state of `event_ids` as verified: for after a reset has wiped both the
/// seat state and the stores, when there is nothing to rebuild. Takes up to a second on a
/// server that started this second (see the module's documentation).
pub async fn mark_verified<C: ConnectionLike + Clone + Send>(
    conn: &C,
    prefix: &str,
    event_ids: &[String],
) -> RedisResult<()> {
    let script = ::redis::Script::new(MARK_VERIFIED);
    try_join_all(event_ids.iter().map(|event_id| {
        let mut conn = conn.clone();
        let invocation = script.key(EventKeys::new(prefix, event_id).verified());
        async move { until_marked(&mut conn, &invocation).await }
    }))
    .await?;
    Ok(())
}

/// What a script that sets a mark answers, having changed nothing, while `LASTSAVE` is the
/// server's current second.
pub const TOO_SOON: i64 = -1;

/// How long to wait before running a script that answered [`TOO_SOON`] again.
const TOO_SOON_PAUSE: Duration = Duration::from_millis(100);

/// Runs `invocation`, a script that sets a mark, until it answers anything but
/// [`TOO_SOON`]: within about a second, as the server's clock leaves its `LASTSAVE` second.
pub async fn until_marked<C: ConnectionLike>(conn: &mut C, invocation: &ScriptInvocation<'_>) -> RedisResult<i64> {
    loop {
        match invocation.invoke_async(conn).await? {
            TOO_SOON => tokio::time::sleep(TOO_SOON_PAUSE).await,
            answer => return Ok(answer),
        }
    }
}

/// Whether the seat state of each of `event_ids` is verified: its mark equals `LASTSAVE` of
/// the node that holds it (so one request per event, run side by side).
pub async fn verified<C: ConnectionLike + Clone + Send>(
    conn: &C,
    prefix: &str,
    event_ids: &[&str],
) -> RedisResult<Vec<bool>> {
    let script = ::redis::Script::new(IS_VERIFIED);
    try_join_all(event_ids.iter().map(|event_id| {
        let mut conn = conn.clone();
        let invocation = script.key(EventKeys::new(prefix, event_id).verified());
        async move { invocation.invoke_async::<bool>(&mut conn).await }
    }))
    .await
}

/// Sets the mark (KEYS[1]) to `LASTSAVE` and answers 1, or answers [`TOO_SOON`] (-1).
const MARK_VERIFIED: &str = "local lastsave = redis.call('LASTSAVE') \
    if tonumber(redis.call('TIME')[1]) <= lastsave then return -1 end \
    redis.call('SET', KEYS[1], lastsave) return 1";

/// Whether the mark (KEYS[1]) equals `LASTSAVE`: 1 or 0.
const IS_VERIFIED: &str =
    "if redis.call('GET', KEYS[1]) == tostring(redis.call('LASTSAVE')) then return 1 end return 0";

/// Every key matching glob `pattern` (`SCAN`, on every primary of a cluster).
pub async fn keys_matching(conn: &mut Conn, pattern: &str) -> RedisResult<Vec<String>> {
    let mut keys = Vec::new();
    let nodes = match conn {
        Conn::Server(_) => vec![None],
        Conn::Cluster(cluster) => primaries(cluster).await?.into_iter().map(Some).collect(),
    };
    for node in nodes {
        let mut cursor = 0u64;
        loop {
            let mut scan = ::redis::cmd("SCAN");
            scan.arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000);
            let reply = match (&mut *conn, &node) {
                (Conn::Cluster(cluster), Some((host, port))) => {
                    let at = SingleNodeRoutingInfo::ByAddress {
                        host: host.clone(),
                        port: *port,
                    };
                    cluster.route_command(scan, RoutingInfo::SingleNode(at)).await?
                }
                (conn, _) => scan.query_async(conn).await?,
            };
            let (next, batch): (u64, Vec<String>) = ::redis::from_redis_value(reply)?;
            keys.extend(batch);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
    Ok(keys)
}

/// The primaries of a cluster, as (host, port), from `CLUSTER SHARDS`' older sibling
/// `CLUSTER SLOTS` (which Redis 6 answers too): the first node of every slot range.
async fn primaries(cluster: &mut ClusterConnection) -> RedisResult<Vec<(String, u16)>> {
    let ranges: Vec<Vec<Value>> = ::redis::cmd("CLUSTER").arg("SLOTS").query_async(cluster).await?;
    let mut primaries: Vec<(String, u16)> = Vec::new();
    for range in ranges {
        if let Some(primary) = range.get(2) {
            let node: Vec<Value> = ::redis::from_redis_value_ref(primary)?;
            if let (Some(host), Some(port)) = (node.first(), node.get(1)) {
                let node = (
                    ::redis::from_redis_value_ref(host)?,
                    ::redis::from_redis_value_ref(port)?,
                );
                if !primaries.contains(&node) {
                    primaries.push(node);
                }
            }
        }
    }
    Ok(primaries)
}

/// Deletes every key under `prefix`, 500 at a time (one `UNLINK` per key on a cluster, whose
/// keys of one call must share a slot); returns how many.
pub async fn delete_prefixed(conn: &mut Conn, prefix: &str) -> RedisResult<usize> {
    let keys = keys_matching(conn, &all_keys_pattern(prefix)).await?;
    for chunk in keys.chunks(500) {
        match conn {
            Conn::Server(server) => ::redis::cmd("UNLINK").arg(chunk).query_async::<()>(server).await?,
            Conn::Cluster(_) => {
                try_join_all(chunk.iter().map(|key| {
                    let mut conn = conn.clone();
                    async move { ::redis::cmd("UNLINK").arg(key).query_async::<()>(&mut conn).await }
                }))
                .await?;
            }
        }
    }
    Ok(keys.len())
}

/// A connection to Redis: one server (self-reconnecting, multiplexed) or a Redis Cluster (a
/// multiplexed connection per node, following `MOVED` and `ASK` and learning the cluster's
/// new shape when a primary fails over). Both fail a call after the configured timeout
/// instead of hanging while Redis is away. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub enum Conn {
    /// `REDIS_URL`.
    Server(ConnectionManager),
    /// `REDIS_CLUSTER_NODES`.
    Cluster(ClusterConnection),
}

impl Conn {
    /// Whether this is a cluster, where one request may only touch keys of one slot.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

/// Connects to the server or the cluster `settings` name.
pub async fn connect(settings: &RedisSettings) -> RedisResult<Conn> {
    match &settings.target {
        RedisTarget::Server(url) => {
            let client = ::redis::Client::open(url.expose())?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(settings.timeout))
                .set_response_timeout(Some(settings.timeout))
                .set_number_of_retries(1);
            Ok(Conn::Server(ConnectionManager::new_with_config(client, config).await?))
        }
        RedisTarget::Cluster(nodes) => {
            // A call is retried through redirections and a failover, but never for longer
            // than the timeout in all.
            let client = ClusterClientBuilder::new(nodes.iter().map(|node| node.expose()))
                .connection_timeout(settings.timeout)
                .response_timeout(settings.timeout)
                .build()?;
            Ok(Conn::Cluster(client.get_async_connection().await?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_an_event_share_its_hash_tag() {
        let keys = EventKeys::new("tk", "Event1");
        assert_eq!(keys.seats(7), "tk:{Event1}:seats:7");
        assert_eq!(keys.counts(), "tk:{Event1}:counts");
        assert_eq!(keys.outbox(), "tk:{Event1}:outbox");
        // Redis Cluster hashes only the part between the first `{` and the next `}`.
        let hash_tag = |key: &str| {
            key.split_once('{')
                .and_then(|(_, t)| t.split_once('}'))
                .map(|(tag, _)| tag.to_owned())
        };
        let hold = uuid::Uuid::nil();
        for key in [
            keys.seats(1),
            keys.counts(),
            keys.outbox(),
            keys.holds(1),
            keys.hold(&hold),
            keys.buyer_hold(&hold),
            keys.idempotency("anonymous", "ab"),
            keys.verified(),
            keys.rebuilding(),
            keys.scratch(),
        ] {
            assert_eq!(hash_tag(&key).as_deref(), Some("Event1"), "{key}");
        }
    }

    #[test]
    fn reset_pattern_covers_every_key_of_the_prefix() {
        assert_eq!(all_keys_pattern("tk"), "tk:*");
        assert_eq!(remaining_field(3), "remaining:3");
    }
}
