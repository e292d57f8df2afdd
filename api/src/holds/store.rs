//! The Redis side of holds: the scripts that hold, release and check out (`hold.lua`,
//! `release.lua`, `checkout.lua`), and reading a hold back. Every key carries the event's
//! hash tag, so each script runs on one slot, unchanged on Redis Cluster.

use std::time::Duration;

use domain::{Price, Ticket};
use infra::contract::{OUTBOX_EVENT_FIELD, OUTBOX_ID_FIELD};
use infra::redis::Conn;
use infra::redis::{remaining_field, EventKeys};
use redis::{AsyncCommands, RedisResult, Script};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a hold's record is kept after its deadline, its release or its sale: what
/// `GET /api/v1/holds/{id}` and a repeated checkout still see, and as long as idempotency
/// keys are remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// A hold's id: its event and a UUID, `Event1.0192f3c4-...`. The event is part of it so that
/// any api instance finds the hold under the event's hash tag without a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldId {
    /// The event whose seats it holds.
    pub event_id: String,
    /// Unique among holds.
    pub uuid: Uuid,
}

impl HoldId {
    /// A new id for a hold at `event_id`.
    pub fn new(event_id: &str) -> Self {
        Self {
            event_id: event_id.to_owned(),
            uuid: Uuid::now_v7(),
        }
    }

    /// Parses `Event1.<uuid>`.
    pub fn parse(text: &str) -> Option<Self> {
        let (event_id, uuid) = text.rsplit_once('.')?;
        domain::catalog::is_valid_id(event_id).then_some(())?;
        Some(Self {
            event_id: event_id.to_owned(),
            uuid: Uuid::parse_str(uuid).ok()?,
        })
    }
}

impl std::fmt::Display for HoldId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.event_id, self.uuid)
    }
}

/// A seat of a hold, as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldSeat {
    /// The zone.
    pub zone_id: u32,
    /// Row label.
    pub row: String,
    /// Seat number.
    pub column: u32,
    /// The zone's price when held.
    pub price: Price,
    /// Position in the zone's bitmap.
    pub offset: u64,
    /// Seats in the zone (the first sale of a zone starts its remaining count).
    pub capacity: u64,
}

impl HeldSeat {
    /// The seat as an answer shows it: without its place in the bitmap.
    pub fn public(&self) -> serde_json::Value {
        serde_json::json!({"zoneId": self.zone_id, "row": self.row, "column": self.column, "price": self.price})
    }
}

/// Where a hold is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Holding its seats until its deadline.
    Held,
    /// Checked out: its seats are sold.
    Sold,
    /// Given back by its buyer.
    Released,
}

/// A hold as its record holds it.
#[derive(Debug, Clone)]
pub struct HoldRecord {
    /// Whose.
    pub buyer: Uuid,
    /// The venue of its event.
    pub venue_id: String,
    /// Its seats.
    pub seats: Vec<HeldSeat>,
    /// What they cost together.
    pub total: Price,
    /// Its deadline, milliseconds since the epoch (Redis's clock).
    pub expires_ms: i64,
    /// Held, sold or released.
    pub state: State,
    /// The order answer of its checkout, once sold (JSON).
    pub order: Option<String>,
    /// The charge that paid for it, once sold.
    pub charge: Option<String>,
}

/// What the hold script decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    /// Held until the deadline (milliseconds since the epoch).
    Held {
        /// The deadline.
        expires_ms: i64,
    },
    /// Nothing held: these seats (indices into the request) are sold or held by others.
    Unavailable(Vec<usize>),
    /// Nothing held: the buyer already holds seats of this event, in this hold.
    Exists(String),
    /// Nothing held: the event's seat state is not verified ([`crate::recovery`]).
    NotVerified,
}

/// What the checkout script decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutOutcome {
    /// Sold now.
    Sold,
    /// Sold before, by an earlier checkout: its order (JSON) and the charge that paid it.
    SoldBefore {
        /// The order's answer.
        order: String,
        /// The charge that paid it.
        charge: String,
    },
    /// The buyer has no such hold.
    NotFound,
    /// It expired or was released: nothing sold.
    Gone,
    /// Nothing sold: the event's seat state is not verified ([`crate::recovery`]).
    NotVerified,
}

/// What the release script decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// Its seats are free.
    Released,
    /// The buyer has no such hold.
    NotFound,
    /// It was checked out; sold seats are not given back.
    Sold,
}

