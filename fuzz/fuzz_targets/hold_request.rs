//! The bodies of `POST /api/v1/holds` (`holds::request::selection` against the built-in
//! catalog, at most `HOLD_MAX_SEATS`' default of 10 seats) and of
//! `POST /api/v1/holds/{holdId}/checkout` (`holds::request::payment_token`): any bytes
//! through both. Besides not panicking:
//! - an accepted selection has the body's venue, event and seats in order, each in a zone of
//!   the venue at its bitmap offset, priced as its zone, none twice, and the right total;
//! - a refusal has a documented code, a message, and the field at fault (named in the
//!   message, `seats[i]...` within the body's seats) unless the body is not a JSON object;
//!   one met against the catalog is true of it, and a duplicate repeats an earlier seat;
//! - an accepted payment token is the body's, of 1 to 255 characters.
#![no_main]

use api::holds::request::{payment_token, selection, Selection};
use api::input::{Fault, InvalidInput};
use api_fuzz::{catalog, check_in_zone, check_refusal, check_resolve_refusal, number};
use domain::catalog::row;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `HOLD_MAX_SEATS` when not configured.
const MAX_SEATS: usize = 10;

fuzz_target!(|body: &[u8]| {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    check_checkout(body, json.as_ref());
    match selection(body, catalog(), MAX_SEATS) {
        Ok(selection) => check_selection(&selection, json.as_ref().expect("an accepted body is JSON")),
        Err(err) => check_hold_refusal(&err, json.as_ref().unwrap_or(&Value::Null)),
    }
});

fn check_selection(selection: &Selection, json: &Value) {
    assert_eq!(json["venueId"], selection.venue_id.as_str());
    assert_eq!(json["eventId"], selection.event_id.as_str());
    let venue = catalog().venue(&selection.venue_id).expect("an accepted venue exists");
    let event = catalog().event(&selection.event_id).expect("an accepted event exists");
    assert_eq!(event.venue_id, venue.venue_id);
    let asked = json["seats"].as_array().expect("accepted seats are an array");
    assert!((1..=MAX_SEATS).contains(&selection.seats.len()));
    assert_eq!(asked.len(), selection.seats.len());

    for (i, (held, asked)) in selection.seats.iter().zip(asked).enumerate() {
        let row = row::parse_label(&held.row).expect("a held row is a label");
        assert_eq!(asked["zoneId"].as_u64(), Some(u64::from(held.zone_id)), "seats[{i}]");
        assert_eq!(number(&asked["row"], true), Some(row), "seats[{i}]");
        assert_eq!(number(&asked["column"], false), Some(held.column), "seats[{i}]");
        let zone = venue.zone(held.zone_id).expect("a held seat's zone exists");
        assert_eq!(
            (held.price, held.capacity),
            (zone.ticket_price, zone.capacity()),
            "seats[{i}]"
        );
        check_in_zone(zone, row, held.column, held.offset);
        let twice = selection.seats[..i]
            .iter()
            .any(|s| (s.zone_id, s.offset) == (held.zone_id, held.offset));
        assert!(!twice, "seats[{i}] held twice");
    }
    let cents: u64 = selection.seats.iter().map(|s| s.price.cents()).sum();
    assert_eq!(selection.total.cents(), cents);
}

fn check_hold_refusal(err: &InvalidInput, json: &Value) {
    let seats = json["seats"].as_array().map_or(0, Vec::len);
    check_refusal(err, |field| is_field(field, seats));
    let index = err.field.as_deref().and_then(seat_index);
    let seat = index.map_or(&Value::Null, |i| &json["seats"][i]);
    if err.fault == Fault::Unknown {
        let id = |name: &str| json[name].as_str().unwrap_or_default().to_owned();
        check_resolve_refusal(err, &id("venueId"), &id("eventId"), seat);
    }
    if err.code == "duplicate_seat" {
        let i = index.expect("a duplicate names its seat");
        let same = |a: &Value, b: &Value| {
            a["zoneId"] == b["zoneId"]
                && number(&a["row"], true) == number(&b["row"], true)
                && number(&a["column"], false) == number(&b["column"], false)
        };
        assert!(
            json["seats"].as_array().expect("seats")[..i]
                .iter()
                .any(|s| same(s, seat)),
            "{json}"
        );
    }
}

/// Whether `field` is a field of a hold body with `seats` seats: a top-level one, `seats[i]`
/// or `seats[i].name`.
fn is_field(field: &str, seats: usize) -> bool {
    if ["venueId", "eventId", "seats"].contains(&field) {
        return true;
    }
    let Some((index, rest)) = field.strip_prefix("seats[").and_then(|f| f.split_once(']')) else {
        return false;
    };
    let name = rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|n| ["zoneId", "row", "column"].contains(&n));
    name && index
        .parse::<usize>()
        .is_ok_and(|i| i < seats && i.to_string() == index)
}

/// The `i` of `seats[i]` or `seats[i].name`.
fn seat_index(field: &str) -> Option<usize> {
    let (index, _) = field.strip_prefix("seats[")?.split_once(']')?;
    index.parse().ok()
}

fn check_checkout(body: &[u8], json: Option<&Value>) {
    match payment_token(body) {
        Ok(token) => {
            assert!((1..=255).contains(&token.chars().count()), "{token:?}");
            assert_eq!(json.map(|j| &j["paymentToken"]), Some(&Value::String(token)));
        }
        Err(err) => {
            assert_eq!(err.fault, Fault::Malformed, "{err:?}");
            check_refusal(&err, |field| field == "paymentToken");
        }
    }
}
