//! Decoding a message (an AMQP message, a Kafka record) into its tickets, or the reason it,
//! or one event in it, can never be processed.

use domain::catalog::{is_valid_id, row};
use domain::Ticket;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{TicketEvent, BATCH_VERSION, READ_VERSIONS};

/// Why a body is poison: a message goes to the dead-letter queue with this reason in the log,
/// a replayed record is reported with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Poison(pub String);

/// One event of a message: its bytes (to dead-letter it alone) and its ticket, or why not.
#[derive(Debug)]
pub struct Item<'a> {
    /// The event's JSON as it travelled.
    pub bytes: &'a [u8],
    /// The ticket it carries.
    pub ticket: Result<Ticket, Poison>,
}

/// A message's version, and the events of a batch, every other field skipped.
#[derive(Deserialize)]
struct Envelope<'a> {
    v: u32,
    #[serde(borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

/// The events of a message: one item per event of a batch, or the one of a single event.
/// The whole message is poison when it is not a batch (version 3) with events and not a
/// good single event; a poison event inside a batch is an item of its own, so the rest of
/// the batch is stored.
pub fn decode_message(body: &[u8]) -> Result<Vec<Item<'_>>, Poison> {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { v, events }) if v == BATCH_VERSION => {
            let events = events
                .filter(|events| !events.is_empty())
                .ok_or_else(|| Poison("a batch (version 3) without `events`".into()))?;
            Ok(events
                .into_iter()
                .map(|event| {
                    let bytes = event.get().as_bytes();
                    Item {
                        bytes,
                        ticket: decode(bytes),
                    }
                })
                .collect())
        }
        // A single event: the message is the event, poison or not.
        _ => decode(body).map(|ticket| {
            vec![Item {
                bytes: body,
                ticket: Ok(ticket),
            }]
        }),
    }
}

/// The ticket carried by the single event `body`, checked enough that writing it cannot
/// fail on its content.
pub fn decode(body: &[u8]) -> Result<Ticket, Poison> {
    let ticket = match well_formed(body) {
        Some(ticket) => ticket,
        None => return Err(why_not(body)),
    };
    let checks = [
        (is_valid_id(&ticket.venue_id), "venueId"),
        (is_valid_id(&ticket.event_id), "eventId"),
        (ticket.zone_id >= 1, "zoneId"),
        (
            row::parse_label(&ticket.row).is_some_and(|_| ticket.row.bytes().all(|b| b.is_ascii_uppercase())),
            "row",
        ),
        (ticket.column >= 1, "column"),
        (ticket.price.cents() < 10u64.pow(12), "price"),
    ];
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, field)) => Err(Poison(format!("field `{field}` is out of range"))),
        None => Ok(ticket),
    }
}

/// The schema version alone, every other field skipped.
#[derive(Deserialize)]
struct Version {
    v: u32,
}

/// The ticket of an event of a version this code reads, parsed straight from the bytes (a
/// version pass, then the ticket, which ignores `v`): the path of every good message.
fn well_formed(body: &[u8]) -> Option<Ticket> {
    let Version { v } = serde_json::from_slice(body).ok()?;
    if !READ_VERSIONS.contains(&v) {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// Why `body` is not a well-formed event: the slow path, taken by poison messages only.
fn why_not(body: &[u8]) -> Poison {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return Poison(format!("the body is not JSON: {e}")),
    };
    let Value::Object(object) = &value else {
        return Poison("the body is not a JSON object".into());
    };
    let version = match object.get("v") {
        Some(Value::Number(v))
            if v.as_u64()
                .is_some_and(|v| READ_VERSIONS.iter().any(|r| u64::from(*r) == v)) =>
        {
            v
        }
        Some(v) => {
            return Poison(format!(
                "unknown schema version {v}; this consumer reads events of {READ_VERSIONS:?} and batches of {BATCH_VERSION}"
            ))
        }
        None => return Poison("no schema version `v`".into()),
    };
    match serde_json::from_value::<TicketEvent>(value.clone()) {
        Err(e) => Poison(format!("not a ticket event of version {version}: {e}")),
        // Parsed as a value but not from the bytes: a construct the two parsers differ on.
        Ok(_) => Poison(format!("not a ticket event of version {version}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> serde_json::Value {
        json!({
            "v": 1, "ticketId": "01a20c0c-50ea-7513-85c2-99a34372a876", "venueId": "Venue1",
            "eventId": "Event1", "zoneId": 3, "row": "B", "column": 7, "price": "19.99",
            "createdOn": "2026-11-24T05:34:23.466Z"
        })
    }

    fn with(field: &str, value: serde_json::Value) -> Vec<u8> {
        let mut e = event();
        e[field] = value;
        serde_json::to_vec(&e).unwrap()
    }

    #[test]
    fn decodes_a_version_one_event() {
        let ticket = decode(&serde_json::to_vec(&event()).unwrap()).unwrap();
        assert_eq!((ticket.zone_id, ticket.row.as_str(), ticket.column), (3, "B", 7));
        assert_eq!(ticket.price.cents(), 1999);
    }

    #[test]
    fn poison_names_its_reason() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not json".to_vec(), "not JSON"),
            (b"[1]".to_vec(), "not a JSON object"),
            (with("v", json!(4)), "unknown schema version 4"),
            (with("v", json!("1")), "unknown schema version"),
            (with("v", serde_json::Value::Null), "unknown schema version null"),
            (with("ticketId", json!("nope")), "not a ticket event"),
            (with("price", json!(19.99)), "not a ticket event"),
            (with("row", json!("b1")), "`row`"),
            (with("eventId", json!("{E}")), "`eventId`"),
            (with("column", json!(0)), "`column`"),
            (
                br#"{"v":1,"v":1,"ticketId":"01a20c0c-50ea-7513-85c2-99a34372a876"}"#.to_vec(),
                "not a ticket event",
            ),
        ];
        for (body, reason) in cases {
            let err = decode(&body).unwrap_err();
            assert!(err.0.contains(reason), "{err} should say {reason:?}");
        }
        let mut missing = event();
        missing.as_object_mut().unwrap().remove("v");
        assert!(decode(&serde_json::to_vec(&missing).unwrap())
            .unwrap_err()
            .0
            .contains("no schema version"));
    }

    #[test]
    fn a_poison_event_of_a_batch_is_an_item_of_its_own_and_a_bad_envelope_poisons_the_message() {
        let good = serde_json::to_string(&event()).unwrap();
        let body = format!(r#"{{"v":3,"events":[{good},{{"v":9}},{good}]}}"#);
        let items = decode_message(body.as_bytes()).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[0].ticket.is_ok() && items[2].ticket.is_ok());
        let poison = items[1].ticket.as_ref().unwrap_err();
        assert!(poison.0.contains("unknown schema version 9"), "{poison}");
        assert_eq!(items[1].bytes, br#"{"v":9}"#, "the event alone, to dead-letter");

        let single = decode_message(good.as_bytes()).unwrap();
        assert_eq!((single.len(), single[0].bytes), (1, good.as_bytes()));
        for (body, reason) in [
            (&br#"{"v":3}"#[..], "without `events`"),
            (br#"{"v":3,"events":[]}"#, "without `events`"),
            (b"[]", "not a JSON object"),
            (b"{", "not JSON"),
            (br#"{"v":7,"events":[]}"#, "unknown schema version 7"),
        ] {
            let err = decode_message(body).unwrap_err();
            assert!(err.0.contains(reason), "{err} should say {reason:?}");
        }
    }
}
