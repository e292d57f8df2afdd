//! Every SQL statement of the read path, in one place so a test can `EXPLAIN` each one and
//! check it is served by an index (see `api/tests/api/query.rs`).

use infra::mysql::TICKET_COLUMNS;

/// One ticket by id: the primary key.
pub fn ticket_by_id() -> String {
    format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE ticket_id = ?")
}

/// Which filter a ticket page uses, and so which index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFilter {
    /// All tickets: the primary key.
    All,
    /// `eventId`: `idx_ticket_event (event_id, ticket_id)`.
    Event,
    /// `eventId` and `zoneId`: `idx_ticket_event_zone (event_id, zone_id, ticket_id)`.
    EventZone,
    /// `venueId`: `idx_ticket_venue (venue_id, ticket_id)`.
    Venue,
    /// A buyer's: `idx_ticket_buyer (buyer_id, ticket_id)`.
    Buyer,
    /// A buyer's at one event: `idx_ticket_buyer_event (buyer_id, event_id, ticket_id)`.
    BuyerEvent,
}

impl TicketFilter {
    /// Whether its pages run newest first: a buyer's own tickets do, every other list runs
    /// in sale order.
    pub fn newest_first(self) -> bool {
        matches!(self, Self::Buyer | Self::BuyerEvent)
    }

    /// The cursor of the first page: before every ticket id in the page's order.
    pub fn first_cursor(self) -> &'static str {
        // Ticket ids are lowercase hex and '-', all below '~' in ASCII.
        if self.newest_first() {
            "~"
        } else {
            ""
        }
    }
}

/// A page of tickets after a cursor, in ticket id order (descending where the filter runs
/// [newest first](TicketFilter::newest_first)). Binds: the filter values, the cursor
/// ([`TicketFilter::first_cursor`] for the first page) and the page size plus one (to know
/// whether more remain).
pub fn ticket_page(filter: TicketFilter) -> String {
    // The index is named: left to itself the planner may take `uq_ticket_seat` (it also
    // starts with event_id) and sort all of the event's tickets for every page.
    let (index, condition) = match filter {
        TicketFilter::All => ("PRIMARY", ""),
        TicketFilter::Event => ("idx_ticket_event", "event_id = ? AND "),
        TicketFilter::EventZone => ("idx_ticket_event_zone", "event_id = ? AND zone_id = ? AND "),
        TicketFilter::Venue => ("idx_ticket_venue", "venue_id = ? AND "),
        TicketFilter::Buyer => ("idx_ticket_buyer", "buyer_id = ? AND "),
        TicketFilter::BuyerEvent => ("idx_ticket_buyer_event", "buyer_id = ? AND event_id = ? AND "),
    };
    let (after, order) = if filter.newest_first() {
        ("<", " DESC")
    } else {
        (">", "")
    };
    format!(
        "SELECT {TICKET_COLUMNS} FROM ticket FORCE INDEX ({index}) WHERE {condition}ticket_id {after} ? ORDER BY ticket_id{order} LIMIT ?"
    )
}

/// Sold tickets and revenue per zone of one event: `idx_ticket_event_zone`.
pub const SALES_BY_ZONE: &str =
    "SELECT zone_id, COUNT(*), CAST(SUM(price) AS CHAR) FROM ticket WHERE event_id = ? GROUP BY zone_id ORDER BY zone_id";
