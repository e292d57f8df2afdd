//! Decoding an event body (an AMQP message, a Kafka record) into a ticket, or the reason it
//! can never be processed.

use domain::catalog::{is_valid_id, row};
use domain::Ticket;
use serde::Deserialize;
use serde_json::Value;

use super::{TicketEvent, READ_VERSIONS};

/// Why a body is poison: a message goes to the dead-letter queue with this reason in the log,
/// a replayed record is reported with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Poison(pub String);

/// The ticket carried by `body`, checked enough that writing it cannot fail on its content.
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
                "unknown schema version {v}; this consumer reads {READ_VERSIONS:?}"
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
            (with("v", json!(3)), "unknown schema version 3"),
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
}
