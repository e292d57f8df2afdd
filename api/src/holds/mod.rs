//! Seat holds and checkout: `POST /api/v1/holds`, `GET` and `DELETE /api/v1/holds/{holdId}`,
//! `POST /api/v1/holds/{holdId}/checkout`.
//!
//! A hold takes a selection of seats for one buyer, all or none, for `HOLD_TTL_SECS`; one
//! live hold per buyer and event. The seats' state lives in Redis with the sold bitmaps, and
//! every script reads a hold past its deadline as free: nothing waits for a sweeper. A
//! checkout charges the payment, then one script sells the seats if the hold is still the
//! buyer's and alive; if it lapsed while the charge was in flight, nothing is sold and the
//! charge is refunded, so a seat is never sold twice and no charge stays without its tickets.

pub mod request;
pub mod store;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::Ticket;
use infra::contract::TicketEvent;
use serde_json::{json, Value};
use uuid::Uuid;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::auth::{self, Claims};
use crate::error::{ApiError, Unsettled};
use crate::filters::{json_body, with_state};
use crate::idempotency::{self, Scope};
use crate::metrics;
use crate::payment::{Charge, PaymentError};
use crate::reply;
use crate::state::AppState;
use store::{CheckoutOutcome, HoldId, HoldOutcome, HoldRecord, ReleaseOutcome, Sale, State};

/// The hold routes.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let create = warp::path!("api" / "v1" / "holds")
        .and(warp::post())
        .and(auth::buyer(state.clone()))
        .and(warp::header::optional::<String>("idempotency-key"))
        .and(json_body(state.body_limit()))
        .and(with_state(state.clone()))
        .then(
            |buyer: Claims, key: Option<String>, body: Bytes, state: AppState| async move {
                let event = key.as_ref().and_then(|_| idempotency::event_of(&body));
                let key = key.map(|key| (key, Scope::new(Some(&buyer), event.as_deref())));
                idempotency::once(&state, key, "POST /api/v1/holds", &body, || async {
                    let created = create(&state, &buyer, &body).await;
                    metrics::hold(created.as_ref().map_or_else(metrics::sale_outcome, |_| "held"));
                    answer(created)
                })
                .await
                .response()
            },
        );
    let get = warp::path!("api" / "v1" / "holds" / String)
        .and(warp::get())
        .and(auth::buyer(state.clone()))
        .and(with_state(state.clone()))
        .then(|id: String, buyer: Claims, state: AppState| async move {
            answer(show(&state, &buyer, &id).await.map(|hold| (StatusCode::OK, hold, None))).response()
        });
    let release = warp::path!("api" / "v1" / "holds" / String)
        .and(warp::delete())
        .and(auth::buyer(state.clone()))
        .and(with_state(state.clone()))
        .then(|id: String, buyer: Claims, state: AppState| async move {
            match release(&state, &buyer, &id).await {
                Ok(()) => warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response(),
                Err(e) => e.response(),
            }
        });
    let checkout = warp::path!("api" / "v1" / "holds" / String / "checkout")
        .and(warp::post())
        .and(auth::buyer(state.clone()))
        .and(warp::header::optional::<String>("idempotency-key"))
        .and(json_body(state.body_limit()))
        .and(with_state(state))
        .then(
            |id: String, buyer: Claims, key: Option<String>, body: Bytes, state: AppState| async move {
                let event = HoldId::parse(&id).map(|hold| hold.event_id);
                let key = key.map(|key| (key, Scope::new(Some(&buyer), event.as_deref())));
                let route = format!("POST /api/v1/holds/{id}/checkout");
                idempotency::once(&state, key, &route, &body, || async {
                    answer(checkout(&state, &buyer, &id, &body).await)
                })
                .await
                .response()
            },
        );
    create.or(get).unify().or(release).unify().or(checkout).unify()
}

/// A JSON answer with its status and, for a created resource, its `Location`.
type Answer = (StatusCode, Value, Option<String>);

fn answer(result: Result<Answer, ApiError>) -> reply::Answer {
    match result {
        Ok((status, body, location)) => {
            let answer = reply::Answer::json(status, &body);
            match location {
                Some(location) => answer.with(header::LOCATION, location),
                None => answer,
            }
        }
        Err(e) => e.answer(),
    }
}

fn redis_failed(e: redis::RedisError) -> ApiError {
    ApiError::redis(e, "A hold script failed")
}

