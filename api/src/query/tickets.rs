//! Tickets from the MySQL read model: one by id, pages by filter, counts and revenue.

use std::collections::BTreeMap;

use anyhow::Context;
use domain::{Event, Price, Ticket};
use infra::mysql::{decode_ticket, TicketRow};
use mysql_async::prelude::Queryable;
use mysql_async::Value;
use serde::Serialize;
use uuid::Uuid;

use super::params::{event_and_venue, parse_ticket_id, Params};
use super::sql::{self, TicketFilter};
use super::{Page, Query};
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/tickets/{ticketId}`.
pub async fn one(state: &AppState, id: &str) -> Result<Ticket, ApiError> {
    let id = parse_ticket_id(id)?;
    let rows = fetch(state, sql::ticket_by_id(), vec![Value::from(id.to_string())]).await?;
    rows.into_iter()
        .next()
        .map(public)
        .ok_or_else(|| ApiError::NotFound(format!("there is no ticket {id}")))
}

/// A ticket as anyone may see it: the seat and its sale, not who bought it.
fn public(ticket: Ticket) -> Ticket {
    Ticket {
        buyer_id: None,
        order_id: None,
        ..ticket
    }
}

/// `GET /api/v1/me/tickets?eventId=&limit=&cursor=`: the signed-in buyer's tickets, with
/// their orders, newest first.
pub async fn mine(state: &AppState, buyer: Uuid, query: Query) -> Result<Page<Ticket>, ApiError> {
    let params = Params::new(query, &["eventId", "limit", "cursor"])?;
    let limit = params.limit()?;
    let (filter, mut binds): (_, Vec<Value>) = match params.id("eventId")? {
        Some(event) => (TicketFilter::BuyerEvent, vec![buyer.to_string().into(), event.into()]),
        None => (TicketFilter::Buyer, vec![buyer.to_string().into()]),
    };
    binds.push(ticket_cursor(&params, filter)?.into());
    binds.push((limit as u64 + 1).into());
    let items = fetch(state, sql::ticket_page(filter), binds).await?;
    Ok(Page::of(items, limit, |t| t.ticket_id.to_string()))
}

/// The ticket id a page of `filter` starts after.
fn ticket_cursor(params: &Params, filter: TicketFilter) -> Result<String, ApiError> {
    Ok(match params.cursor()? {
        Some(c) => Uuid::parse_str(&c).map_err(|_| ApiError::bad_cursor())?.to_string(),
        None => filter.first_cursor().to_owned(),
    })
}

/// `GET /api/v1/tickets?eventId=&venueId=&zoneId=&limit=&cursor=`: keyset pagination in
/// ticket id order (sale order), so a walk returns each ticket once even while others
/// are being added.
pub async fn list(state: &AppState, query: Query) -> Result<Page<Ticket>, ApiError> {
    let params = Params::new(query, &["eventId", "venueId", "zoneId", "limit", "cursor"])?;
    let (event, venue, zone) = (params.id("eventId")?, params.id("venueId")?, params.positive("zoneId")?);
    let limit = params.limit()?;
    let (filter, mut binds): (_, Vec<Value>) = match (event, venue, zone) {
        (Some(event), venue, zone) => {
            if let Some(venue) = venue {
                let at_venue = state.catalog().event(&event).is_some_and(|e| e.venue_id == venue);
                if !at_venue {
                    return Ok(Page::empty());
                }
            }
            match zone {
                Some(zone) => (TicketFilter::EventZone, vec![event.into(), zone.into()]),
                None => (TicketFilter::Event, vec![event.into()]),
            }
        }
        (None, _, Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "zoneId",
                "needs `eventId`: zones belong to an event's venue",
            ))
        }
        (None, Some(venue), None) => (TicketFilter::Venue, vec![venue.into()]),
        (None, None, None) => (TicketFilter::All, Vec::new()),
    };
    binds.push(ticket_cursor(&params, filter)?.into());
    binds.push((limit as u64 + 1).into());
    let items = fetch(state, sql::ticket_page(filter), binds).await?;
    Ok(Page::of(items, limit, |t| t.ticket_id.to_string()).map(public))
}

/// Sold, capacity and remaining seats of one zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneCount {
    zone_id: u32,
    sold: u64,
    capacity: u64,
    remaining: u64,
}

/// The answer of `GET /api/v1/tickets/count/{eventId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    event_id: String,
    venue_id: String,
    sold: u64,
    capacity: u64,
    remaining: u64,
    zones: Vec<ZoneCount>,
}

