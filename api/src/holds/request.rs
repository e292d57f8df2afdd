//! The bodies of `POST /api/v1/holds` and `POST /api/v1/holds/{holdId}/checkout`: their shape,
//! then every seat against the catalog, as `POST /api/v1/tickets` checks its one seat.

use domain::{Catalog, Price};

use super::store::HeldSeat;
use crate::input::{self, InvalidInput};
use crate::seat;

/// A selection to hold, checked against the catalog.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The venue.
    pub venue_id: String,
    /// The event.
    pub event_id: String,
    /// The seats, in the order asked.
    pub seats: Vec<HeldSeat>,
    /// What they cost together.
    pub total: Price,
}

/// Parses and resolves a hold request of at most `max_seats` seats, none twice.
pub fn selection(body: &[u8], catalog: &Catalog, max_seats: usize) -> Result<Selection, InvalidInput> {
    let map = input::parse_object(body)?;
    let object = input::fields(&map);
    let venue_id = seat::id(&object, "venueId")?;
    let event_id = seat::id(&object, "eventId")?;
    let requests = object
        .objects("seats", max_seats)?
        .iter()
        .map(seat::parse_seat)
        .collect::<Result<Vec<_>, _>>()?;
    let (venue, event) = seat::event_at_venue(catalog, venue_id, event_id)?;
    let mut seats: Vec<HeldSeat> = Vec::with_capacity(requests.len());
    for request in &requests {
        let found = seat::resolve_seat(venue, event, request)?;
        let held = HeldSeat {
            zone_id: found.zone.zone_id,
            row: domain::catalog::row::label(found.row),
            column: found.column,
            price: found.zone.ticket_price,
            offset: found.offset,
            capacity: found.zone.capacity(),
        };
        if seats
            .iter()
            .any(|s| (s.zone_id, s.offset) == (held.zone_id, held.offset))
        {
            let field = request.path.trim_end_matches('.').to_owned();
            let message = format!("`{field}` names a seat the request names before: each seat once");
            return Err(InvalidInput::bad("duplicate_seat", Some(field), message));
        }
        seats.push(held);
    }
    let total = Price::from_cents(seats.iter().map(|s| s.price.cents()).sum());
    Ok(Selection {
        venue_id: venue.venue_id.clone(),
        event_id: event.event_id.clone(),
        seats,
        total,
    })
}

/// The payment token of a checkout.
pub fn payment_token(body: &[u8]) -> Result<String, InvalidInput> {
    let map = input::parse_object(body)?;
    Ok(input::fields(&map).string("paymentToken", 1, 255)?.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn select(value: serde_json::Value) -> Result<Selection, InvalidInput> {
        selection(&serde_json::to_vec(&value).unwrap(), &Catalog::builtin().unwrap(), 3)
    }

    #[test]
    fn a_selection_prices_its_seats_and_names_the_seat_at_fault() {
        let ok = select(json!({"venueId": "Hall5", "eventId": "Event8",
            "seats": [{"zoneId": 1, "row": "A", "column": 1}, {"zoneId": 2, "row": 2, "column": "2"}]}))
        .unwrap();
        assert_eq!(ok.total.to_string(), "29.49");
        assert_eq!((ok.seats[1].row.as_str(), ok.seats[1].offset), ("B", 3));

        let cases = [
            (
                json!({"venueId": "Hall5", "eventId": "Event8", "seats": []}),
                "seats",
                "invalid_field",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{}, {}, {}, {}]}),
                "seats",
                "invalid_field",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event8", "seats": [7]}),
                "seats[0]",
                "invalid_field",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{"zoneId": 1, "row": "A"}]}),
                "seats[0].column",
                "missing_field",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{"zoneId": 9, "row": "A", "column": 1}]}),
                "seats[0].zoneId",
                "unknown_zone",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event8",
                "seats": [{"zoneId": 1, "row": "A", "column": 1}, {"zoneId": 1, "row": 1, "column": 1}]}),
                "seats[1]",
                "duplicate_seat",
            ),
            (
                json!({"venueId": "Hall5", "eventId": "Event1", "seats": [{"zoneId": 1, "row": "A", "column": 1}]}),
                "eventId",
                "event_not_at_venue",
            ),
        ];
        for (body, field, code) in cases {
            let err = select(body.clone()).unwrap_err();
            assert_eq!((err.field.as_deref(), err.code), (Some(field), code), "{body}");
        }
    }
}