async fn create(state: &AppState, buyer: &Claims, body: &[u8]) -> Result<Answer, ApiError> {
    let selection = request::selection(body, state.catalog(), state.holds().max_seats)?;
    let id = HoldId::new(&selection.event_id);
    let outcome = state
        .hold_store()
        .hold(
            &id,
            buyer.sub,
            &selection.venue_id,
            &selection.seats,
            selection.total,
            state.holds().ttl,
        )
        .await
        .map_err(redis_failed)?;
    match outcome {
        HoldOutcome::Held { expires_ms } => {
            let hold = HoldRecord {
                buyer: buyer.sub,
                venue_id: selection.venue_id,
                seats: selection.seats,
                total: selection.total,
                expires_ms,
                state: State::Held,
                order: None,
                charge: None,
            };
            let location = format!("/api/v1/holds/{id}");
            Ok((StatusCode::CREATED, view(&id, &hold), Some(location)))
        }
        HoldOutcome::Unavailable(indices) => {
            let seats: Vec<Value> = indices
                .iter()
                .filter_map(|i| selection.seats.get(*i))
                .map(store::HeldSeat::public)
                .collect();
            let mut details = serde_json::Map::new();
            details.insert("seats".into(), Value::Array(seats));
            Err(ApiError::Conflict {
                code: "seats_unavailable",
                message: "some of these seats are sold or held by another buyer; nothing was held".into(),
                details: Some(details),
            })
        }
        HoldOutcome::NotVerified => {
            crate::recovery::trigger(state, &id.event_id);
            Err(ApiError::seat_state_rebuilding(&id.event_id))
        }
        HoldOutcome::Exists(hold_id) => {
            let mut details = serde_json::Map::new();
            details.insert("holdId".into(), Value::String(hold_id.clone()));
            Err(ApiError::Conflict {
                code: "hold_exists",
                message: format!(
                    "you already hold seats of this event in hold {hold_id}: check it out or release it first"
                ),
                details: Some(details),
            })
        }
    }
}

/// The hold `id` of `buyer`; another buyer's hold is as absent as one that never was.
async fn find(state: &AppState, buyer: &Claims, id: &str) -> Result<(HoldId, HoldRecord), ApiError> {
    let parsed =
        HoldId::parse(id).ok_or_else(|| ApiError::invalid_parameter("holdId", "is not a hold id this API returned"))?;
    let record = state.hold_store().get(&parsed).await.map_err(redis_failed)?;
    match record {
        Some(record) if record.buyer == buyer.sub => Ok((parsed, record)),
        _ => Err(ApiError::NotFound(format!("you have no hold {id}"))),
    }
}

async fn show(state: &AppState, buyer: &Claims, id: &str) -> Result<Value, ApiError> {
    let (id, record) = find(state, buyer, id).await?;
    if record.state == State::Released {
        return Err(ApiError::NotFound(format!("you have no hold {id}: it was released")));
    }
    Ok(view(&id, &record))
}

async fn release(state: &AppState, buyer: &Claims, id: &str) -> Result<(), ApiError> {
    let (id, record) = find(state, buyer, id).await?;
    let outcome = state
        .hold_store()
        .release(&id, &record, buyer.sub)
        .await
        .map_err(redis_failed)?;
    match outcome {
        ReleaseOutcome::Released => Ok(()),
        ReleaseOutcome::NotFound => Err(ApiError::NotFound(format!("you have no hold {id}"))),
        ReleaseOutcome::Sold => Err(ApiError::conflict(
            "hold_checked_out",
            "this hold was checked out: its seats are sold",
        )),
    }
}

