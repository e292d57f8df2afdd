//! A sold ticket, and the event that carries it from the commit point to the stores.
//!
//! The event contract (schema version [`SCHEMA_VERSION`]): a JSON object with `"v"` and the
//! ticket's fields, published with AMQP `message_id` = ticketId and content type
//! `application/json`. Consumers are idempotent on `ticketId`, so redelivery is harmless.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::Price;

/// The version of the ticket event this code writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A sold seat, as answered by the API and stored by both models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Time-ordered (UUIDv7), so indexes on it stay append-mostly.
    pub ticket_id: Uuid,
    /// Venue of the event.
    pub venue_id: String,
    /// Event the seat is sold for.
    pub event_id: String,
    /// Zone of the seat.
    pub zone_id: u32,
    /// Row label, `A`.. .
    pub row: String,
    /// Seat number in the row, from 1.
    pub column: u32,
    /// The zone's price at the time of sale.
    pub price: Price,
    /// When the seat was sold: UTC, always with three decimals (`2027-01-02T03:04:05.000Z`).
    #[serde(with = "millis")]
    pub created_on: DateTime<Utc>,
}

impl Ticket {
    /// A new ticket id and timestamp for a seat about to be sold.
    pub fn issue(venue_id: &str, event_id: &str, zone_id: u32, row: String, column: u32, price: Price) -> Self {
        Self {
            ticket_id: Uuid::now_v7(),
            venue_id: venue_id.to_owned(),
            event_id: event_id.to_owned(),
            zone_id,
            row,
            column,
            price,
            created_on: Utc::now().trunc_subsecs(3),
        }
    }
}

/// `createdOn` as it is written everywhere (the API, the events, DynamoDB): RFC 3339 in UTC
/// with exactly three decimals, `2027-01-02T03:04:05.000Z`, so every reader parses one shape.
pub fn created_on_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde for `createdOn`, see [`created_on_text`].
mod millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::created_on_text(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.to_utc())
            .map_err(serde::de::Error::custom)
    }
}

/// The message body of a ticket event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Schema version of the body.
    pub v: u32,
    /// The ticket.
    #[serde(flatten)]
    pub ticket: Ticket,
}

impl TicketEvent {
    /// Wraps a ticket in the current schema.
    pub fn new(ticket: Ticket) -> Self {
        Self {
            v: SCHEMA_VERSION,
            ticket,
        }
    }

    /// The event body for a ticket already serialized as `ticket_json` (a JSON object): the
    /// same fields with the schema version first, without serializing the ticket again.
    pub fn from_ticket_json(ticket_json: &str) -> String {
        let fields = ticket_json.strip_prefix('{').unwrap_or(ticket_json);
        let mut event = String::with_capacity(ticket_json.len() + 8);
        event.push_str(&format!("{{\"v\":{SCHEMA_VERSION}"));
        if fields != "}" {
            event.push(',');
        }
        event.push_str(fields);
        event
    }

    /// The body of the event of `ticket`, serialized without copying the ticket.
    pub fn to_json(ticket: &Ticket) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            v: u32,
            #[serde(flatten)]
            ticket: &'a Ticket,
        }
        serde_json::to_string(&Borrowed {
            v: SCHEMA_VERSION,
            ticket,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_format_is_flat_camel_case_json() {
        let mut ticket = Ticket::issue("Venue1", "Event1", 7, "C".into(), 12, Price::from_cents(6550));
        ticket.ticket_id = Uuid::nil();
        ticket.created_on = DateTime::parse_from_rfc3339("2027-01-02T03:04:05.678Z").unwrap().into();
        let json = serde_json::to_value(TicketEvent::new(ticket.clone())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "v": 1,
                "ticketId": "00000000-0000-0000-0000-000000000000",
                "venueId": "Venue1",
                "eventId": "Event1",
                "zoneId": 7,
                "row": "C",
                "column": 12,
                "price": "65.50",
                "createdOn": "2027-01-02T03:04:05.678Z"
            })
        );
        let borrowed: serde_json::Value = serde_json::from_str(&TicketEvent::to_json(&ticket).unwrap()).unwrap();
        assert_eq!(borrowed, json);
        let spliced = TicketEvent::from_ticket_json(&serde_json::to_string(&ticket).unwrap());
        assert_eq!(serde_json::from_str::<serde_json::Value>(&spliced).unwrap(), json);
        assert!(spliced.starts_with(r#"{"v":1,"ticketId""#), "{spliced}");
        let back: TicketEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back.ticket, ticket);
    }

    #[test]
    fn created_on_always_has_three_decimals() {
        let mut ticket = Ticket::issue("V", "E", 1, "A".into(), 1, Price::default());
        ticket.created_on = DateTime::parse_from_rfc3339("2027-01-02T03:04:05Z").unwrap().into();
        let json = serde_json::to_value(&ticket).unwrap();
        assert_eq!(json["createdOn"], "2027-01-02T03:04:05.000Z");
    }

    #[test]
    fn ticket_ids_sort_by_issue_time() {
        let a = Ticket::issue("V", "E", 1, "A".into(), 1, Price::default());
        let b = Ticket::issue("V", "E", 1, "A".into(), 2, Price::default());
        assert!(a.ticket_id < b.ticket_id);
    }
}
