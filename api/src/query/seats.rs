//! `GET /api/v1/events/{eventId}/seats?zoneId=`: the seat map, from Redis, where sales are
//! decided, so it is never behind the stores. Each seat is `free`, `held` (by a hold whose
//! deadline has not passed, by Redis's clock, as the scripts judge it) or `sold`.
//!
//! With `zoneId`: one round trip for the zone's bitmap and holds, O(seats). Without: one
//! round trip for the event's counters and every zone's holds, per zone.

use std::collections::HashMap;

use domain::catalog::row;
use domain::{Venue, Zone};
use infra::redis::{remaining_field, EventKeys};
use serde::Serialize;

use super::params::{event_and_venue, Params};
use super::Query;
use crate::error::ApiError;
use crate::state::AppState;

/// The state of one seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeatState {
    /// Anyone may hold or buy it.
    Free,
    /// A buyer's hold has it until its deadline.
    Held,
    /// Sold.
    Sold,
}

/// One row of a zone.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Its label.
    row: String,
    /// Per seat from column 1.
    seats: Vec<SeatState>,
}

/// Seats of one zone, or counts of every zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum SeatMap {
    /// `?zoneId=`.
    #[serde(rename_all = "camelCase")]
    Zone {
        /// The event.
        event_id: String,
        /// The zone.
        zone_id: u32,
        /// Sold, held and free seats.
        #[serde(flatten)]
        counts: Counts,
        /// Every row.
        rows: Vec<Row>,
    },
    /// No zone: per-zone counts.
    #[serde(rename_all = "camelCase")]
    Event {
        /// The event.
        event_id: String,
        /// Sold, held and free seats of the event.
        #[serde(flatten)]
        counts: Counts,
        /// Per zone.
        zones: Vec<ZoneSeats>,
    },
}

/// How many seats are sold, held and free.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Sold.
    pub sold: u64,
    /// Held by live holds.
    pub held: u64,
    /// Neither.
    pub free: u64,
}

impl Counts {
    /// The counts of a block of `capacity` seats, `sold` and `held` of them taken: the
    /// catalog's one rule, so counters that disagree with a catalog changed under an existing
    /// key prefix never wrap.
    fn of(capacity: u64, sold: u64, held: u64) -> Self {
        let sold = sold.min(capacity);
        let held = held.min(capacity - sold);
        Self {
            sold,
            held,
            free: capacity - sold - held,
        }
    }

    fn add(self, other: Self) -> Self {
        Self {
            sold: self.sold + other.sold,
            held: self.held + other.held,
            free: self.free + other.free,
        }
    }
}

/// Seat counts of one zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneSeats {
    zone_id: u32,
    capacity: u64,
    #[serde(flatten)]
    counts: Counts,
}

impl ZoneSeats {
    /// Sold seats.
    pub fn sold(&self) -> u64 {
        self.counts.sold
    }

    /// Seats held by live holds.
    pub fn held(&self) -> u64 {
        self.counts.held
    }

    /// Seats neither sold nor held.
    pub fn free(&self) -> u64 {
        self.counts.free
    }
}

/// The seat map of an event or one of its zones.
pub async fn map(state: &AppState, event_id: &str, query: Query) -> Result<SeatMap, ApiError> {
    let params = Params::new(query, &["zoneId"])?;
    let (event, venue) = event_and_venue(state, None, event_id)?;
    let event_id = event.event_id.clone();
    let keys = EventKeys::new(state.key_prefix(), &event.event_id);
    match params.positive("zoneId")? {
        Some(zone_id) => {
            let zone = venue.zone(zone_id).ok_or_else(|| {
                ApiError::invalid_parameter("zoneId", format!("venue `{}` has no zone {zone_id}", venue.venue_id))
            })?;
            let (bitmap, holds, now): (Vec<u8>, HashMap<u64, String>, (i64, i64)) = redis::pipe()
                .get(keys.seats(zone_id))
                .hgetall(keys.holds(zone_id))
                .cmd("TIME")
                .query_async(&mut state.redis())
                .await
                .map_err(failed)?;
            let now = millis(now);
            let rows = rows(zone, &bitmap, |offset| {
                holds.get(&offset).is_some_and(|h| is_live(h, now))
            });
            let seats = rows.iter().flat_map(|r| &r.seats);
            let sold = seats.clone().filter(|s| **s == SeatState::Sold).count() as u64;
            let held = seats.filter(|s| **s == SeatState::Held).count() as u64;
            Ok(SeatMap::Zone {
                event_id,
                zone_id,
                counts: Counts::of(zone.capacity(), sold, held),
                rows,
            })
        }
        None => {
            let zones = event_counts(state, &keys, venue).await?;
            let counts = zones.iter().fold(Counts::default(), |total, z| total.add(z.counts));
            Ok(SeatMap::Event {
                event_id,
                counts,
                zones,
            })
        }
    }
}

