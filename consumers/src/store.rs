//! What a consumer needs from a store: write a batch of tickets idempotently, and say which
//! of them collide with a different ticket already holding the seat.

use std::future::Future;

use domain::Ticket;
use uuid::Uuid;

/// A ticket refused because its seat is held by another ticket: an invariant violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The refused ticket.
    pub ticket_id: Uuid,
    /// The ticket holding the seat, when the store can tell.
    pub holder: Option<String>,
}

/// A store of tickets.
pub trait Store: Send + Sync + 'static {
    /// Short name for logs and metrics: `mysql` or `dynamodb`.
    fn name(&self) -> &'static str;

    /// Durably stores `tickets`; a ticket stored before is left as it is. Returns the
    /// tickets that were not stored because another ticket holds their seat. An error means
    /// nothing can be assumed stored; the whole batch is written again.
    fn write(&self, tickets: &[Ticket]) -> impl Future<Output = anyhow::Result<Vec<Conflict>>> + Send;

    /// Deletes every ticket (the reset command of `POST /api/v1/admin/reset`).
    fn reset(&self) -> impl Future<Output = anyhow::Result<()>> + Send;
}
