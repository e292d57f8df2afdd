//! Query-string and path parameters: typed, bounded, and a 400 naming the parameter when
//! they are not.

use std::collections::HashMap;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use domain::catalog::is_valid_id;
use domain::{Event, Venue};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// The query string of one request, checked against the parameters its endpoint knows.
pub struct Params(HashMap<String, String>);

impl Params {
    /// Rejects any parameter not in `known`, so a typo is an error instead of a silently
    /// unfiltered answer.
    pub fn new(query: HashMap<String, String>, known: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = query.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::invalid_parameter(
                unknown,
                format!("unknown parameter; this endpoint takes {}", known.join(", ")),
            ));
        }
        Ok(Self(query))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A venue or event id.
    pub fn id(&self, name: &str) -> Result<Option<String>, ApiError> {
        self.get(name).map(|v| parse_id(name, v)).transpose()
    }

    /// A positive number.
    pub fn positive(&self, name: &str) -> Result<Option<u32>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| ApiError::invalid_parameter(name, "must be a whole number from 1"))
            })
            .transpose()
    }

    /// `limit`: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_parameter("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))
                }),
        }
    }

    /// A string of at most `max` characters.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            Some(v) if v.chars().count() > max => Err(ApiError::invalid_parameter(
                name,
                format!("must be at most {max} characters"),
            )),
            other => Ok(other.map(str::to_owned)),
        }
    }

    /// An instant: RFC 3339 (`2027-05-01T20:00:00Z`) or a date (`2027-05-01`, meaning its
    /// start, or with `end_of_day` its end).
    pub fn instant(&self, name: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        if let Ok(at) = DateTime::parse_from_rfc3339(v) {
            return Ok(Some(at.to_utc()));
        }
        let date = NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid_parameter(name, "must be a date (2027-05-01) or an RFC 3339 instant"))?;
        let time = if end_of_day {
            date.and_hms_milli_opt(23, 59, 59, 999)
        } else {
            date.and_hms_opt(0, 0, 0)
        };
        Ok(time.map(|t| t.and_utc()))
    }

    /// The opaque `cursor`, decoded.
    pub fn cursor(&self) -> Result<Option<String>, ApiError> {
        self.get("cursor")
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(ApiError::bad_cursor)
            })
            .transpose()
    }
}

/// Encodes a position for `nextCursor`. Opaque to clients: its content may change.
pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// A venue or event id in a path or parameter.
pub fn parse_id(name: &str, value: &str) -> Result<String, ApiError> {
    if is_valid_id(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid_parameter(
            name,
            "must be 1 to 64 characters: letters, digits, '-' or '_'",
        ))
    }
}

/// A ticket id in a path.
pub fn parse_ticket_id(value: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| ApiError::invalid_parameter("ticketId", "must be a UUID"))
}

/// The event named by path parameter `eventId` (at the venue `venueId`, when given) and its
/// venue: 400 for a malformed id, 404 for one the catalog does not know.
pub fn event_and_venue<'c>(
    state: &'c AppState,
    venue_id: Option<&str>,
    event_id: &str,
) -> Result<(&'c Event, &'c Venue), ApiError> {
    let event_id = parse_id("eventId", event_id)?;
    if let Some(venue_id) = venue_id {
        let venue_id = parse_id("venueId", venue_id)?;
        if state.catalog().venue(&venue_id).is_none() {
            return Err(ApiError::NotFound(format!("there is no venue `{venue_id}`")));
        }
    }
    let event = state
        .catalog()
        .event(&event_id)
        .filter(|e| venue_id.is_none_or(|v| e.venue_id == v))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "there is no event `{event_id}`{}",
                venue_id.map(|v| format!(" at `{v}`")).unwrap_or_default()
            ))
        })?;
    let venue = state
        .catalog()
        .venue(&event.venue_id)
        .context("the catalog lost a venue")?;
    Ok((event, venue))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)], known: &[&str]) -> Result<Params, ApiError> {
        Params::new(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            known,
        )
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        let err = params(&[("evnetId", "E")], &["eventId"]).err().unwrap();
        assert_eq!(err.field(), Some("evnetId"));
    }

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(params(&[], &["limit"]).unwrap().limit().unwrap(), DEFAULT_LIMIT);
        assert_eq!(params(&[("limit", "1000")], &["limit"]).unwrap().limit().unwrap(), 1000);
        for bad in ["0", "1001", "-1", "ten"] {
            assert!(params(&[("limit", bad)], &["limit"]).unwrap().limit().is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let p = params(&[("cursor", &encode_cursor("abc:1"))], &["cursor"]).unwrap();
        assert_eq!(p.cursor().unwrap().as_deref(), Some("abc:1"));
        assert!(params(&[("cursor", "%%%")], &["cursor"]).unwrap().cursor().is_err());
    }

    #[test]
    fn dates_cover_the_whole_day() {
        let p = params(&[("from", "2027-05-01"), ("to", "2027-05-01")], &["from", "to"]).unwrap();
        assert_eq!(
            p.instant("from", false).unwrap().unwrap().to_rfc3339(),
            "2027-05-01T00:00:00+00:00"
        );
        assert_eq!(
            p.instant("to", true).unwrap().unwrap().to_rfc3339(),
            "2027-05-01T23:59:59.999+00:00"
        );
        assert!(params(&[("from", "May 1")], &["from"])
            .unwrap()
            .instant("from", false)
            .is_err());
    }
}