async fn checkout(state: &AppState, buyer: &Claims, id: &str, body: &[u8]) -> Result<Answer, ApiError> {
    let token = request::payment_token(body)?;
    let (id, record) = find(state, buyer, id).await?;
    match record.state {
        State::Sold => return Ok((StatusCode::CREATED, sold_order(&record)?, None)),
        State::Released => return Err(gone(&id)),
        State::Held if record.expires_ms <= Utc::now().timestamp_millis() => return Err(gone(&id)),
        State::Held => {}
    }
    let charge = Charge {
        // The same hold paid with the same card is one charge, however often it is tried.
        idempotency_key: format!("hold:{id}:card:{token}"),
        amount: record.total,
        token,
        hold_id: id.to_string(),
    };
    let charge_id = state.gateway().charge(&charge).await.map_err(payment_failed)?;

    let order_id = Uuid::now_v7();
    let tickets: Vec<Ticket> = record
        .seats
        .iter()
        .map(|seat| {
            Ticket::issue(
                &record.venue_id,
                &id.event_id,
                seat.zone_id,
                seat.row.clone(),
                seat.column,
                seat.price,
            )
            .owned_by(buyer.sub, order_id)
        })
        .collect();
    let order = json!({"orderId": order_id, "holdId": id.to_string(), "tickets": tickets, "total": record.total});
    let sales = record
        .seats
        .iter()
        .zip(&tickets)
        .map(|(seat, ticket)| {
            Ok(Sale {
                seat,
                ticket,
                event: TicketEvent::to_json(ticket)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(anyhow::Error::from)?;
    let outcome = state
        .hold_store()
        .checkout(
            &id,
            &record,
            buyer.sub,
            order_id,
            &order.to_string(),
            &charge_id,
            &sales,
        )
        .await
        // The charge stays: a retry with the same card reuses it, and if none comes the
        // sweeper refunds it once the hold has lapsed.
        .map_err(|e| {
            let sale = Unsettled::Order {
                hold_id: id.to_string(),
                order_id,
            };
            ApiError::redis_selling(e, sale, "The checkout script failed")
        })?;
    match outcome {
        CheckoutOutcome::Sold => Ok((StatusCode::CREATED, order, None)),
        CheckoutOutcome::SoldBefore { order, charge } => {
            if charge != charge_id {
                refund(state, &charge_id, &id).await;
            }
            let order: Value = serde_json::from_str(&order).map_err(anyhow::Error::from)?;
            Ok((StatusCode::CREATED, order, None))
        }
        CheckoutOutcome::NotVerified => {
            // As when Redis does not answer: the charge stays for a retry with the same card,
            // and the sweeper refunds it if the hold lapses unsold.
            crate::recovery::trigger(state, &id.event_id);
            Err(ApiError::seat_state_rebuilding(&id.event_id))
        }
        CheckoutOutcome::Gone | CheckoutOutcome::NotFound => {
            refund(state, &charge_id, &id).await;
            Err(gone(&id))
        }
    }
}

/// Refunds a charge that bought nothing; a failure is left to the sweeper.
async fn refund(state: &AppState, charge_id: &str, hold: &HoldId) {
    match state.gateway().refund(charge_id).await {
        Ok(()) => tracing::info!(charge_id, hold = %hold, "refunded a charge whose hold lapsed"),
        Err(e) => tracing::warn!(
            charge_id,
            hold = %hold,
            error = %e,
            "refund failed; the sweeper refunds it later"
        ),
    }
}

fn gone(id: &HoldId) -> ApiError {
    ApiError::Gone {
        code: "hold_expired",
        message: format!("hold {id} has expired or was released; its seats may be taken: hold them again"),
    }
}

fn payment_failed(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Declined(reason) => ApiError::PaymentRequired {
            code: "payment_declined",
            message: format!("{reason} The hold stays until it expires: try another card."),
        },
        PaymentError::InvalidToken => ApiError::invalid_parameter("paymentToken", "names no card the gateway knows"),
        PaymentError::Unavailable(why) => ApiError::Unavailable {
            dependency: "payment",
            code: "payment_unavailable",
            message: "the payment gateway is unavailable; nothing was charged and the hold stays, retry shortly".into(),
            source: anyhow::anyhow!(why),
        },
    }
}

fn sold_order(record: &HoldRecord) -> Result<Value, ApiError> {
    let order = record
        .order
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("a sold hold without its order"))?;
    Ok(serde_json::from_str(order).map_err(anyhow::Error::from)?)
}

/// A hold as the API answers it.
fn view(id: &HoldId, hold: &HoldRecord) -> Value {
    let status = match hold.state {
        State::Sold => "sold",
        State::Released => "released",
        State::Held if hold.expires_ms <= Utc::now().timestamp_millis() => "expired",
        State::Held => "held",
    };
    let expires_at = DateTime::from_timestamp_millis(hold.expires_ms).map(|at| domain::ticket::created_on_text(&at));
    let mut view = json!({
        "holdId": id.to_string(),
        "venueId": hold.venue_id,
        "eventId": id.event_id,
        "status": status,
        "expiresAt": expires_at,
        "seats": hold.seats.iter().map(store::HeldSeat::public).collect::<Vec<_>>(),
        "total": hold.total,
    });
    if let Some(order) = hold
        .order
        .as_deref()
        .and_then(|o| serde_json::from_str::<Value>(o).ok())
    {
        view["orderId"] = order["orderId"].clone();
    }
    view
}
