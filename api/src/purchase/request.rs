//! Validation of a purchase request: first its shape (JSON, fields, types), then the seat
//! against the in-memory catalog. No I/O; the first fault found is reported, naming its field.

use domain::catalog::{is_valid_id, row, MAX_ID_LEN};
use domain::{Catalog, Event, Ticket, Venue, Zone};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A well-formed purchase request, not yet checked against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// `venueId`.
    pub venue_id: String,
    /// `eventId`.
    pub event_id: String,
    /// `zoneId`.
    pub zone_id: u32,
    /// 1-based row, from a label (`"C"`) or a number.
    pub row: u32,
    /// 1-based seat number in the row.
    pub column: u32,
}

/// A seat that exists, at an event of the venue it names.
#[derive(Debug, Clone, Copy)]
pub struct Seat<'c> {
    /// The venue.
    pub venue: &'c Venue,
    /// The event.
    pub event: &'c Event,
    /// The zone.
    pub zone: &'c Zone,
    /// 1-based row.
    pub row: u32,
    /// 1-based column.
    pub column: u32,
    /// Position of the seat in its zone's bitmap.
    pub offset: u64,
}

impl Seat<'_> {
    /// A new ticket for this seat, at its zone's price.
    pub fn issue_ticket(&self) -> Ticket {
        Ticket::issue(
            &self.venue.venue_id,
            &self.event.event_id,
            self.zone.zone_id,
            row::label(self.row),
            self.column,
            self.zone.ticket_price,
        )
    }
}

/// Which kind of client fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request is malformed: not JSON, a field missing, of the wrong type or range.
    Malformed,
    /// The request is well-formed but names what does not exist: a venue, an event, a seat.
    Unknown,
}

/// A client fault, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidInput {
    /// Malformed, or naming what does not exist.
    pub fault: Fault,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// The JSON field at fault, if one is.
    pub field: Option<&'static str>,
    /// A sentence for humans.
    pub message: String,
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        let field = e.field.map(str::to_owned);
        match e.fault {
            Fault::Malformed => Self::BadRequest {
                code: e.code,
                field,
                message: e.message,
            },
            Fault::Unknown => Self::Unprocessable {
                code: e.code,
                field,
                message: e.message,
            },
        }
    }
}

impl InvalidInput {
    fn bad(code: &'static str, field: Option<&'static str>, message: String) -> Self {
        Self {
            fault: Fault::Malformed,
            code,
            field,
            message,
        }
    }

    fn field(field: &'static str, expected: &str) -> Self {
        Self::bad("invalid_field", Some(field), format!("`{field}` must be {expected}"))
    }

    fn unknown(code: &'static str, field: &'static str, message: String) -> Self {
        Self {
            fault: Fault::Unknown,
            code,
            field: Some(field),
            message: format!("`{field}`: {message}"),
        }
    }
}

/// Parses the body of `POST /api/v1/tickets`. Unknown fields are ignored.
pub fn parse(body: &[u8]) -> Result<PurchaseRequest, InvalidInput> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        InvalidInput::bad(
            "malformed_json",
            None,
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(object) = value else {
        return Err(InvalidInput::bad(
            "invalid_body",
            None,
            "the request body must be a JSON object".into(),
        ));
    };
    Ok(PurchaseRequest {
        venue_id: id(&object, "venueId")?,
        event_id: id(&object, "eventId")?,
        zone_id: match required(&object, "zoneId")? {
            Value::Number(n) => n
                .as_u64()
                .and_then(positive)
                .ok_or_else(|| InvalidInput::field("zoneId", POSITIVE))?,
            _ => return Err(InvalidInput::field("zoneId", "a number")),
        },
        row: number_or_text(
            &object,
            "row",
            "a row label like \"A\" or a 1-based number",
            row::parse_label,
        )?,
        column: number_or_text(&object, "column", "a 1-based seat number", |_| None)?,
    })
}

/// Checks a well-formed request against the catalog.
pub fn resolve<'c>(request: &PurchaseRequest, catalog: &'c Catalog) -> Result<Seat<'c>, InvalidInput> {
    let venue = catalog.venue(&request.venue_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_venue",
            "venueId",
            format!("there is no venue `{}`", request.venue_id),
        )
    })?;
    let event = catalog.event(&request.event_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_event",
            "eventId",
            format!("there is no event `{}`", request.event_id),
        )
    })?;
    if event.venue_id != venue.venue_id {
        return Err(InvalidInput::unknown(
            "event_not_at_venue",
            "eventId",
            format!(
                "event `{}` takes place at `{}`, not `{}`",
                event.event_id, event.venue_id, venue.venue_id
            ),
        ));
    }
    let zone = venue.zone(request.zone_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_zone",
            "zoneId",
            format!("venue `{}` has no zone {}", venue.venue_id, request.zone_id),
        )
    })?;
    let out_of_zone = |field: &'static str, what: &str, max: String| {
        InvalidInput::unknown(
            "seat_out_of_range",
            field,
            format!("zone {} has {what} {max}", zone.zone_id),
        )
    };
    if request.row > zone.row_count {
        return Err(out_of_zone("row", "rows A to", row::label(zone.row_count)));
    }
    if request.column > zone.col_count {
        return Err(out_of_zone("column", "seats 1 to", zone.col_count.to_string()));
    }
    let offset = zone
        .seat_offset(request.row, request.column)
        .ok_or_else(|| out_of_zone("column", "seats 1 to", zone.col_count.to_string()))?;
    Ok(Seat {
        venue,
        event,
        zone,
        row: request.row,
        column: request.column,
        offset,
    })
}

