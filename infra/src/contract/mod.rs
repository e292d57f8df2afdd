//! The ticket event contract: what travels from the commit point to the stores, defined once.
//!
//! ```text
//! seat_lock.lua ──XADD {OUTBOX_ID_FIELD: ticketId, OUTBOX_EVENT_FIELD: event}──> outbox stream
//! relay ──AMQP message (properties(batch id), batch of events)──> ticket.events ──> consumers
//!       └─Kafka record (key: kafka_key(eventId), value: batch of events)──> ticket-events ──> replay
//! ```
//!
//! - **Event**: a JSON object, `"v"` ([`SCHEMA_VERSION`]) and the ticket's fields in camel case
//!   ([`TicketEvent`]). Version 1 is the ticket alone; version 2 adds `buyerId` and `orderId`,
//!   present when a signed-in buyer bought the seat. The outbox holds one event per ticket.
//! - **Message**: what one AMQP message or Kafka record carries. Version 3 ([`BATCH_VERSION`])
//!   is a batch, `{"v":3,"events":[event, ...]}`: the relay sends the entries of one outbox
//!   read of one event as one message ([`batch_body`]), since the broker's cost is per message,
//!   not per byte. A message may also be a single event (version 1 or 2): what older relays
//!   sent, and what a dead-letter queue holds, one poison ticket per message.
//!   [`decode_message`] reads all of them and names the reason for anything else ([`Poison`]):
//!   for the whole message when its envelope is unreadable, or for one event of a batch, so
//!   that one poison ticket is dead-lettered alone and the rest of its batch stored.
//! - **AMQP properties** ([`properties`]): `message_id` derived from the tickets carried
//!   ([`batch_message_id`]: a single ticket's id, or a digest of a batch's), so a re-publish of
//!   the same entries is recognisably the same message; `type` = [`MESSAGE_TYPE`];
//!   `content_type` = [`CONTENT_TYPE`]; persistent. Consumers are idempotent on the ticket id,
//!   so redelivery is harmless.
//! - **Outbox entry**: two fields, [`OUTBOX_ID_FIELD`] and [`OUTBOX_EVENT_FIELD`]; the seat-lock
//!   script receives their names as arguments, so this module is their only spelling.
//! - **Kafka record**: keyed by [`kafka_key`] (the event id), so one event's tickets share a
//!   partition and keep their order; the value is the message.

mod decode;

use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use serde::{Deserialize, Serialize};

use domain::Ticket;

pub use decode::{decode, decode_message, Item, Poison};

/// The version of the ticket event this code writes.
pub const SCHEMA_VERSION: u32 = 2;

/// Every version of a single event [`decode`] reads: all this code ever wrote.
pub const READ_VERSIONS: [u32; 2] = [1, 2];

/// The version of a batch message: `{"v":3,"events":[event, ...]}`.
pub const BATCH_VERSION: u32 = 3;

/// The body of a message carrying `events` (event JSON as the outbox holds it), in order.
pub fn batch_body<'a>(events: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut body = format!("{{\"v\":{BATCH_VERSION},\"events\":[").into_bytes();
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"]}");
    body
}

/// The message id of a message carrying the tickets `ticket_ids`, in order: the ticket id
/// itself for one ticket, else `batch-` and a digest of them all, so the same tickets give
/// the same id and any other set another.
pub fn batch_message_id<'a>(ticket_ids: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut ids = ticket_ids.into_iter();
    let first = ids.next().unwrap_or_default();
    let Some(second) = ids.next() else {
        return first.to_owned();
    };
    let mut digest = Sha256::new();
    for id in [first, second].into_iter().chain(ids) {
        digest.update(id.as_bytes());
        digest.update(b",");
    }
    let hex: String = digest.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("batch-{hex}")
}

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

/// AMQP header of a message: how many ticket events it carries (absent: one), so a
/// consumer fills its store batches by tickets without decoding first.
pub const TICKETS_HEADER: &str = "x-tickets";

/// The AMQP properties of the message with id `message_id` ([`batch_message_id`]) carrying
/// `tickets` ticket events.
pub fn properties(message_id: &str, tickets: usize) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(
        TICKETS_HEADER.into(),
        AMQPValue::LongUInt(u32::try_from(tickets).unwrap_or(u32::MAX)),
    );
    BasicProperties::default()
        .with_message_id(message_id.into())
        .with_content_type(CONTENT_TYPE.into())
        .with_type(MESSAGE_TYPE.into())
        .with_headers(headers)
        // 2 = persistent: the broker writes it to disk before it confirms.
        .with_delivery_mode(2)
}

/// How many ticket events a message with these properties carries, by its header.
pub fn tickets_of(properties: &BasicProperties) -> usize {
    let count = properties
        .headers()
        .as_ref()
        .and_then(|h| match h.inner().get(TICKETS_HEADER) {
            Some(AMQPValue::LongUInt(n)) => Some(*n as usize),
            Some(AMQPValue::LongLongInt(n)) => usize::try_from(*n).ok(),
            Some(AMQPValue::LongInt(n)) => usize::try_from(*n).ok(),
            _ => None,
        });
    count.unwrap_or(1).max(1)
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
    fn a_batch_carries_its_events_in_order_and_is_named_by_its_tickets() {
        let tickets: Vec<Ticket> = (1..=3)
            .map(|c| Ticket::issue("Venue1", "Event1", 1, "A".into(), c, Price::from_cents(100)))
            .collect();
        let events: Vec<String> = tickets.iter().map(|t| TicketEvent::to_json(t).unwrap()).collect();
        let body = batch_body(events.iter().map(|e| e.as_bytes()));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["v"], 3);
        assert_eq!(json["events"].as_array().unwrap().len(), 3);
        let items = decode_message(&body).unwrap();
        let decoded: Vec<Ticket> = items.into_iter().map(|i| i.ticket.unwrap()).collect();
        assert_eq!(decoded, tickets);

        let ids: Vec<String> = tickets.iter().map(|t| t.ticket_id.to_string()).collect();
        let id = batch_message_id(ids.iter().map(String::as_str));
        assert!(id.starts_with("batch-") && id.len() == 6 + 32, "{id}");
        assert_eq!(
            id,
            batch_message_id(ids.iter().map(String::as_str)),
            "the same tickets, the same id"
        );
        assert_ne!(id, batch_message_id(ids[..2].iter().map(String::as_str)));
        assert_ne!(id, batch_message_id(ids.iter().rev().map(String::as_str)));
        assert_eq!(batch_message_id([ids[0].as_str()]), ids[0], "one ticket: its own id");
    }

    #[test]
    fn every_message_carries_id_type_content_type_and_persistence() {
        let properties = properties("01a20c0c-50ea-7513-85c2-99a34372a876", 1);
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
        assert_eq!(tickets_of(&properties), 1);
        assert_eq!(tickets_of(&super::properties("batch-x", 250)), 250);
        assert_eq!(tickets_of(&BasicProperties::default()), 1, "no header: one event");
        assert_eq!(kafka_key("Event1"), b"Event1");
    }
}
