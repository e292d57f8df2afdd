//! What the body targets share: the built-in catalog, built once per process, and the
//! checks that any accepted seat and any refused body must pass. A failed check panics, which
//! libFuzzer reports as a crash with the input that caused it.

use std::sync::OnceLock;

use api::error::ApiError;
use api::input::{Fault, InvalidInput};
use domain::catalog::row;
use domain::{Catalog, Zone};
use serde_json::Value;

/// The catalog the api serves when `CATALOG_PATH` is not set.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("the built-in catalog is valid"))
}

/// What the api's contract says of a refusal code: its fault, and whether it names a field
/// (`Some`) with the last segment of the field's path among these names (empty: any field).
fn contract(code: &str) -> (Fault, Option<&'static [&'static str]>) {
    match code {
        "malformed_json" | "invalid_body" => (Fault::Malformed, None),
        "missing_field" | "invalid_field" | "duplicate_seat" => (Fault::Malformed, Some(&[])),
        "unknown_venue" => (Fault::Unknown, Some(&["venueId"])),
        "unknown_event" | "event_not_at_venue" => (Fault::Unknown, Some(&["eventId"])),
        "unknown_zone" => (Fault::Unknown, Some(&["zoneId"])),
        "seat_out_of_range" => (Fault::Unknown, Some(&["row", "column"])),
        other => panic!("undocumented refusal code {other:?}"),
    }
}

/// Checks a refused body against the contract: a documented code of the right fault, a
/// field (one that `is_field` accepts, named in the message) for every code but
/// `malformed_json` and `invalid_body`, and the answer a client gets: 400 or 422 with
/// `{code, message, field}` saying the same.
pub fn check_refusal(err: &InvalidInput, is_field: impl Fn(&str) -> bool) {
    let (fault, names) = contract(err.code);
    assert_eq!(err.fault, fault, "{err:?}");
    assert!(!err.message.is_empty(), "{err:?}");
    match (names, err.field.as_deref()) {
        (None, None) => {}
        (Some(names), Some(field)) => {
            assert!(is_field(field), "{err:?}: not a field of this body");
            let last = field.rsplit('.').next().unwrap_or(field);
            assert!(
                names.is_empty() || names.contains(&last),
                "{err:?}: not the field of its code"
            );
            assert!(
                err.message.contains(&format!("`{field}`")),
                "{err:?}: the message does not name it"
            );
        }
        _ => panic!("{err:?}: a field where the contract has none, or none where it has one"),
    }

    let answer = ApiError::from(err.clone()).answer();
    assert_eq!(
        answer.status,
        if fault == Fault::Malformed { 400 } else { 422 },
        "{err:?}"
    );
    let body: Value = serde_json::from_str(&answer.body).expect("an error answer is JSON");
    assert_eq!(body["code"], err.code, "{}", answer.body);
    assert_eq!(body["message"], err.message.as_str(), "{}", answer.body);
    assert_eq!(
        body.get("field").and_then(Value::as_str),
        err.field.as_deref(),
        "{}",
        answer.body
    );
}

/// What the JSON value of an accepted `row` (with `labels`) or `column` field means: a
/// number, a string of digits, or a row label.
pub fn number(value: &Value, labels: bool) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64()?.try_into().ok(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        Value::String(s) if labels => row::parse_label(s),
        _ => None,
    }
}

/// Checks that a seat accepted at `offset` lies in `zone`, at the bitmap offset of its row
/// and column, and that its row label (what a ticket carries) names the same row.
pub fn check_in_zone(zone: &Zone, row: u32, column: u32, offset: u64) {
    let seat = format!("zone {} row {row} column {column}", zone.zone_id);
    assert!((1..=zone.row_count).contains(&row), "{seat}: row outside the zone");
    assert!(
        (1..=zone.col_count).contains(&column),
        "{seat}: column outside the zone"
    );
    let expected = u64::from(row - 1) * u64::from(zone.col_count) + u64::from(column - 1);
    assert_eq!(offset, expected, "{seat}");
    assert!(offset < zone.capacity(), "{seat}");
    assert_eq!(row::parse_label(&row::label(row)), Some(row), "{seat}: label");
}

/// Checks that a refusal met while resolving `seat` (a JSON object with `zoneId`, `row` and
/// `column` that parsed) at `venue_id` and `event_id` is true of the catalog. Refusals of
/// other codes are left alone.
pub fn check_resolve_refusal(err: &InvalidInput, venue_id: &str, event_id: &str, seat: &Value) {
    let catalog = catalog();
    let venue = catalog.venue(venue_id);
    let event = catalog.event(event_id);
    let zone = venue
        .zip(seat["zoneId"].as_u64())
        .and_then(|(v, z)| v.zone(u32::try_from(z).ok()?));
    let row = number(&seat["row"], true);
    let column = number(&seat["column"], false);
    let field = err.field.as_deref().unwrap_or_default();
    let true_of_catalog = match err.code {
        "unknown_venue" => venue.is_none(),
        "unknown_event" => venue.is_some() && event.is_none(),
        "event_not_at_venue" => event.is_some_and(|e| e.venue_id != venue_id),
        "unknown_zone" => venue.is_some() && zone.is_none(),
        "seat_out_of_range" => zone.zip(row.zip(column)).is_some_and(|(z, (r, c))| {
            // The row is checked first: the column is named only when the row fits.
            if r > z.row_count {
                field.ends_with("row")
            } else {
                c > z.col_count && field.ends_with("column")
            }
        }),
        _ => true,
    };
    assert!(true_of_catalog, "{err:?} is not true of the catalog: {seat}");
}
