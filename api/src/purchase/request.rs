//! Validation of a purchase request: first its shape (JSON, fields, types), then the seat
//! against the in-memory catalog. No I/O; the first fault found is reported, naming its field.

use domain::Catalog;

use crate::input::{self, InvalidInput};
use crate::seat::{self, Seat, SeatRequest};

/// A well-formed purchase request, not yet checked against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// `venueId`.
    pub venue_id: String,
    /// `eventId`.
    pub event_id: String,
    /// `zoneId`, `row`, `column`.
    pub seat: SeatRequest,
}

/// Parses the body of `POST /api/v1/tickets`. Unknown fields are ignored.
pub fn parse(body: &[u8]) -> Result<PurchaseRequest, InvalidInput> {
    let map = input::parse_object(body)?;
    let object = input::fields(&map);
    Ok(PurchaseRequest {
        venue_id: seat::id(&object, "venueId")?.to_owned(),
        event_id: seat::id(&object, "eventId")?.to_owned(),
        seat: seat::parse_seat(&object)?,
    })
}

/// Checks a well-formed request against the catalog.
pub fn resolve<'c>(request: &PurchaseRequest, catalog: &'c Catalog) -> Result<Seat<'c>, InvalidInput> {
    let (venue, event) = seat::event_at_venue(catalog, &request.venue_id, &request.event_id)?;
    seat::resolve_seat(venue, event, &request.seat)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::input::Fault;

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
                seat: SeatRequest {
                    zone_id: 3,
                    row: 2,
                    column: 7,
                    path: String::new(),
                },
            }
        );
        assert_eq!(parse(&with("row", json!(2))).unwrap().seat.row, 2);
        assert_eq!(parse(&with("row", json!("b"))).unwrap().seat.row, 2);
        assert_eq!(parse(&with("row", json!("2"))).unwrap().seat.row, 2);
        assert_eq!(parse(&with("column", json!(7))).unwrap().seat.column, 7);
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
                (err.code, err.field.as_deref()),
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
            assert_eq!((err.code, err.field.as_deref()), (code, Some(field)), "{request}");
            assert_eq!(err.fault, Fault::Unknown);
        }
    }
}
