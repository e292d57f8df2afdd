//! A sold ticket: what a buyer is answered and both stores keep. The event that carries it
//! from the commit point to the stores is `infra::contract`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::Price;

/// A sold seat, as answered by the API and stored by both models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Time-ordered (UUIDv7), so indexes on it stay append-mostly.
    pub ticket_id: Uuid,
    /// Venue of the event.
    pub venue_id: String,
    /// Event the seat is sold for.
    pub event_id: String,
    /// Zone of the seat.
    pub zone_id: u32,
    /// Row label, `A`.. .
    pub row: String,
    /// Seat number in the row, from 1.
    pub column: u32,
    /// The zone's price at the time of sale.
    pub price: Price,
    /// When the seat was sold: UTC, always with three decimals (`2027-01-02T03:04:05.000Z`).
    #[serde(with = "millis")]
    pub created_on: DateTime<Utc>,
    /// The buyer, for a seat sold to a signed-in buyer; absent for an anonymous purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<Uuid>,
    /// The order the ticket belongs to: one per checkout, or per signed-in direct purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
}

impl Ticket {
    /// A new ticket id and timestamp for a seat about to be sold.
    pub fn issue(venue_id: &str, event_id: &str, zone_id: u32, row: String, column: u32, price: Price) -> Self {
        Self {
            ticket_id: Uuid::now_v7(),
            venue_id: venue_id.to_owned(),
            event_id: event_id.to_owned(),
            zone_id,
            row,
            column,
            price,
            created_on: Utc::now().trunc_subsecs(3),
            buyer_id: None,
            order_id: None,
        }
    }

    /// The same ticket, sold to `buyer` in `order`.
    pub fn owned_by(self, buyer: Uuid, order: Uuid) -> Self {
        Self {
            buyer_id: Some(buyer),
            order_id: Some(order),
            ..self
        }
    }
}

/// `createdOn` as it is written everywhere (the API, the events, DynamoDB): RFC 3339 in UTC
/// with exactly three decimals, `2027-01-02T03:04:05.000Z`, so every reader parses one shape.
pub fn created_on_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde for `createdOn`, see [`created_on_text`].
mod millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::created_on_text(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.to_utc())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_on_always_has_three_decimals() {
        let mut ticket = Ticket::issue("V", "E", 1, "A".into(), 1, Price::default());
        ticket.created_on = DateTime::parse_from_rfc3339("2027-01-02T03:04:05Z").unwrap().into();
        let json = serde_json::to_value(&ticket).unwrap();
        assert_eq!(json["createdOn"], "2027-01-02T03:04:05.000Z");
    }

    #[test]
    fn ticket_ids_sort_by_issue_time() {
        let a = Ticket::issue("V", "E", 1, "A".into(), 1, Price::default());
        let b = Ticket::issue("V", "E", 1, "A".into(), 2, Price::default());
        assert!(a.ticket_id < b.ticket_id);
    }
}