/// A ticket about to be sold by a checkout, with the seat it is for and its event body.
pub struct Sale<'a> {
    /// The seat.
    pub seat: &'a HeldSeat,
    /// Its new ticket.
    pub ticket: &'a Ticket,
    /// The ticket's event body.
    pub event: String,
}

/// The hold scripts on one connection, for keys under one prefix.
#[derive(Clone)]
pub struct HoldStore {
    conn: Conn,
    prefix: String,
    hold: Script,
    release: Script,
    checkout: Script,
}

impl HoldStore {
    /// The scripts on `conn`, keys under `prefix`.
    pub fn new(conn: Conn, prefix: &str) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
            hold: Script::new(include_str!("hold.lua")),
            release: Script::new(include_str!("release.lua")),
            checkout: Script::new(include_str!("checkout.lua")),
        }
    }

    fn keys(&self, event_id: &str) -> EventKeys {
        EventKeys::new(&self.prefix, event_id)
    }

    /// Holds `seats` for `buyer` for `ttl`, all or none.
    pub async fn hold(
        &self,
        id: &HoldId,
        buyer: Uuid,
        venue_id: &str,
        seats: &[HeldSeat],
        total: Price,
        ttl: Duration,
    ) -> RedisResult<HoldOutcome> {
        let keys = self.keys(&id.event_id);
        let (zones, pairs) = zone_pairs(seats);
        let mut script = self.hold.prepare_invoke();
        script.key(keys.hold(&id.uuid)).key(keys.buyer_hold(&buyer));
        for zone in &zones {
            script.key(keys.seats(*zone)).key(keys.holds(*zone));
        }
        script.key(keys.verified());
        let seats_json = serde_json::to_string(seats).unwrap_or_default();
        script
            .arg(id.to_string())
            .arg(buyer.to_string())
            .arg(millis(ttl))
            .arg(millis(RETENTION))
            .arg(venue_id)
            .arg(seats_json)
            .arg(total.cents())
            .arg(seats.len());
        for (seat, pair) in seats.iter().zip(&pairs) {
            script.arg(*pair).arg(seat.offset);
        }
        let reply: Vec<redis::Value> = script.invoke_async(&mut self.conn.clone()).await?;
        let number = |v: &redis::Value| redis::from_redis_value_ref::<i64>(v).unwrap_or(0);
        Ok(match reply.first().map(number) {
            Some(1) => HoldOutcome::Held {
                expires_ms: reply.get(1).map_or(0, number),
            },
            Some(2) => HoldOutcome::Exists(
                reply
                    .get(1)
                    .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                    .unwrap_or_default(),
            ),
            Some(-1) => HoldOutcome::NotVerified,
            _ => HoldOutcome::Unavailable(reply.iter().skip(1).map(|v| number(v) as usize - 1).collect()),
        })
    }

    /// The hold `id`, if its record is kept.
    pub async fn get(&self, id: &HoldId) -> RedisResult<Option<HoldRecord>> {
        let fields: std::collections::HashMap<String, String> = self
            .conn
            .clone()
            .hgetall(self.keys(&id.event_id).hold(&id.uuid))
            .await?;
        Ok(record(&fields))
    }

    /// Gives the seats of `record` (hold `id`) back, if it is `buyer`'s.
    pub async fn release(&self, id: &HoldId, record: &HoldRecord, buyer: Uuid) -> RedisResult<ReleaseOutcome> {
        let keys = self.keys(&id.event_id);
        let (zones, pairs) = zone_pairs(&record.seats);
        let mut script = self.release.prepare_invoke();
        script.key(keys.hold(&id.uuid)).key(keys.buyer_hold(&buyer));
        for zone in &zones {
            script.key(keys.holds(*zone));
        }
        script
            .arg(id.to_string())
            .arg(buyer.to_string())
            .arg(millis(RETENTION))
            .arg(record.seats.len());
        for (seat, pair) in record.seats.iter().zip(&pairs) {
            script.arg(*pair).arg(seat.offset);
        }
        let reply: i64 = script.invoke_async(&mut self.conn.clone()).await?;
        Ok(match reply {
            1 => ReleaseOutcome::Released,
            2 => ReleaseOutcome::Sold,
            _ => ReleaseOutcome::NotFound,
        })
    }

    /// Sells the seats of hold `id` as `sales` (one per seat of `record`), in order
    /// `order_id` answered by `order`, paid by `charge`.
    #[allow(clippy::too_many_arguments)]
    pub async fn checkout(
        &self,
        id: &HoldId,
        record: &HoldRecord,
        buyer: Uuid,
        order_id: Uuid,
        order: &str,
        charge: &str,
        sales: &[Sale<'_>],
    ) -> RedisResult<CheckoutOutcome> {
        let keys = self.keys(&id.event_id);
        let (zones, pairs) = zone_pairs(&record.seats);
        let mut script = self.checkout.prepare_invoke();
        script
            .key(keys.hold(&id.uuid))
            .key(keys.buyer_hold(&buyer))
            .key(keys.counts())
            .key(keys.outbox());
        for zone in &zones {
            script.key(keys.seats(*zone)).key(keys.holds(*zone));
        }
        script.key(keys.verified());
        script
            .arg(id.to_string())
            .arg(buyer.to_string())
            .arg(order_id.to_string())
            .arg(order)
            .arg(charge)
            .arg(millis(RETENTION))
            .arg(OUTBOX_ID_FIELD)
            .arg(OUTBOX_EVENT_FIELD)
            .arg(sales.len());
        for (sale, pair) in sales.iter().zip(&pairs) {
            script
                .arg(*pair)
                .arg(sale.seat.offset)
                .arg(remaining_field(sale.seat.zone_id))
                .arg(sale.seat.capacity)
                .arg(sale.ticket.ticket_id.to_string())
                .arg(&sale.event);
        }
        let reply: Vec<redis::Value> = script.invoke_async(&mut self.conn.clone()).await?;
        let text = |i: usize| {
            reply
                .get(i)
                .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                .unwrap_or_default()
        };
        Ok(
            match reply.first().and_then(|v| redis::from_redis_value_ref::<i64>(v).ok()) {
                Some(1) => CheckoutOutcome::Sold,
                Some(2) => CheckoutOutcome::SoldBefore {
                    order: text(1),
                    charge: text(2),
                },
                Some(3) => CheckoutOutcome::Gone,
                Some(-1) => CheckoutOutcome::NotVerified,
                _ => CheckoutOutcome::NotFound,
            },
        )
    }
}

