//! The query strings of the list and search routes: any text decoded as
//! `warp::query::<HashMap<String, String>>()` decodes it (serde_urlencoded), then read with
//! `query::params::Params` the way each route's handler reads it. The handlers need Redis or
//! MySQL, so their reading of the parameters is repeated here, call for call, from
//! `query/tickets.rs`, `query/catalog.rs`, `query/seats.rs` and `admin/mod.rs`. The same text
//! is also tried as a path segment (`parse_id`, `parse_ticket_id`, `HoldId::parse`).
//! Besides not panicking:
//! - a parameter the route does not know is refused by name, and only then;
//! - an accepted value is the one given, within its range (ids, limit, zone, text length),
//!   an empty one counts as absent, and `limit` defaults to 50;
//! - a refusal is 400 `invalid_parameter` naming the parameter, in the body and the message;
//! - a date read as `from` and as `to` spans less than a day; a cursor accepted is one the
//!   api could have handed out, and an events cursor read back reads the same.
#![no_main]

use std::collections::HashMap;

use api::error::ApiError;
use api::holds::store::HoldId;
use api::query::params::{self, encode_cursor, Params, DEFAULT_LIMIT, MAX_LIMIT};
use api::query::parse_event_cursor;
use domain::catalog::is_valid_id;
use libfuzzer_sys::fuzz_target;

/// How a handler reads a parameter.
#[derive(Clone, Copy)]
enum Kind {
    Id,
    Positive,
    Limit,
    Text(usize),
    Instant,
    /// A ticket id: `Uuid::parse_str`, as `tickets::ticket_cursor` (private) reads it.
    TicketCursor,
    EventCursor,
    /// A venue id, compared as a string.
    VenueCursor,
}
use Kind::*;

/// Each route's parameters, as its handler reads them.
const ROUTES: [&[(&str, Kind)]; 6] = [
    // GET /api/v1/tickets
    &[
        ("eventId", Id),
        ("venueId", Id),
        ("zoneId", Positive),
        ("limit", Limit),
        ("cursor", TicketCursor),
    ],
    // GET /api/v1/me/tickets
    &[("eventId", Id), ("limit", Limit), ("cursor", TicketCursor)],
    // GET /api/v1/events (`q` up to catalog.rs's MAX_QUERY_LEN)
    &[
        ("q", Text(100)),
        ("type", Text(32)),
        ("venueId", Id),
        ("from", Instant),
        ("to", Instant),
        ("limit", Limit),
        ("cursor", EventCursor),
    ],
    // GET /api/v1/venues
    &[("limit", Limit), ("cursor", VenueCursor)],
    // GET /api/v1/events/{eventId}/seats
    &[("zoneId", Positive)],
    // POST /api/v1/admin/dlq/{store}/redrive
    &[("limit", Positive)],
];

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    check_path_segment(text);
    // What warp answers 400 to before any handler runs.
    let Ok(query) = serde_urlencoded::from_str::<HashMap<String, String>>(text) else {
        return;
    };
    for route in ROUTES {
        check_route(route, &query);
    }
});

fn check_route(route: &[(&str, Kind)], query: &HashMap<String, String>) {
    let known: Vec<&str> = route.iter().map(|(name, _)| *name).collect();
    let params = match Params::new(query.clone(), &known) {
        Ok(params) => params,
        Err(err) => {
            let name = err.field().unwrap_or_default().to_owned();
            check_refused(&err, &name);
            assert!(query.contains_key(&name) && !known.contains(&name.as_str()), "{name:?}");
            return;
        }
    };
    assert!(query.keys().all(|k| known.contains(&k.as_str())), "{query:?}");
    for (name, kind) in route {
        let raw = query.get(*name).map(String::as_str).filter(|v| !v.is_empty());
        check_param(&params, name, *kind, raw);
    }
}

