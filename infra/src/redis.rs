//! Redis: the key scheme of the seat state and the outbox, the seat state's verification
//! mark, and the connection.
//!
//! Every key of one event carries the event id as its hash tag (`tk:{Event1}:...`), so a
//! script touching several of them runs unchanged on Redis Cluster: they share one slot.
//!
//! **The verification mark** ([`EventKeys::verified`]) holds what `LASTSAVE` answered when
//! the event's seat state was last known to hold every sale the stores have. `LASTSAVE`
//! changes when Redis restarts (it is the start time until a snapshot is saved), and a wiped
//! or new Redis has no mark at all; every script that sells or holds compares the two first
//! and refuses on a difference, so a Redis that came back empty or behind never sells a
//! seat the stores already hold. The api then rebuilds the seat state from the stores and
//! marks it again (`api/src/recovery/`).

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisSettings;

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
/// seat state and the stores, when there is nothing to rebuild.
pub async fn mark_verified<C: ::redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    prefix: &str,
    event_ids: &[String],
) -> ::redis::RedisResult<()> {
    let script = ::redis::Script::new(MARK_VERIFIED);
    for event_id in event_ids {
        let _: () = script
            .key(EventKeys::new(prefix, event_id).verified())
            .invoke_async(conn)
            .await?;
    }
    Ok(())
}

/// Whether the seat state of each of `event_ids` is verified (its mark equals `LASTSAVE`),
/// in one round trip.
pub async fn verified<C: ::redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    prefix: &str,
    event_ids: &[&str],
) -> ::redis::RedisResult<Vec<bool>> {
    let mut pipe = ::redis::pipe();
    pipe.cmd("LASTSAVE");
    for event_id in event_ids {
        pipe.get(EventKeys::new(prefix, event_id).verified());
    }
    let values: Vec<::redis::Value> = pipe.query_async(conn).await?;
    let Some((lastsave, marks)) = values.split_first() else {
        return Ok(Vec::new());
    };
    let lastsave: i64 = ::redis::from_redis_value_ref(lastsave)?;
    marks
        .iter()
        .map(|mark| Ok(::redis::from_redis_value_ref::<Option<i64>>(mark)? == Some(lastsave)))
        .collect()
}

/// Sets the mark (KEYS[1]) to `LASTSAVE`.
pub const MARK_VERIFIED: &str = "redis.call('SET', KEYS[1], redis.call('LASTSAVE')) return 1";

/// Deletes every key under `prefix` (`SCAN` and `UNLINK`, 500 at a time); returns how many.
pub async fn delete_prefixed(conn: &mut ConnectionManager, prefix: &str) -> ::redis::RedisResult<usize> {
    use ::redis::AsyncCommands;
    use futures_util::StreamExt;
    let keys: Vec<String> = {
        let mut iter = conn.scan_match::<_, String>(all_keys_pattern(prefix)).await?;
        let mut keys = Vec::new();
        while let Some(key) = iter.next().await {
            keys.push(key?);
        }
        keys
    };
    for chunk in keys.chunks(500) {
        let _: () = conn.unlink(chunk).await?;
    }
    Ok(keys.len())
}

/// A self-reconnecting, multiplexed connection whose calls fail after the configured
/// timeout instead of hanging while Redis is away.
pub async fn connect(settings: &RedisSettings) -> ::redis::RedisResult<ConnectionManager> {
    let client = ::redis::Client::open(settings.url.expose())?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(settings.timeout))
        .set_response_timeout(Some(settings.timeout))
        .set_number_of_retries(1);
    ConnectionManager::new_with_config(client, config).await
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