/// The zones of `seats`, each once in order of first use, and for each seat the 1-based
/// index of its zone in that list: the scripts take each zone's keys once.
fn zone_pairs(seats: &[HeldSeat]) -> (Vec<u32>, Vec<usize>) {
    let mut zones: Vec<u32> = Vec::new();
    let pairs = seats
        .iter()
        .map(|seat| match zones.iter().position(|z| *z == seat.zone_id) {
            Some(i) => i + 1,
            None => {
                zones.push(seat.zone_id);
                zones.len()
            }
        })
        .collect();
    (zones, pairs)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A hold record from its fields; `None` when it is not there (or not one the scripts wrote).
fn record(fields: &std::collections::HashMap<String, String>) -> Option<HoldRecord> {
    let state = match fields.get("state")?.as_str() {
        "held" => State::Held,
        "sold" => State::Sold,
        "released" => State::Released,
        _ => return None,
    };
    Some(HoldRecord {
        buyer: Uuid::parse_str(fields.get("buyer")?).ok()?,
        venue_id: fields.get("venue")?.clone(),
        seats: serde_json::from_str(fields.get("seats")?).ok()?,
        total: Price::from_cents(fields.get("total")?.parse().ok()?),
        expires_ms: fields.get("expires")?.parse().ok()?,
        state,
        order: fields.get("order").cloned(),
        charge: fields.get("charge").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(zone_id: u32) -> HeldSeat {
        HeldSeat {
            zone_id,
            row: "A".into(),
            column: 1,
            price: Price::default(),
            offset: 0,
            capacity: 1,
        }
    }

    #[test]
    fn each_zone_is_named_once_and_every_seat_points_at_its_zone() {
        let (zones, pairs) = zone_pairs(&[seat(7), seat(3), seat(7), seat(9)]);
        assert_eq!(zones, [7, 3, 9]);
        assert_eq!(pairs, [1, 2, 1, 3]);
    }

    #[test]
    fn a_hold_id_names_its_event() {
        let id = HoldId::new("Event1");
        let text = id.to_string();
        assert!(text.starts_with("Event1."), "{text}");
        assert_eq!(HoldId::parse(&text), Some(id));
        for bad in [
            "",
            "Event1",
            "Event1.nope",
            ".0192f3c4-0000-7000-8000-000000000000",
            "a{b}.0192f3c4-0000-7000-8000-000000000000",
        ] {
            assert_eq!(HoldId::parse(bad), None, "{bad}");
        }
    }
}
