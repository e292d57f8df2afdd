//! `POST /api/v1/tickets`: validate against the catalog, commit in Redis, answer.
//!
//! The answer never waits for the broker: the ticket event is in the outbox the moment the
//! seat is sold, and the relay delivers it.

pub mod request;
pub mod seat_lock;

use bytes::Bytes;
use infra::ticket::{Ticket, TicketEvent};
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::error::json_error;
use crate::routes::{json_body, with_state};
use crate::state::AppState;
use request::InvalidInput;
use seat_lock::Outcome;

/// The purchase route.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("api" / "v1" / "tickets")
        .and(warp::post())
        .and(json_body(state.body_limit()))
        .and(with_state(state))
        .then(|body: Bytes, state: AppState| async move {
            match purchase(&state, &body).await {
                Ok(sold) => created(sold),
                Err(err) => err.into_response(),
            }
        })
}

/// Why a purchase did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PurchaseError {
    /// The request is malformed or names no existing seat.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// Someone else bought the seat first.
    #[error("seat {row}{column} in zone {zone_id} of event {event_id} is already sold")]
    Taken {
        /// Event of the seat.
        event_id: String,
        /// Zone of the seat.
        zone_id: u32,
        /// Row label.
        row: String,
        /// Seat number.
        column: u32,
    },
    /// Redis did not answer in time; nothing was sold.
    #[error("the seat store is unavailable")]
    Unavailable(#[source] redis::RedisError),
    /// A fault of ours.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl PurchaseError {
    fn into_response(self) -> Response {
        match &self {
            Self::Invalid(e) => json_error(e.status, e.code, &e.message, e.field),
            Self::Taken { .. } => json_error(StatusCode::CONFLICT, "seat_taken", &self.to_string(), None),
            Self::Unavailable(source) => {
                tracing::warn!(error = %source, "purchase refused: Redis unavailable");
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "tickets cannot be sold right now; nothing was charged or reserved, retry shortly",
                    None,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                response
            }
            Self::Unexpected(source) => {
                tracing::error!(error = format!("{source:#}"), "purchase failed");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error", None)
            }
        }
    }
}

/// A sold seat: the ticket, and its JSON as answered (serialized once, also the basis of
/// the event body).
#[derive(Debug)]
pub struct Sold {
    /// The ticket.
    pub ticket: Ticket,
    /// `ticket` as JSON.
    pub json: String,
}

/// Sells the seat named by `body`.
#[tracing::instrument(level = "debug", skip_all, fields(event_id, ticket_id))]
pub async fn purchase(state: &AppState, body: &[u8]) -> Result<Sold, PurchaseError> {
    let request = request::parse(body)?;
    let seat = request::resolve(&request, state.catalog())?;
    let ticket = seat.issue_ticket();
    let span = tracing::Span::current();
    span.record("event_id", seat.event.event_id.as_str());
    span.record("ticket_id", tracing::field::display(ticket.ticket_id));
    let json = serde_json::to_string(&ticket).map_err(anyhow::Error::from)?;
    let event = TicketEvent::from_ticket_json(&json);
    match state.seat_lock().sell(&seat, &ticket, &event).await {
        Ok(Outcome::Sold) => Ok(Sold { ticket, json }),
        Ok(Outcome::Taken) => Err(PurchaseError::Taken {
            event_id: ticket.event_id,
            zone_id: ticket.zone_id,
            row: ticket.row,
            column: ticket.column,
        }),
        Err(e) if is_unavailable(&e) => Err(PurchaseError::Unavailable(e)),
        Err(e) => Err(anyhow::Error::new(e).context("The seat lock script failed").into()),
    }
}

/// Redis is down, unreachable, too slow, loading, failing over or out of memory: the
/// client should retry later. Anything else (a script error) is a bug of ours.
fn is_unavailable(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.kind() == redis::ErrorKind::ClusterConnectionNotFound
        || e.code().is_some_and(|c| {
            matches!(
                c,
                "LOADING" | "BUSY" | "MASTERDOWN" | "TRYAGAIN" | "CLUSTERDOWN" | "OOM" | "READONLY"
            )
        })
}

fn created(sold: Sold) -> Response {
    let mut response = Response::new(sold.json.into());
    *response.status_mut() = StatusCode::CREATED;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/tickets/{}", sold.ticket.ticket_id)) {
        headers.insert(header::LOCATION, location);
    }
    response
}
