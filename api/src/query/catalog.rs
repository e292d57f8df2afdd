//! Events and venues, answered from the in-memory catalog: it is small, loaded at start and
//! the same in every instance, so searching costs no I/O. Name search is a case-insensitive
//! substring match, which no B-tree index could serve anyway. Only the seats left of the
//! events answered come from Redis, in one round trip per page; while Redis does not answer
//! they are left out and the catalog still answers.

use chrono::{DateTime, Utc};
use domain::{Event, Price, Venue, Zone};
use serde::Serialize;

use infra::redis::{EventKeys, SOLD_FIELD};
use redis::AsyncCommands;

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
    /// Seats not sold yet (held ones included: a hold may lapse).
    #[serde(skip_serializing_if = "Option::is_none")]
    seats_left: Option<u64>,
}

/// The views of `events`, with their seats left read from Redis: one `HGET` per event, side
/// by side (one request may not span the slots of two events on a cluster).
async fn views<'c>(state: &'c AppState, events: Vec<&'c Event>) -> Vec<EventView<'c>> {
    let reads = events.iter().map(|event| {
        let counts = EventKeys::new(state.key_prefix(), &event.event_id).counts();
        let mut redis = state.redis();
        async move { redis.hget::<_, _, Option<u64>>(counts, SOLD_FIELD).await }
    });
    // Per event the `sold` counter (absent before the first sale); None for all of them
    // when Redis does not answer.
    let sold: Option<Vec<Option<u64>>> = match futures_util::future::try_join_all(reads).await {
        Ok(sold) => Some(sold),
        Err(e) => {
            tracing::warn!(error = %e, "events: seats left unknown, Redis did not answer");
            None
        }
    };
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let venue = state.catalog().venue(&event.venue_id);
            let capacity = venue.map_or(0, Venue::capacity);
            EventView {
                event,
                venue_name: venue.map_or("", |v| &v.name),
                capacity,
                seats_left: sold
                    .as_ref()
                    .map(|sold| capacity.saturating_sub(sold.get(i).copied().flatten().unwrap_or(0))),
            }
        })
        .collect()
}

/// `GET /api/v1/events?q=&type=&venueId=&from=&to=&limit=&cursor=`: sorted by date, then id.
pub async fn events(state: &AppState, query: Query) -> Result<Page<EventView<'_>>, ApiError> {
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
    let page = Page::of(page, limit, |e| format!("{}|{}", e.date.to_rfc3339(), e.event_id));
    Ok(Page {
        items: views(state, page.items).await,
        next_cursor: page.next_cursor,
    })
}

/// The position a decoded events `cursor` names, `<RFC 3339 date>|<eventId>` as [`events`]
/// writes it, or `bad_cursor`.
pub fn parse_event_cursor(cursor: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    let (date, id) = cursor.split_once('|').ok_or_else(ApiError::bad_cursor)?;
    let date = DateTime::parse_from_rfc3339(date)
        .map_err(|_| ApiError::bad_cursor())?
        .to_utc();
    Ok((date, id.to_owned()))
}

/// `GET /api/v1/events/{eventId}`.
pub async fn event<'c>(state: &'c AppState, id: &str) -> Result<EventView<'c>, ApiError> {
    let id = parse_id("eventId", id)?;
    let event = state
        .catalog()
        .event(&id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no event `{id}`")))?;
    let mut views = views(state, vec![event]).await;
    views
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("there is no event `{id}`")))
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
