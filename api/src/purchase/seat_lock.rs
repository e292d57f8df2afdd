//! The Redis side of a purchase: one Lua script (`seat_lock.lua`) is the single commit point.

use domain::Ticket;
use infra::contract::{OUTBOX_EVENT_FIELD, OUTBOX_ID_FIELD};
use infra::redis::Conn;
use infra::redis::{remaining_field, EventKeys};
use redis::aio::ConnectionLike;
use redis::Script;

use crate::seat::Seat;

/// What the script decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The seat was free and is now sold; the event is in the outbox.
    Sold,
    /// The seat had been sold before; nothing changed.
    Taken,
    /// A live hold has the seat; nothing changed.
    Held,
    /// The event's seat state is not verified against the stores (Redis restarted or lost
    /// it); nothing changed. The api rebuilds it ([`crate::recovery`]).
    NotVerified,
}

/// Sells seats through the script, run by SHA (redis-rs loads it again on `NOSCRIPT`, e.g.
/// after a Redis restart). The api uses one Redis server; the same script and keys run on a
/// Redis Cluster connection (tested on a real cluster), since every key of an event shares
/// its hash slot.
#[derive(Clone)]
pub struct SeatLock<C = Conn> {
    conn: C,
    script: Script,
    key_prefix: String,
}

impl<C: ConnectionLike + Clone + Send + Sync> SeatLock<C> {
    /// A seat lock on `conn` for keys under `key_prefix`.
    pub fn new(conn: C, key_prefix: String) -> Self {
        Self {
            conn,
            script: Script::new(include_str!("seat_lock.lua")),
            key_prefix,
        }
    }

    /// Loads the script into Redis once at start, so the first purchases skip the reload.
    pub async fn load(&self) -> redis::RedisResult<()> {
        self.script.load_async(&mut self.conn.clone()).await.map(drop)
    }

    /// Sells `seat` as `ticket`, whose event JSON is `event`.
    pub async fn sell(&self, seat: &Seat<'_>, ticket: &Ticket, event: &str) -> redis::RedisResult<Outcome> {
        let keys = EventKeys::new(&self.key_prefix, &seat.event.event_id);
        let sold: i64 = self
            .script
            .key(keys.seats(seat.zone.zone_id))
            .key(keys.counts())
            .key(keys.outbox())
            .key(keys.holds(seat.zone.zone_id))
            .key(keys.verified())
            .arg(seat.offset)
            .arg(remaining_field(seat.zone.zone_id))
            .arg(seat.zone.capacity())
            .arg(OUTBOX_ID_FIELD)
            .arg(ticket.ticket_id.to_string())
            .arg(OUTBOX_EVENT_FIELD)
            .arg(event)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(match sold {
            1 => Outcome::Sold,
            2 => Outcome::Held,
            -1 => Outcome::NotVerified,
            _ => Outcome::Taken,
        })
    }

    /// Round trip to Redis, for readiness.
    pub async fn ping(&self) -> redis::RedisResult<()> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn.clone())
            .await
            .map(drop)
    }
}
