//! The ticket event contract: what travels from the commit point to the stores, defined once.
//!
//! ```text
//! seat_lock.lua ──XADD {OUTBOX_ID_FIELD: ticketId, OUTBOX_EVENT_FIELD: body}──> outbox stream
//! relay ──AMQP message (properties(ticketId), body)──> ticket.events ──> consumers: decode(body)
//!       └─Kafka record (key: kafka_key(eventId), value: body)──> ticket-events ──> replay: decode
//! ```
//!
//! - **Body**: a JSON object, `"v"` ([`SCHEMA_VERSION`]) and the ticket's fields in camel case
//!   ([`TicketEvent`]); [`decode`] accepts every version this code ever wrote and names the
//!   reason for anything else ([`Poison`]). Version 1 is the ticket alone; version 2 adds
//!   `buyerId` and `orderId`, present when a signed-in buyer bought the seat.
//! - **AMQP properties** ([`properties`]): `message_id` = the ticket id, so a re-publish is
//!   recognisably the same message; `type` = [`MESSAGE_TYPE`]; `content_type` =
//!   [`CONTENT_TYPE`]; persistent. Consumers are idempotent on the ticket id, so redelivery
//!   is harmless.
//! - **Outbox entry**: two fields, [`OUTBOX_ID_FIELD`] and [`OUTBOX_EVENT_FIELD`]; the seat-lock
//!   script receives their names as arguments, so this module is their only spelling.
//! - **Kafka record**: keyed by [`kafka_key`] (the event id), so one event's tickets share a
//!   partition and keep their order; the value is the body.

mod decode;

use lapin::BasicProperties;
use serde::{Deserialize, Serialize};

use domain::Ticket;

pub use decode::{decode, Poison};

/// The version of the ticket event this code writes.
pub const SCHEMA_VERSION: u32 = 2;

/// Every version [`decode`] reads: all this code ever wrote.
pub const READ_VERSIONS: [u32; 2] = [1, 2];

/// AMQP `type` of a ticket event.
pub const MESSAGE_TYPE: &str = "ticket.created";

/// AMQP `type` of the reset command (`POST /api/v1/admin/reset`): a store that reaches it in
/// its queue wipes every ticket it holds, then goes on with the messages after it. Its body
/// (`{"reset": id}`) carries nothing a store needs.
pub const RESET_TYPE: &str = "sales.reset";

/// AMQP `content_type` of a ticket event.
pub const CONTENT_TYPE: &str = "application/json";

/// Field of an outbox entry holding the ticket id (the AMQP message id).
pub const OUTBOX_ID_FIELD: &str = "id";

/// Field of an outbox entry holding the event body.
pub const OUTBOX_EVENT_FIELD: &str = "e";

/// The AMQP properties of the message with id `message_id` (a ticket id, for a ticket event).
pub fn properties(message_id: &str) -> BasicProperties {
    BasicProperties::default()
        .with_message_id(message_id.into())
        .with_content_type(CONTENT_TYPE.into())
        .with_type(MESSAGE_TYPE.into())
        // 2 = persistent: the broker writes it to disk before it confirms.
        .with_delivery_mode(2)
}

/// The AMQP properties of the reset command with id `id`.
pub fn reset_properties(id: &str) -> BasicProperties {
    BasicProperties::default()
        .with_message_id(id.into())
        .with_content_type(CONTENT_TYPE.into())
        .with_type(RESET_TYPE.into())
        .with_delivery_mode(2)
}

/// Whether a message with these properties is the reset command.
pub fn is_reset(properties: &BasicProperties) -> bool {
    properties
        .kind()
        .as_ref()
        .is_some_and(|kind| kind.as_str() == RESET_TYPE)
}

/// The Kafka key of the events of `event_id`.
pub fn kafka_key(event_id: &str) -> &[u8] {
    event_id.as_bytes()
}

/// The body of a ticket event.
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
    use chrono::DateTime;
    use domain::Price;
    use uuid::Uuid;

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
                "v": 2,
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
        assert!(spliced.starts_with(r#"{"v":2,"ticketId""#), "{spliced}");
        let back: TicketEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back.ticket, ticket);
        assert_eq!(
            decode(spliced.as_bytes()).unwrap(),
            ticket,
            "what is written is what is read"
        );

        let owned = ticket.clone().owned_by(Uuid::from_u128(1), Uuid::from_u128(2));
        let json = serde_json::to_value(TicketEvent::new(owned.clone())).unwrap();
        assert_eq!(json["buyerId"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(json["orderId"], "00000000-0000-0000-0000-000000000002");
        assert_eq!(decode(TicketEvent::to_json(&owned).unwrap().as_bytes()).unwrap(), owned);
    }

    #[test]
    fn version_one_events_are_still_read() {
        let v1 = br#"{"v":1,"ticketId":"01a20c0c-50ea-7513-85c2-99a34372a876","venueId":"Venue1","eventId":"Event1","zoneId":3,"row":"B","column":7,"price":"19.99","createdOn":"2026-11-24T05:34:23.466Z"}"#;
        let ticket = decode(v1).unwrap();
        assert_eq!((ticket.buyer_id, ticket.order_id), (None, None));
        assert_eq!(ticket.price.cents(), 1999);
    }

    #[test]
    fn every_message_carries_id_type_content_type_and_persistence() {
        let properties = properties("01a20c0c-50ea-7513-85c2-99a34372a876");
        assert_eq!(
            properties.message_id().as_ref().map(|m| m.as_str()),
            Some("01a20c0c-50ea-7513-85c2-99a34372a876")
        );
        assert_eq!(properties.kind().as_ref().map(|t| t.as_str()), Some("ticket.created"));
        assert_eq!(
            properties.content_type().as_ref().map(|c| c.as_str()),
            Some("application/json")
        );
        assert_eq!(properties.delivery_mode(), &Some(2));
        assert_eq!(kafka_key("Event1"), b"Event1");
    }
}
