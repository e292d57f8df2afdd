//! Events and venues, answered from the in-memory catalog: it is small, loaded at start and
//! the same in every instance, so these queries cost no I/O. Name search is a
//! case-insensitive substring match, which no B-tree index could serve anyway.

use chrono::{DateTime, Utc};
use domain::{Event, Price, Venue, Zone};
use serde::Serialize;

use super::params::{parse_id, Params};
use super::{Page, Query};
use crate::error::ApiError;
use crate::state::AppState;

/// Longest accepted search text.
const MAX_QUERY_LEN: usize = 100;

/// An event with its venue's name and capacity.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView<'c> {
    #[serde(flatten)]
    event: &'c Event,
    venue_name: &'c str,
    capacity: u64,
}

fn view<'c>(state: &'c AppState, event: &'c Event) -> EventView<'c> {
    let venue = state.catalog().venue(&event.venue_id);
    EventView {
        event,
        venue_name: venue.map_or("", |v| &v.name),
        capacity: venue.map_or(0, Venue::capacity),
    }
}

/// `GET /api/v1/events?q=&type=&venueId=&from=&to=&limit=&cursor=`: sorted by date, then id.
pub fn events(state: &AppState, query: Query) -> Result<Page<EventView<'_>>, ApiError> {
    let params = Params::new(query, &["q", "type", "venueId", "from", "to", "limit", "cursor"])?;
    let text = params.text("q", MAX_QUERY_LEN)?.map(|q| q.to_lowercase());
    let kind = params.text("type", 32)?;
    let venue = params.id("venueId")?;
    let (from, to) = (params.instant("from", false)?, params.instant("to", true)?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::invalid_parameter("to", "must not be before `from`"));
        }
    }
    let limit = params.limit()?;
    let after = params.cursor()?.map(|c| parse_event_cursor(&c)).transpose()?;

    let mut matching: Vec<&Event> = state
        .catalog()
        .events()
        .filter(|e| text.as_ref().is_none_or(|q| e.name.to_lowercase().contains(q)))
        .filter(|e| kind.as_ref().is_none_or(|k| e.kind.eq_ignore_ascii_case(k)))
        .filter(|e| venue.as_ref().is_none_or(|v| &e.venue_id == v))
        .filter(|e| from.is_none_or(|f| e.date >= f) && to.is_none_or(|t| e.date <= t))
        .collect();
    matching.sort_by(|a, b| (a.date, &a.event_id).cmp(&(b.date, &b.event_id)));
    let page: Vec<&Event> = matching
        .into_iter()
        .filter(|e| {
            after
                .as_ref()
                .is_none_or(|(date, id)| (e.date, &e.event_id) > (*date, id))
        })
        .take(limit + 1)
        .collect();
    Ok(Page::of(page, limit, |e| format!("{}|{}", e.date.to_rfc3339(), e.event_id)).map(|e| view(state, e)))
}

fn parse_event_cursor(cursor: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    let (date, id) = cursor.split_once('|').ok_or_else(ApiError::bad_cursor)?;
    let date = DateTime::parse_from_rfc3339(date)
        .map_err(|_| ApiError::bad_cursor())?
        .to_utc();
    Ok((date, id.to_owned()))
}

/// `GET /api/v1/events/{eventId}`.
pub fn event<'c>(state: &'c AppState, id: &str) -> Result<EventView<'c>, ApiError> {
    let id = parse_id("eventId", id)?;
    let event = state
        .catalog()
        .event(&id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no event `{id}`")))?;
    Ok(view(state, event))
}

/// A venue in a list: its size and price range, without the zones.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VenueSummary<'c> {
    venue_id: &'c str,
    name: &'c str,
    zone_count: usize,
    capacity: u64,
    min_price: Price,
    max_price: Price,
}

/// `GET /api/v1/venues?limit=&cursor=`, by id.
pub fn venues(state: &AppState, query: Query) -> Result<Page<VenueSummary<'_>>, ApiError> {
    let params = Params::new(query, &["limit", "cursor"])?;
    let limit = params.limit()?;
    let after = params.cursor()?;
    let page: Vec<&Venue> = state
        .catalog()
        .venues()
        .filter(|v| after.as_ref().is_none_or(|a| v.venue_id > *a))
        .take(limit + 1)
        .collect();
    Ok(Page::of(page, limit, |v| v.venue_id.clone()).map(|v| VenueSummary {
        venue_id: &v.venue_id,
        name: &v.name,
        zone_count: v.zones.len(),
        capacity: v.capacity(),
        min_price: v.zones.iter().map(|z| z.ticket_price).min().unwrap_or_default(),
        max_price: v.zones.iter().map(|z| z.ticket_price).max().unwrap_or_default(),
    }))
}

/// A venue with every zone, its price and its shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VenueDetail<'c> {
    venue_id: &'c str,
    name: &'c str,
    capacity: u64,
    zones: Vec<ZoneView<'c>>,
}

/// A zone with its capacity.
#[derive(Debug, Serialize)]
pub struct ZoneView<'c> {
    #[serde(flatten)]
    zone: &'c Zone,
    capacity: u64,
}

/// `GET /api/v1/venues/{venueId}`.
pub fn venue<'c>(state: &'c AppState, id: &str) -> Result<VenueDetail<'c>, ApiError> {
    let id = parse_id("venueId", id)?;
    let v = state
        .catalog()
        .venue(&id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no venue `{id}`")))?;
    Ok(VenueDetail {
        venue_id: &v.venue_id,
        name: &v.name,
        capacity: v.capacity(),
        zones: v
            .zones
            .iter()
            .map(|zone| ZoneView {
                zone,
                capacity: zone.capacity(),
            })
            .collect(),
    })
}