/// Every zone's counts: the event's counters and every zone's live holds, in one round trip.
pub async fn event_counts(state: &AppState, keys: &EventKeys, venue: &Venue) -> Result<Vec<ZoneSeats>, ApiError> {
    let mut pipe = redis::pipe();
    pipe.hgetall(keys.counts()).cmd("TIME");
    for zone in &venue.zones {
        pipe.hvals(keys.holds(zone.zone_id));
    }
    let replies: Vec<redis::Value> = pipe.query_async(&mut state.redis()).await.map_err(failed)?;
    let decoded = (|| -> redis::RedisResult<_> {
        let counts: HashMap<String, i64> = redis::from_redis_value_ref(replies.first().unwrap_or(&redis::Value::Nil))?;
        let now: (i64, i64) = redis::from_redis_value_ref(replies.get(1).unwrap_or(&redis::Value::Nil))?;
        let holds = replies
            .iter()
            .skip(2)
            .map(redis::from_redis_value_ref::<Vec<String>>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((counts, millis(now), holds))
    })();
    let (counts, now, holds) = decoded.map_err(failed)?;
    Ok(venue
        .zones
        .iter()
        .zip(holds)
        .map(|(zone, holds)| {
            let held = holds.iter().filter(|h| is_live(h, now)).count() as u64;
            zone_seats(zone, &counts, held)
        })
        .collect())
}

fn failed(e: redis::RedisError) -> ApiError {
    ApiError::redis(e, "Failed to read the seat map")
}

/// Redis's `TIME` (seconds, microseconds) in milliseconds.
fn millis((seconds, micros): (i64, i64)) -> i64 {
    seconds * 1000 + micros / 1000
}

/// Whether a holds field (`holdId|deadline`) is still live at `now`.
fn is_live(hold: &str, now: i64) -> bool {
    hold.rsplit_once('|')
        .and_then(|(_, deadline)| deadline.parse::<i64>().ok())
        .is_some_and(|deadline| deadline > now)
}

/// A zone's counts from the event's counters hash, whose `remaining:<zone>` the scripts
/// start at the zone's capacity on its first sale, and its live holds.
fn zone_seats(zone: &Zone, counts: &HashMap<String, i64>, held: u64) -> ZoneSeats {
    let capacity = zone.capacity();
    let sold = counts.get(&remaining_field(zone.zone_id)).map_or(0, |remaining| {
        capacity.saturating_sub(u64::try_from(*remaining).unwrap_or(0))
    });
    ZoneSeats {
        zone_id: zone.zone_id,
        capacity,
        counts: Counts::of(capacity, sold, held),
    }
}

/// Decodes a zone bitmap and its holds: Redis numbers bits from the most significant bit of
/// byte 0, and a missing or short string means unsold seats; `held` says whether a live hold
/// has the seat at an offset.
fn rows(zone: &Zone, bitmap: &[u8], held: impl Fn(u64) -> bool) -> Vec<Row> {
    let sold = |offset: u64| {
        let byte = bitmap.get((offset / 8) as usize).copied().unwrap_or(0);
        byte & (0x80 >> (offset % 8)) != 0
    };
    (1..=zone.row_count)
        .map(|r| Row {
            row: row::label(r),
            seats: (1..=zone.col_count)
                .filter_map(|c| zone.seat_offset(r, c))
                .map(|offset| match (sold(offset), held(offset)) {
                    (true, _) => SeatState::Sold,
                    (false, true) => SeatState::Held,
                    (false, false) => SeatState::Free,
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use domain::Price;

    use super::*;
    use SeatState::{Free, Held, Sold};

    fn zone() -> Zone {
        Zone {
            zone_id: 1,
            ticket_price: Price::default(),
            row_count: 2,
            col_count: 5,
        }
    }

    #[test]
    fn counters_that_disagree_with_the_catalog_never_wrap() {
        let counts = |remaining: i64| HashMap::from([(remaining_field(1), remaining)]);
        let seats = |c: &HashMap<String, i64>, held| {
            let z = zone_seats(&zone(), c, held);
            (z.counts.sold, z.counts.held, z.counts.free)
        };
        assert_eq!(seats(&HashMap::new(), 0), (0, 0, 10), "nothing sold yet");
        assert_eq!(seats(&counts(7), 2), (3, 2, 5));
        assert_eq!(seats(&counts(12), 0), (0, 0, 10), "more remaining than the zone holds");
        assert_eq!(seats(&counts(-4), 3), (10, 0, 0), "oversold against a shrunk zone");
    }

    #[test]
    fn bitmaps_decode_most_significant_bit_first_and_holds_show_where_unsold() {
        // Sold at offsets 0 (A1), 4 (A5) and 6 (B2); held at 1 (A2) and 4 (sold wins).
        let rows = rows(&zone(), &[0b1000_1010], |offset| offset == 1 || offset == 4);
        assert_eq!(rows[0].row, "A");
        assert_eq!(rows[0].seats, [Sold, Held, Free, Free, Sold]);
        assert_eq!(rows[1].seats, [Free, Sold, Free, Free, Free]);
        assert!(
            super::rows(&zone(), &[], |_| false)
                .iter()
                .all(|r| r.seats.iter().all(|s| *s == Free)),
            "no key: all free"
        );
    }

    #[test]
    fn a_hold_is_live_until_its_deadline() {
        assert!(is_live("Event1.x|2000", 1999));
        assert!(!is_live("Event1.x|2000", 2000));
        assert!(!is_live("garbage", 0));
    }
}
