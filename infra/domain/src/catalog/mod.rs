//! The catalog: venues with their priced zones, and the events held at them.
//!
//! It is small and changes rarely, so every service holds it in memory; MySQL keeps a copy
//! for the read model's joins. The seed file (`infra/domain/catalog/seed.json`, or the file
//! named by `CATALOG_PATH`) is the source of truth and is validated as a whole before
//! anything uses it.

mod price;
pub mod row;

use std::collections::{BTreeMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use price::{Price, PriceError};

/// The seed file compiled into the binaries, used when `CATALOG_PATH` is not set.
pub const BUILTIN_SEED: &str = include_str!("../../catalog/seed.json");

/// Longest venue or event id accepted anywhere.
pub const MAX_ID_LEN: usize = 64;

/// The most columns a zone may have.
pub const MAX_COLUMNS: u32 = 10_000;

/// A priced block of seats with `row_count` rows of `col_count` seats each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Zone {
    /// Unique within its venue, from 1.
    pub zone_id: u32,
    /// The price of every seat in the zone.
    pub ticket_price: Price,
    /// Rows, labelled `A`.. (see [`row`]).
    pub row_count: u32,
    /// Seats per row, numbered from 1.
    pub col_count: u32,
}

impl Zone {
    /// Seats in the zone.
    pub fn capacity(&self) -> u64 {
        u64::from(self.row_count) * u64::from(self.col_count)
    }

    /// Free seats once `sold` are sold. Never below zero: counts read from a store may
    /// exceed a capacity that the catalog has since lowered.
    pub fn remaining(&self, sold: u64) -> u64 {
        self.capacity().saturating_sub(sold)
    }

    /// The position of a seat in the zone, row-major from 0, or `None` when the 1-based
    /// `row`/`column` lies outside the zone.
    pub fn seat_offset(&self, row: u32, column: u32) -> Option<u64> {
        let in_zone = (1..=self.row_count).contains(&row) && (1..=self.col_count).contains(&column);
        in_zone.then(|| u64::from(row - 1) * u64::from(self.col_count) + u64::from(column - 1))
    }
}

/// A place with zones of seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Venue {
    /// Unique id, `[A-Za-z0-9_-]`, at most [`MAX_ID_LEN`] characters.
    pub venue_id: String,
    /// Display name.
    pub name: String,
    /// Zones in ascending `zoneId` order.
    pub zones: Vec<Zone>,
}

impl Venue {
    /// The zone with this id.
    pub fn zone(&self, zone_id: u32) -> Option<&Zone> {
        self.zones
            .binary_search_by_key(&zone_id, |z| z.zone_id)
            .ok()
            .map(|i| &self.zones[i])
    }

    /// Seats across all zones.
    pub fn capacity(&self) -> u64 {
        self.zones.iter().map(Zone::capacity).sum()
    }

    /// Free seats of the venue once `sold` are sold, with the rule of [`Zone::remaining`].
    pub fn remaining(&self, sold: u64) -> u64 {
        self.capacity().saturating_sub(sold)
    }
}

/// Something that sells seats of one venue on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// Unique id, `[A-Za-z0-9_-]`, at most [`MAX_ID_LEN`] characters.
    pub event_id: String,
    /// Where it takes place.
    pub venue_id: String,
    /// Display name, searched by the read API.
    pub name: String,
    /// Kind of event, e.g. `concert`, `sport`, `theatre`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it starts.
    pub date: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    venues: Vec<Venue>,
    events: Vec<Event>,
}

/// The validated, indexed catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    venues: BTreeMap<String, Venue>,
    events: BTreeMap<String, Event>,
}

impl Catalog {
    /// Parses and validates a seed document.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        let seed: Seed = serde_json::from_str(json).context("Failed to parse the catalog seed")?;
        Self::new(seed.venues, seed.events)
    }

    /// The catalog compiled into the binaries ([`BUILTIN_SEED`]).
    pub fn builtin() -> anyhow::Result<Self> {
        Self::from_json(BUILTIN_SEED).context("In the built-in seed")
    }

    /// Builds a catalog, checking ids, references and zone shapes.
    pub fn new(venues: Vec<Venue>, events: Vec<Event>) -> anyhow::Result<Self> {
        let mut by_id = BTreeMap::new();
        for mut venue in venues {
            check_id("venueId", &venue.venue_id)?;
            venue.zones.sort_by_key(|z| z.zone_id);
            let mut seen = HashSet::new();
            anyhow::ensure!(!venue.zones.is_empty(), "venue {} has no zones", venue.venue_id);
            for zone in &venue.zones {
                anyhow::ensure!(
                    seen.insert(zone.zone_id),
                    "venue {} repeats zone {}",
                    venue.venue_id,
                    zone.zone_id
                );
                anyhow::ensure!(zone.zone_id >= 1, "venue {}: zone ids start at 1", venue.venue_id);
                anyhow::ensure!(
                    (1..=row::MAX_ROWS).contains(&zone.row_count) && (1..=MAX_COLUMNS).contains(&zone.col_count),
                    "venue {} zone {}: rowCount must be 1..={} and colCount 1..={}",
                    venue.venue_id,
                    zone.zone_id,
                    row::MAX_ROWS,
                    MAX_COLUMNS
                );
            }
            let id = venue.venue_id.clone();
            anyhow::ensure!(by_id.insert(id.clone(), venue).is_none(), "venue {id} is defined twice");
        }
        let mut events_by_id = BTreeMap::new();
        for event in events {
            check_id("eventId", &event.event_id)?;
            anyhow::ensure!(
                by_id.contains_key(&event.venue_id),
                "event {} is at unknown venue {}",
                event.event_id,
                event.venue_id
            );
            let id = event.event_id.clone();
            anyhow::ensure!(
                events_by_id.insert(id.clone(), event).is_none(),
                "event {id} is defined twice"
            );
        }
        Ok(Self {
            venues: by_id,
            events: events_by_id,
        })
    }

    /// The venue with this id.
    pub fn venue(&self, venue_id: &str) -> Option<&Venue> {
        self.venues.get(venue_id)
    }

    /// The event with this id.
    pub fn event(&self, event_id: &str) -> Option<&Event> {
        self.events.get(event_id)
    }

    /// All venues, by id.
    pub fn venues(&self) -> impl ExactSizeIterator<Item = &Venue> {
        self.venues.values()
    }

    /// All events, by id.
    pub fn events(&self) -> impl ExactSizeIterator<Item = &Event> {
        self.events.values()
    }
}

