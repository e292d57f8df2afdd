//! An event's seat state in Redis as a whole: the zones' sold bitmaps, the counters and the
//! outbox, read in one snapshot ([`snapshot`]) and rebuilt from the stores' seats in one
//! script ([`rebuild`]). The api rebuilds it after Redis lost data (`api::recovery`);
//! `consumers audit` compares it with the stores and repairs it.

use std::collections::HashMap;

use domain::catalog::row;
use domain::{Ticket, Venue};
use redis::aio::ConnectionLike;
use redis::streams::StreamRangeReply;
use redis::{RedisResult, Script};

use crate::contract::OUTBOX_EVENT_FIELD;
use crate::redis::{remaining_field, until_marked, EventKeys};

/// A seat as the stores hold it: zone, row label, column.
pub type StoredSeat = (u32, String, u32);

/// For each zone of `venue`, in order, a sold bitmap (Redis's bit order: the most significant
/// bit of byte 0 first) of `seats`; empty for a zone without any. Seats outside the venue
/// are left out.
pub fn bitmaps(venue: &Venue, seats: &[StoredSeat]) -> Vec<Vec<u8>> {
    venue
        .zones
        .iter()
        .map(|zone| {
            let mut bitmap = Vec::new();
            for (zone_id, row_label, column) in seats {
                let offset = (*zone_id == zone.zone_id)
                    .then(|| row::parse_label(row_label))
                    .flatten()
                    .and_then(|r| zone.seat_offset(r, *column));
                if let Some(offset) = offset {
                    let byte = (offset / 8) as usize;
                    if bitmap.len() <= byte {
                        bitmap.resize(byte + 1, 0);
                    }
                    bitmap[byte] |= 0x80 >> (offset % 8);
                }
            }
            bitmap
        })
        .collect()
}

/// The seats set in each zone's bitmap, the inverse of [`bitmaps`]; bits beyond a zone's
/// seats are left out.
pub fn seats_of(venue: &Venue, bitmaps: &[Vec<u8>]) -> Vec<StoredSeat> {
    let mut seats = Vec::new();
    for (zone, bitmap) in venue.zones.iter().zip(bitmaps) {
        for offset in 0..zone.capacity().min(bitmap.len() as u64 * 8) {
            if bitmap[(offset / 8) as usize] & (0x80 >> (offset % 8)) != 0 {
                let cols = u64::from(zone.col_count);
                let (row, column) = ((offset / cols) as u32 + 1, (offset % cols) as u32 + 1);
                seats.push((zone.zone_id, row::label(row), column));
            }
        }
    }
    seats
}

/// Everything Redis holds of one event's sale, read atomically.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Each zone's sold bitmap, in the venue's zone order.
    pub bitmaps: Vec<Vec<u8>>,
    /// The counters hash: `remaining:<zoneId>` and `sold`.
    pub counters: HashMap<String, i64>,
    /// The tickets of the entries waiting in the outbox; an entry that does not decode is
    /// `Err` with its stream id.
    pub outbox: Vec<Result<Ticket, String>>,
}

impl Snapshot {
    /// Each zone whose counter disagrees with its bitmap: (zone, counter, capacity minus the
    /// seats its bitmap has sold). A missing counter is a zone nothing was sold in yet.
    pub fn counter_mismatches(&self, venue: &Venue) -> Vec<(u32, Option<i64>, i64)> {
        let mut wrong = Vec::new();
        let mut sold_in_all = 0;
        for (zone, bitmap) in venue.zones.iter().zip(&self.bitmaps) {
            let sold: i64 = bitmap.iter().map(|b| i64::from(b.count_ones())).sum();
            sold_in_all += sold;
            let expected = zone.capacity() as i64 - sold;
            let counter = self.counters.get(&remaining_field(zone.zone_id)).copied();
            if counter.unwrap_or(zone.capacity() as i64) != expected {
                wrong.push((zone.zone_id, counter, expected));
            }
        }
        let counter = self.counters.get("sold").copied();
        if counter.unwrap_or(0) != sold_in_all {
            // Zone 0: the event's `sold` counter.
            wrong.push((0, counter, sold_in_all));
        }
        wrong
    }
}