/// Checks how parameter `name`, given as `raw` (`None`: absent or empty), is read.
fn check_param(params: &Params, name: &str, kind: Kind, raw: Option<&str>) {
    let given = raw.is_some();
    match kind {
        Id => match read(params.id(name), name) {
            Some(id) => assert!(id.as_deref() == raw && raw.is_none_or(is_valid_id), "{raw:?}"),
            None => assert!(raw.is_some_and(|v| !is_valid_id(v)), "{raw:?}"),
        },
        Positive => match read(params.positive(name), name) {
            Some(n) => assert!(n.is_some() == given && n.is_none_or(|n| n >= 1), "{raw:?}"),
            None => assert!(given),
        },
        Limit => match read(params.limit(), name) {
            Some(n) => assert!((1..=MAX_LIMIT).contains(&n) && (given || n == DEFAULT_LIMIT), "{raw:?}"),
            None => assert!(given),
        },
        Text(max) => match read(params.text(name, max), name) {
            Some(text) => assert!(text.as_deref() == raw && raw.is_none_or(|t| t.chars().count() <= max)),
            None => assert!(raw.is_some_and(|t| t.chars().count() > max)),
        },
        Instant => {
            let (start, end) = (
                read(params.instant(name, false), name),
                read(params.instant(name, true), name),
            );
            match (start, end) {
                (Some(Some(start)), Some(Some(end))) => {
                    assert!(start <= end && end - start < chrono::Duration::days(1), "{raw:?}");
                }
                (Some(None), Some(None)) => assert!(!given),
                (None, None) => assert!(given),
                other => panic!("{raw:?} read as a start and an end: {other:?}"),
            }
        }
        TicketCursor | EventCursor | VenueCursor => match read(params.cursor(), name) {
            Some(Some(cursor)) => {
                assert_eq!(
                    Some(encode_cursor(&cursor).as_str()),
                    raw,
                    "a cursor the api never hands out"
                );
                check_cursor(kind, &cursor);
            }
            Some(None) => assert!(!given),
            None => assert!(given),
        },
    }
}

/// Checks what the handler does with a decoded cursor.
fn check_cursor(kind: Kind, cursor: &str) {
    match kind {
        TicketCursor => {
            if let Some(id) = read(params::parse_ticket_id(cursor), "ticketId") {
                assert_eq!(params::parse_ticket_id(&id.to_string()).ok(), Some(id));
            }
        }
        EventCursor => {
            if let Some((date, id)) = read(parse_event_cursor(cursor), "cursor") {
                // As `catalog::events` writes the position of the last event of a page.
                let handed_out = encode_cursor(&format!("{}|{}", date.to_rfc3339(), id));
                let query = HashMap::from([("cursor".to_owned(), handed_out)]);
                let decoded = Params::new(query, &["cursor"]).and_then(|p| p.cursor());
                let again = decoded.ok().flatten().map(|c| parse_event_cursor(&c).ok());
                assert_eq!(again, Some(Some((date, id))), "{cursor:?}");
            }
        }
        _ => {}
    }
}

/// The same text as an id in a path.
fn check_path_segment(segment: &str) {
    match read(params::parse_id("eventId", segment), "eventId") {
        Some(id) => assert!(id == segment && is_valid_id(segment)),
        None => assert!(!is_valid_id(segment)),
    }
    if let Some(id) = read(params::parse_ticket_id(segment), "ticketId") {
        assert_eq!(params::parse_ticket_id(&id.to_string()).ok(), Some(id));
    }
    if let Some(hold) = HoldId::parse(segment) {
        assert!(is_valid_id(&hold.event_id), "{segment:?}");
        assert_eq!(HoldId::parse(&hold.to_string()), Some(hold), "{segment:?}");
    }
}

/// The value read, or `None` after checking the refusal names `name`.
fn read<T>(result: Result<T, ApiError>, name: &str) -> Option<T> {
    result.map_err(|err| check_refused(&err, name)).ok()
}

/// Checks a refusal is the documented answer: 400 `invalid_parameter`, the field `name`, a
/// message starting with it.
fn check_refused(err: &ApiError, name: &str) {
    let answer = err.answer();
    assert_eq!(
        (answer.status, err.code(), err.field()),
        (400, "invalid_parameter", Some(name)),
        "{err}"
    );
    let body: serde_json::Value = serde_json::from_str(&answer.body).expect("an error answer is JSON");
    assert_eq!(
        (&body["code"], &body["field"]),
        (&"invalid_parameter".into(), &name.into()),
        "{body}"
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("`{name}` ")) && message.len() > name.len() + 3,
        "{body}"
    );
}
