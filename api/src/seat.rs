//! A seat named in a request body, the way `POST /api/v1/tickets` and `POST /api/v1/holds`
//! name one (`zoneId`, `row` as a label or a number, `column`): parsed, then resolved against
//! the in-memory catalog. No I/O; every fault names its field.

use domain::catalog::{is_valid_id, row, MAX_ID_LEN};
use domain::{Catalog, Event, Ticket, Venue, Zone};

use crate::input::{InvalidInput, Object};

/// A well-formed seat, not yet checked against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRequest {
    /// `zoneId`.
    pub zone_id: u32,
    /// 1-based row, from a label (`"C"`) or a number.
    pub row: u32,
    /// 1-based seat number in the row.
    pub column: u32,
    /// Where the seat's fields are in the body (`""`, or `seats[2].`), for messages.
    pub path: String,
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

    /// `zone:offset`: the seat within its event, as holds name it.
    pub fn key(&self) -> (u32, u64) {
        (self.zone.zone_id, self.offset)
    }
}

/// A venue or event id field.
pub fn id<'v>(object: &Object<'v>, name: &str) -> Result<&'v str, InvalidInput> {
    let expected = format!("a string of 1 to {MAX_ID_LEN} characters: letters, digits, '-' or '_'");
    object.string_that(name, &expected, is_valid_id)
}

/// The seat fields of `object`.
pub fn parse_seat(object: &Object<'_>) -> Result<SeatRequest, InvalidInput> {
    Ok(SeatRequest {
        zone_id: object.positive("zoneId")?,
        row: object.number_or_text("row", "a row label like \"A\" or a 1-based number", row::parse_label)?,
        column: object.number_or_text("column", "a 1-based seat number", |_| None)?,
        path: object.path(""),
    })
}

/// The venue and the event named by `venueId` and `eventId`, which must take place there.
pub fn event_at_venue<'c>(
    catalog: &'c Catalog,
    venue_id: &str,
    event_id: &str,
) -> Result<(&'c Venue, &'c Event), InvalidInput> {
    let venue = catalog.venue(venue_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_venue",
            "venueId".into(),
            &format!("there is no venue `{venue_id}`"),
        )
    })?;
    let event = catalog.event(event_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_event",
            "eventId".into(),
            &format!("there is no event `{event_id}`"),
        )
    })?;
    if event.venue_id != venue.venue_id {
        return Err(InvalidInput::unknown(
            "event_not_at_venue",
            "eventId".into(),
            &format!(
                "event `{}` takes place at `{}`, not `{}`",
                event.event_id, event.venue_id, venue.venue_id
            ),
        ));
    }
    Ok((venue, event))
}

/// Checks a well-formed seat against the venue of `event`.
pub fn resolve_seat<'c>(venue: &'c Venue, event: &'c Event, seat: &SeatRequest) -> Result<Seat<'c>, InvalidInput> {
    let field = |name: &str| format!("{}{name}", seat.path);
    let zone = venue.zone(seat.zone_id).ok_or_else(|| {
        InvalidInput::unknown(
            "unknown_zone",
            field("zoneId"),
            &format!("venue `{}` has no zone {}", venue.venue_id, seat.zone_id),
        )
    })?;
    let out_of_zone = |name: &str, what: &str, max: String| {
        InvalidInput::unknown(
            "seat_out_of_range",
            field(name),
            &format!("zone {} has {what} {max}", zone.zone_id),
        )
    };
    if seat.row > zone.row_count {
        return Err(out_of_zone("row", "rows A to", row::label(zone.row_count)));
    }
    let offset = zone
        .seat_offset(seat.row, seat.column)
        .ok_or_else(|| out_of_zone("column", "seats 1 to", zone.col_count.to_string()))?;
    Ok(Seat {
        venue,
        event,
        zone,
        row: seat.row,
        column: seat.column,
        offset,
    })
}