/// Reads the event's bitmaps, counters and outbox in one transaction.
pub async fn snapshot<C: ConnectionLike + Send>(
    conn: &mut C,
    keys: &EventKeys,
    venue: &Venue,
) -> RedisResult<Snapshot> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    for zone in &venue.zones {
        pipe.get(keys.seats(zone.zone_id));
    }
    pipe.hgetall(keys.counts()).xrange_all(keys.outbox());
    let mut values: Vec<redis::Value> = pipe.query_async(conn).await?;
    let outbox: StreamRangeReply = redis::from_redis_value(values.pop().unwrap_or(redis::Value::Nil))?;
    let counters: HashMap<String, i64> = redis::from_redis_value(values.pop().unwrap_or(redis::Value::Nil))?;
    let bitmaps = values
        .into_iter()
        .map(|v| redis::from_redis_value::<Option<Vec<u8>>>(v).map(Option::unwrap_or_default))
        .collect::<Result<_, _>>()?;
    let outbox = outbox
        .ids
        .iter()
        .map(|entry| {
            entry
                .get::<Vec<u8>>(OUTBOX_EVENT_FIELD)
                .and_then(|body| crate::contract::decode(&body).ok())
                .ok_or_else(|| entry.id.clone())
        })
        .collect();
    Ok(Snapshot {
        bitmaps,
        counters,
        outbox,
    })
}

/// In one script: ORs `seats` (those the stores hold) into the zones' sold bitmaps, never
/// clearing a bit (a sale Redis has and the stores do not yet is kept), sets the counters from
/// the bitmaps and marks the event verified. Returns the seats sold in all. Takes up to a
/// second on a server that started this second ([`until_marked`]).
pub async fn rebuild<C: ConnectionLike + Send>(
    conn: &mut C,
    keys: &EventKeys,
    venue: &Venue,
    seats: &[StoredSeat],
) -> RedisResult<i64> {
    let bitmaps = bitmaps(venue, seats);
    let rebuild = Script::new(include_str!("seat_state_rebuild.lua"));
    let mut script = rebuild.prepare_invoke();
    script.key(keys.counts()).key(keys.verified()).key(keys.scratch());
    for zone in &venue.zones {
        script.key(keys.seats(zone.zone_id));
    }
    script.arg(venue.zones.len());
    for (zone, bitmap) in venue.zones.iter().zip(&bitmaps) {
        script
            .arg(remaining_field(zone.zone_id))
            .arg(zone.capacity())
            .arg(bitmap.as_slice());
    }
    until_marked(conn, &script).await
}

#[cfg(test)]
mod tests {
    use domain::{Price, Zone};

    use super::*;

    fn venue() -> Venue {
        let zone = |zone_id, row_count, col_count| Zone {
            zone_id,
            ticket_price: Price::default(),
            row_count,
            col_count,
        };
        Venue {
            venue_id: "V".into(),
            name: "V".into(),
            zones: vec![zone(1, 2, 5), zone(2, 1, 3)],
        }
    }

    #[test]
    fn stored_seats_become_each_zones_bitmap_in_redis_bit_order() {
        let seats = vec![
            (1, "A".to_owned(), 1), // offset 0
            (1, "B".to_owned(), 2), // offset 6
            (1, "A".to_owned(), 5), // offset 4
            (2, "A".to_owned(), 3), // offset 2 of zone 2
            (1, "C".to_owned(), 1), // no row C: left out
            (3, "A".to_owned(), 1), // no zone 3
        ];
        let maps = bitmaps(&venue(), &seats);
        assert_eq!(maps[0], [0b1000_1010]);
        assert_eq!(maps[1], [0b0010_0000]);
        assert!(bitmaps(&venue(), &[])[0].is_empty());
    }

    #[test]
    fn a_bitmap_reads_back_as_its_seats() {
        let seats = vec![
            (1, "A".to_owned(), 1),
            (1, "A".to_owned(), 5),
            (1, "B".to_owned(), 2),
            (2, "A".to_owned(), 3),
        ];
        assert_eq!(seats_of(&venue(), &bitmaps(&venue(), &seats)), seats);
        // Bits past the zone's 10 seats (a bitmap is whole bytes) are not seats.
        assert_eq!(seats_of(&venue(), &[vec![0, 0xff], vec![]]).len(), 2);
    }

    #[test]
    fn counters_that_disagree_with_the_bitmaps_are_named() {
        let mut snapshot = Snapshot {
            bitmaps: bitmaps(&venue(), &[(1, "A".to_owned(), 1), (2, "A".to_owned(), 1)]),
            ..Snapshot::default()
        };
        snapshot.counters = HashMap::from([
            ("remaining:1".to_owned(), 9),
            ("remaining:2".to_owned(), 3),
            ("sold".to_owned(), 2),
        ]);
        assert_eq!(snapshot.counter_mismatches(&venue()), [(2, Some(3), 2)]);
        snapshot.counters.clear();
        assert_eq!(
            snapshot.counter_mismatches(&venue()),
            [(1, None, 9), (2, None, 2), (0, None, 2)]
        );
    }
}
