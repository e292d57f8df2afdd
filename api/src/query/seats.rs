//! `GET /api/v1/events/{eventId}/seats?zoneId=`: the seat map, from Redis, where sales are
//! decided, so it is never behind the stores.
//!
//! With `zoneId`: one `GET` of the zone's bitmap, decoded into sold/free per seat, O(seats)
//! and one round trip. Without: one `HGETALL` of the event's counters, per zone.

use std::collections::HashMap;

use domain::catalog::row;
use domain::Zone;
use infra::redis::{remaining_field, EventKeys};
use redis::AsyncCommands;
use serde::Serialize;

use super::params::{parse_id, Params};
use super::Query;
use crate::error::ApiError;
use crate::state::AppState;

/// One row of a zone.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Its label.
    row: String,
    /// Per seat from column 1: `true` when sold.
    sold: Vec<bool>,
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
        /// Sold seats.
        sold: u64,
        /// Free seats.
        remaining: u64,
        /// Every row.
        rows: Vec<Row>,
    },
    /// No zone: per-zone counts.
    #[serde(rename_all = "camelCase")]
    Event {
        /// The event.
        event_id: String,
        /// Sold seats of the event.
        sold: u64,
        /// Free seats of the event.
        remaining: u64,
        /// Per zone.
        zones: Vec<ZoneSeats>,
    },
}

/// Seat counts of one zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneSeats {
    zone_id: u32,
    capacity: u64,
    sold: u64,
    remaining: u64,
}

/// The seat map of an event or one of its zones.
pub async fn map(state: &AppState, event_id: &str, query: Query) -> Result<SeatMap, ApiError> {
    let params = Params::new(query, &["zoneId"])?;
    let event_id = parse_id("eventId", event_id)?;
    let event = state
        .catalog()
        .event(&event_id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no event `{event_id}`")))?;
    let venue = state
        .catalog()
        .venue(&event.venue_id)
        .ok_or_else(|| anyhow::anyhow!("the catalog lost the venue of {}", event.event_id))?;
    let keys = EventKeys::new(state.key_prefix(), &event.event_id);
    let mut redis = state.redis();
    let failed = |e| ApiError::redis(e, "Failed to read the seat map");
    match params.positive("zoneId")? {
        Some(zone_id) => {
            let zone = venue.zone(zone_id).ok_or_else(|| {
                ApiError::invalid_parameter("zoneId", format!("venue `{}` has no zone {zone_id}", venue.venue_id))
            })?;
            let bitmap: Vec<u8> = redis.get(keys.seats(zone_id)).await.map_err(failed)?;
            let rows = rows(zone, &bitmap);
            let sold = rows.iter().flat_map(|r| &r.sold).filter(|s| **s).count() as u64;
            Ok(SeatMap::Zone {
                event_id,
                zone_id,
                sold,
                remaining: zone.remaining(sold),
                rows,
            })
        }
        None => {
            let counts: HashMap<String, i64> = redis.hgetall(keys.counts()).await.map_err(failed)?;
            let zones: Vec<ZoneSeats> = venue.zones.iter().map(|z| zone_seats(z, &counts)).collect();
            let sold = zones.iter().map(|z| z.sold).sum();
            Ok(SeatMap::Event {
                event_id,
                sold,
                remaining: venue.remaining(sold),
                zones,
            })
        }
    }
}

/// A zone's counts from the event's counters hash, whose `remaining:<zone>` the seat lock
/// starts at the zone's capacity on its first sale. The counter is read back into a sold
/// count with the catalog's one rule ([`Zone::remaining`]): a counter that disagrees with
/// a catalog changed under an existing key prefix (a negative counter, or more remaining
/// than the zone holds) never wraps or panics.
fn zone_seats(zone: &Zone, counts: &HashMap<String, i64>) -> ZoneSeats {
    let capacity = zone.capacity();
    let sold = counts.get(&remaining_field(zone.zone_id)).map_or(0, |remaining| {
        capacity.saturating_sub(u64::try_from(*remaining).unwrap_or(0))
    });
    ZoneSeats {
        zone_id: zone.zone_id,
        capacity,
        sold,
        remaining: zone.remaining(sold),
    }
}

/// Decodes a zone bitmap: Redis numbers bits from the most significant bit of byte 0, and a
/// missing or short string means free seats.
fn rows(zone: &Zone, bitmap: &[u8]) -> Vec<Row> {
    let bit = |offset: u64| {
        let byte = bitmap.get((offset / 8) as usize).copied().unwrap_or(0);
        byte & (0x80 >> (offset % 8)) != 0
    };
    (1..=zone.row_count)
        .map(|r| Row {
            row: row::label(r),
            sold: (1..=zone.col_count)
                .map(|c| zone.seat_offset(r, c).is_some_and(bit))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use domain::Price;

    use super::*;

    #[test]
    fn counters_that_disagree_with_the_catalog_never_wrap() {
        let zone = Zone {
            zone_id: 1,
            ticket_price: Price::default(),
            row_count: 2,
            col_count: 5,
        };
        let counts = |remaining: i64| HashMap::from([(remaining_field(1), remaining)]);
        let seats = |c: &HashMap<String, i64>| {
            let z = zone_seats(&zone, c);
            (z.sold, z.remaining)
        };
        assert_eq!(seats(&HashMap::new()), (0, 10), "nothing sold yet");
        assert_eq!(seats(&counts(7)), (3, 7));
        assert_eq!(seats(&counts(12)), (0, 10), "more remaining than the zone holds");
        assert_eq!(seats(&counts(-4)), (10, 0), "oversold against a shrunk zone");
    }

    #[test]
    fn bitmaps_decode_most_significant_bit_first() {
        let zone = Zone {
            zone_id: 1,
            ticket_price: Price::default(),
            row_count: 2,
            col_count: 5,
        };
        // Seats at offsets 0 (A1), 4 (A5) and 6 (B2).
        let rows = rows(&zone, &[0b1000_1010]);
        assert_eq!(rows[0].row, "A");
        assert_eq!(rows[0].sold, [true, false, false, false, true]);
        assert_eq!(rows[1].sold, [false, true, false, false, false]);
        assert!(
            super::rows(&zone, &[]).iter().all(|r| r.sold.iter().all(|s| !s)),
            "no key: all free"
        );
    }
}
