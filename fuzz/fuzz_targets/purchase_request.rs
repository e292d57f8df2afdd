//! The body of `POST /api/v1/tickets`: any bytes through `purchase::request::parse` and,
//! when they parse, `resolve` against the built-in catalog. Besides not panicking:
//! - a parsed request says what the body says (ids, zone, row as a label or a number, column);
//! - a resolved seat is in a zone of the venue named, which holds the event named, at the
//!   bitmap offset of its row and column;
//! - a refusal is 400 while parsing and 422 while resolving, with a documented code, a
//!   message, and the field at fault (named in the message) unless the body is not a JSON
//!   object; a resolve refusal is true of the catalog.
#![no_main]

use api::input::Fault;
use api::purchase::request::{parse, resolve};
use api_fuzz::{catalog, check_in_zone, check_refusal, check_resolve_refusal, number};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const FIELDS: [&str; 5] = ["venueId", "eventId", "zoneId", "row", "column"];

fuzz_target!(|body: &[u8]| {
    let is_field = |field: &str| FIELDS.contains(&field);
    let request = match parse(body) {
        Ok(request) => request,
        Err(err) => {
            assert_eq!(err.fault, Fault::Malformed, "{err:?}");
            return check_refusal(&err, is_field);
        }
    };
    let json: Value = serde_json::from_slice(body).expect("a parsed body is JSON");
    assert_eq!(json["venueId"], request.venue_id.as_str());
    assert_eq!(json["eventId"], request.event_id.as_str());
    assert_eq!(json["zoneId"].as_u64(), Some(u64::from(request.seat.zone_id)));
    assert_eq!(number(&json["row"], true), Some(request.seat.row), "{json}");
    assert_eq!(number(&json["column"], false), Some(request.seat.column), "{json}");

    match resolve(&request, catalog()) {
        Ok(seat) => {
            assert_eq!(seat.venue.venue_id, request.venue_id);
            assert_eq!(seat.event.event_id, request.event_id);
            assert_eq!(seat.event.venue_id, seat.venue.venue_id);
            assert_eq!(seat.venue.zone(request.seat.zone_id), Some(seat.zone));
            assert_eq!((seat.row, seat.column), (request.seat.row, request.seat.column));
            check_in_zone(seat.zone, seat.row, seat.column, seat.offset);
        }
        Err(err) => {
            assert_eq!(err.fault, Fault::Unknown, "{err:?}");
            check_refusal(&err, is_field);
            check_resolve_refusal(&err, &request.venue_id, &request.event_id, &json);
        }
    }
});