/// `GET /api/v1/tickets/count/{eventId}`: tickets stored in the read model, per zone.
pub async fn count(state: &AppState, event_id: &str) -> Result<Count, ApiError> {
    let (event, venue) = event_and_venue(state, None, event_id)?;
    let sales = sales_by_zone(state, event).await?;
    let zones: Vec<ZoneCount> = venue
        .zones
        .iter()
        .map(|z| {
            let sold = sales.get(&z.zone_id).map_or(0, |s| s.0);
            ZoneCount {
                zone_id: z.zone_id,
                sold,
                capacity: z.capacity(),
                remaining: z.remaining(sold),
            }
        })
        .collect();
    let sold = zones.iter().map(|z| z.sold).sum();
    Ok(Count {
        event_id: event.event_id.clone(),
        venue_id: venue.venue_id.clone(),
        sold,
        capacity: venue.capacity(),
        remaining: venue.remaining(sold),
        zones,
    })
}

/// Revenue of one zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneRevenue {
    zone_id: u32,
    sold: u64,
    revenue: Price,
}

/// The answer of `GET /api/v1/tickets/money/{venueId}/{eventId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revenue {
    venue_id: String,
    event_id: String,
    sold: u64,
    /// Exact: summed by MySQL as DECIMAL, carried as cents, answered as a decimal string.
    revenue: Price,
    zones: Vec<ZoneRevenue>,
}

/// `GET /api/v1/tickets/money/{venueId}/{eventId}`.
pub async fn money(state: &AppState, venue_id: &str, event_id: &str) -> Result<Revenue, ApiError> {
    let (event, venue) = event_and_venue(state, Some(venue_id), event_id)?;
    let sales = sales_by_zone(state, event).await?;
    let zones: Vec<ZoneRevenue> = sales
        .into_iter()
        .map(|(zone_id, (sold, revenue))| ZoneRevenue { zone_id, sold, revenue })
        .collect();
    let sold = zones.iter().map(|z| z.sold).sum();
    let revenue = Price::from_cents(zones.iter().map(|z| z.revenue.cents()).sum());
    Ok(Revenue {
        venue_id: venue.venue_id.clone(),
        event_id: event.event_id.clone(),
        sold,
        revenue,
        zones,
    })
}

/// Sold tickets and revenue per zone.
async fn sales_by_zone(state: &AppState, event: &Event) -> Result<BTreeMap<u32, (u64, Price)>, ApiError> {
    let mut conn = connection(state).await?;
    let rows: Vec<(u32, u64, String)> = conn
        .exec(sql::SALES_BY_ZONE, (event.event_id.as_str(),))
        .await
        .map_err(|e| ApiError::mysql(e, "Failed to sum the sales per zone"))?;
    rows.into_iter()
        .map(|(zone, sold, revenue)| {
            let revenue = revenue
                .parse::<Price>()
                .with_context(|| format!("MySQL summed zone {zone} to {revenue}"))?;
            Ok((zone, (sold, revenue)))
        })
        .collect()
}

async fn connection(state: &AppState) -> Result<mysql_async::Conn, ApiError> {
    state
        .mysql_read()
        .get_conn()
        .await
        .map_err(|e| ApiError::mysql(e, "Failed to get a MySQL connection"))
}

async fn fetch(state: &AppState, statement: String, binds: Vec<Value>) -> Result<Vec<Ticket>, ApiError> {
    let mut conn = connection(state).await?;
    let rows: Vec<TicketRow> = conn
        .exec(statement, binds)
        .await
        .map_err(|e| ApiError::mysql(e, "Failed to read tickets"))?;
    let tickets = rows.into_iter().map(decode_ticket).collect::<anyhow::Result<_>>()?;
    Ok(tickets)
}