const POSITIVE: &str = "a whole number from 1 to 4294967295";

fn positive(n: u64) -> Option<u32> {
    u32::try_from(n).ok().filter(|n| *n >= 1)
}

fn required<'v>(object: &'v Map<String, Value>, field: &'static str) -> Result<&'v Value, InvalidInput> {
    match object.get(field) {
        None | Some(Value::Null) => Err(InvalidInput::bad(
            "missing_field",
            Some(field),
            format!("`{field}` is required"),
        )),
        Some(value) => Ok(value),
    }
}

fn id(object: &Map<String, Value>, field: &'static str) -> Result<String, InvalidInput> {
    match required(object, field)? {
        Value::String(s) if is_valid_id(s) => Ok(s.clone()),
        _ => Err(InvalidInput::field(
            field,
            &format!("a string of 1 to {MAX_ID_LEN} characters: letters, digits, '-' or '_'"),
        )),
    }
}

/// A positive number given as a JSON number or a string of digits, or else a string that
/// `label` understands.
fn number_or_text(
    object: &Map<String, Value>,
    field: &'static str,
    expected: &str,
    label: impl Fn(&str) -> Option<u32>,
) -> Result<u32, InvalidInput> {
    let parsed = match required(object, field)? {
        Value::Number(n) => n.as_u64().and_then(positive),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok().and_then(positive),
        Value::String(s) => label(s),
        _ => None,
    };
    parsed.ok_or_else(|| InvalidInput::field(field, expected))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    fn valid() -> Value {
        json!({"venueId": "Venue1", "eventId": "Event1", "zoneId": 3, "row": "B", "column": "7"})
    }

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut v = valid();
        v[field] = value;
        body(v)
    }

    #[test]
    fn accepts_labels_numbers_and_numeric_strings() {
        let request = parse(&body(valid())).unwrap();
        assert_eq!(
            request,
            PurchaseRequest {
                venue_id: "Venue1".into(),
                event_id: "Event1".into(),
                zone_id: 3,
                row: 2,
                column: 7
            }
        );
        assert_eq!(parse(&with("row", json!(2))).unwrap().row, 2);
        assert_eq!(parse(&with("row", json!("b"))).unwrap().row, 2);
        assert_eq!(parse(&with("row", json!("2"))).unwrap().row, 2);
        assert_eq!(parse(&with("column", json!(7))).unwrap().column, 7);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (with("zoneId", json!("3")), "invalid_field", Some("zoneId")),
            (with("zoneId", json!(0)), "invalid_field", Some("zoneId")),
            (with("zoneId", json!(1.5)), "invalid_field", Some("zoneId")),
            (with("row", json!(0)), "invalid_field", Some("row")),
            (with("row", json!("A1")), "invalid_field", Some("row")),
            (with("column", json!("x")), "invalid_field", Some("column")),
            (with("column", json!(-4)), "invalid_field", Some("column")),
            (with("venueId", json!("")), "invalid_field", Some("venueId")),
            (with("eventId", json!(5)), "invalid_field", Some("eventId")),
            (with("eventId", Value::Null), "missing_field", Some("eventId")),
            (b"{".to_vec(), "malformed_json", None),
            (b"[1]".to_vec(), "invalid_body", None),
        ];
        for (body, code, field) in cases {
            let err = parse(&body).unwrap_err();
            assert_eq!(
                (err.code, err.field),
                (code, field),
                "{}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(err.fault, Fault::Malformed);
        }
    }

    #[test]
    fn resolves_only_seats_that_exist() {
        let catalog = Catalog::builtin().unwrap();
        let seat = |v: Value| resolve(&parse(&body(v)).unwrap(), &catalog);
        let ok = seat(valid()).unwrap();
        assert_eq!((ok.zone.zone_id, ok.row, ok.column, ok.offset), (3, 2, 7, 36));

        let cases = [
            (
                json!({"venueId": "Nope", "eventId": "Event1", "zoneId": 1, "row": "A", "column": 1}),
                "unknown_venue",
                "venueId",
            ),
            (
                json!({"venueId": "Venue1", "eventId": "Nope", "zoneId": 1, "row": "A", "column": 1}),
                "unknown_event",
                "eventId",
            ),
            (
                json!({"venueId": "Arena2", "eventId": "Event1", "zoneId": 1, "row": "A", "column": 1}),
                "event_not_at_venue",
                "eventId",
            ),
            (
                json!({"venueId": "Venue1", "eventId": "Event1", "zoneId": 101, "row": "A", "column": 1}),
                "unknown_zone",
                "zoneId",
            ),
            (
                json!({"venueId": "Venue1", "eventId": "Event1", "zoneId": 1, "row": "AA", "column": 1}),
                "seat_out_of_range",
                "row",
            ),
            (
                json!({"venueId": "Venue1", "eventId": "Event1", "zoneId": 1, "row": 27, "column": 1}),
                "seat_out_of_range",
                "row",
            ),
            (
                json!({"venueId": "Venue1", "eventId": "Event1", "zoneId": 1, "row": "Z", "column": 31}),
                "seat_out_of_range",
                "column",
            ),
        ];
        for (request, code, field) in cases {
            let err = seat(request.clone()).unwrap_err();
            assert_eq!((err.code, err.field), (code, Some(field)), "{request}");
            assert_eq!(err.fault, Fault::Unknown);
        }
    }
}