/// Whether `id` is usable as a venue or event id: 1 to [`MAX_ID_LEN`] characters of
/// `[A-Za-z0-9_-]`. Ids end up inside Redis keys and hash tags, so braces and colons are out.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_id(field: &str, id: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        is_valid_id(id),
        "{field} {id:?} must be 1..={MAX_ID_LEN} characters of A-Z, a-z, 0-9, '-' or '_'"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(zone_id: u32, rows: u32, cols: u32) -> Zone {
        Zone {
            zone_id,
            ticket_price: Price::from_cents(1000),
            row_count: rows,
            col_count: cols,
        }
    }

    fn venue(id: &str, zones: Vec<Zone>) -> Venue {
        Venue {
            venue_id: id.into(),
            name: id.into(),
            zones,
        }
    }

    fn event(id: &str, venue_id: &str) -> Event {
        Event {
            event_id: id.into(),
            venue_id: venue_id.into(),
            name: id.into(),
            kind: "concert".into(),
            date: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_builtin_seed_holds_the_benchmark_venue() {
        let catalog = Catalog::builtin().unwrap();
        let venue1 = catalog.venue("Venue1").unwrap();
        assert_eq!(venue1.zones.len(), 100);
        assert!(venue1.zones.iter().all(|z| z.row_count == 26 && z.col_count == 30));
        assert_eq!(venue1.capacity(), 78_000);
        assert_eq!(catalog.event("Event1").unwrap().venue_id, "Venue1");
        assert!(catalog.venues().len() >= 3, "several venues");
        let kinds: HashSet<_> = catalog.events().map(|e| e.kind.as_str()).collect();
        assert!(kinds.len() >= 3, "several event types: {kinds:?}");
    }

    #[test]
    fn remaining_seats_never_go_below_zero() {
        let z = zone(1, 2, 5);
        assert_eq!(z.remaining(3), 7);
        assert_eq!(z.remaining(10), 0);
        assert_eq!(z.remaining(11), 0, "more sold than the zone holds: a shrunk catalog");
        let v = venue("V", vec![z, zone(2, 1, 1)]);
        assert_eq!((v.remaining(4), v.remaining(12)), (7, 0));
    }

    #[test]
    fn seat_offsets_are_row_major_and_bounded() {
        let z = zone(1, 26, 30);
        assert_eq!(z.seat_offset(1, 1), Some(0));
        assert_eq!(z.seat_offset(1, 30), Some(29));
        assert_eq!(z.seat_offset(2, 1), Some(30));
        assert_eq!(z.seat_offset(26, 30), Some(779));
        for (row, col) in [(0, 1), (1, 0), (27, 1), (1, 31)] {
            assert_eq!(z.seat_offset(row, col), None, "{row},{col}");
        }
    }

    #[test]
    fn zones_are_found_by_id_whatever_the_seed_order() {
        let catalog = Catalog::new(vec![venue("V", vec![zone(3, 1, 1), zone(1, 2, 2)])], vec![]).unwrap();
        let v = catalog.venue("V").unwrap();
        assert_eq!(v.zone(1).unwrap().row_count, 2);
        assert_eq!(v.zone(3).unwrap().row_count, 1);
        assert!(v.zone(2).is_none());
    }

    #[test]
    fn rejects_inconsistent_seeds() {
        let cases = [
            (
                vec![venue("V", vec![zone(1, 1, 1)])],
                vec![event("E", "Nowhere")],
                "unknown venue",
            ),
            (
                vec![venue("V", vec![zone(1, 1, 1), zone(1, 2, 2)])],
                vec![],
                "repeats zone",
            ),
            (vec![venue("V", vec![])], vec![], "no zones"),
            (vec![venue("V", vec![zone(1, 0, 1)])], vec![], "rowCount"),
            (vec![venue("{V}", vec![zone(1, 1, 1)])], vec![], "venueId"),
            (
                vec![venue("V", vec![zone(1, 1, 1)]), venue("V", vec![zone(1, 1, 1)])],
                vec![],
                "twice",
            ),
            (
                vec![venue("V", vec![zone(1, 1, 1)])],
                vec![event("E", "V"), event("E", "V")],
                "twice",
            ),
        ];
        for (venues, events, expected) in cases {
            let err = Catalog::new(venues, events).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} should mention {expected:?}");
        }
    }

    #[test]
    fn ids_are_restricted_to_key_safe_characters() {
        assert!(is_valid_id("Event-1_b"));
        for bad in ["", "a:b", "{a}", "a b", &"x".repeat(MAX_ID_LEN + 1)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }
}
