//! `POST /api/v1/tickets`: validate against the catalog, commit in Redis, answer.
//!
//! The answer never waits for the broker: the ticket event is in the outbox the moment the
//! seat is sold, and the relay delivers it. With a bearer token the ticket is the buyer's, in
//! an order of its own; without one it is anonymous, unless `API_REQUIRE_AUTH` says no.

pub mod request;
pub mod seat_lock;

use bytes::Bytes;
use domain::Ticket;
use infra::contract::TicketEvent;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::auth::{self, Claims};
use crate::error::{ApiError, Unsettled};
use crate::filters::{json_body, with_state};
use crate::idempotency::{self, Scope};
use crate::metrics;
use crate::reply::Answer;
use crate::state::AppState;
use seat_lock::Outcome;

/// The purchase route.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("api" / "v1" / "tickets")
        .and(warp::post())
        .and(auth::optional(state.clone()))
        .and(warp::header::optional::<String>("idempotency-key"))
        .and(json_body(state.body_limit()))
        .and(with_state(state))
        .then(
            |buyer: Option<Claims>, key: Option<String>, body: Bytes, state: AppState| async move {
                let event = key.as_ref().and_then(|_| idempotency::event_of(&body));
                let key = key.map(|key| (key, Scope::new(buyer.as_ref(), event.as_deref())));
                idempotency::once(&state, key, "POST /api/v1/tickets", &body, || async {
                    match purchase(&state, buyer.as_ref(), &body).await {
                        Ok(sold) => {
                            metrics::purchase("sold");
                            created(sold)
                        }
                        Err(err) => {
                            metrics::purchase(metrics::sale_outcome(&err));
                            err.answer()
                        }
                    }
                })
                .await
                .response()
            },
        )
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

/// Sells the seat named by `body`, to `buyer` if there is one.
#[tracing::instrument(level = "debug", skip_all, fields(event_id, ticket_id))]
pub async fn purchase(state: &AppState, buyer: Option<&Claims>, body: &[u8]) -> Result<Sold, ApiError> {
    if buyer.is_none() && state.require_auth() {
        return Err(auth::missing_token());
    }
    let request = request::parse(body)?;
    let seat = request::resolve(&request, state.catalog())?;
    let ticket = match buyer {
        Some(buyer) => seat.issue_ticket().owned_by(buyer.sub, uuid::Uuid::now_v7()),
        None => seat.issue_ticket(),
    };
    let span = tracing::Span::current();
    span.record("event_id", seat.event.event_id.as_str());
    span.record("ticket_id", tracing::field::display(ticket.ticket_id));
    let json = serde_json::to_string(&ticket).map_err(anyhow::Error::from)?;
    let event = TicketEvent::from_ticket_json(&json);
    let outcome =
        state.seat_lock().sell(&seat, &ticket, &event).await.map_err(|e| {
            ApiError::redis_selling(e, Unsettled::Ticket(ticket.ticket_id), "The seat lock script failed")
        })?;
    match outcome {
        Outcome::Sold => Ok(Sold { ticket, json }),
        Outcome::Taken => Err(ApiError::conflict(
            "seat_taken",
            format!(
                "seat {}{} in zone {} of event {} is already sold",
                ticket.row, ticket.column, ticket.zone_id, ticket.event_id
            ),
        )),
        Outcome::NotVerified => {
            crate::recovery::trigger(state, &seat.event.event_id);
            Err(ApiError::seat_state_rebuilding(&seat.event.event_id))
        }
        Outcome::Held => Err(ApiError::conflict(
            "seat_held",
            format!(
                "seat {}{} in zone {} of event {} is held by a buyer at checkout; it may be free again later",
                ticket.row, ticket.column, ticket.zone_id, ticket.event_id
            ),
        )),
    }
}

fn created(sold: Sold) -> Answer {
    let location = format!("/api/v1/tickets/{}", sold.ticket.ticket_id);
    Answer::raw(StatusCode::CREATED, sold.json).with(header::LOCATION, location)
}
