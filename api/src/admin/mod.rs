//! Admin-only operations (a token of an admin account, `api users create --admin`):
//!
//! - `POST /api/v1/admin/reset`: wipes all sales, as `scripts/reset.sh` does. The api wipes
//!   what it owns (the seat state, holds, outbox and idempotency keys in Redis, the payment
//!   ledger), purges the queues and the replay topic, and sends the reset command through the
//!   exchange: each store wipes its tickets when its consumer reaches the command, in queue
//!   order. Answered `202`: the stores follow. For tests and benchmarks on a quiet stack:
//!   messages a consumer had already taken before the purge may still land after it.
//! - `POST /api/v1/admin/dlq/{mysql|dynamodb}/redrive[?limit=]`: moves dead-lettered messages
//!   back, as `consumers redrive` does.
//! - `GET /api/v1/admin/sales/{eventId}`: sold, held and free seats and revenue per zone, from
//!   Redis where sales are decided, and the ticket events still in the outbox.
//! - `GET /api/v1/admin/pipeline`: what is on its way to the stores: ticket events in the
//!   outboxes of every event, and per store the messages queued, its consumers and its
//!   dead-lettered messages. The outbox is reported even while the broker is down.

use std::collections::HashMap;

use anyhow::Context;
use infra::amqp::{self, Topology, DYNAMODB_QUEUE, MYSQL_QUEUE};
use infra::redis::EventKeys;
use lapin::Confirmation;
use serde_json::{json, Value};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::auth::{self, Claims};
use crate::error::ApiError;
use crate::filters::with_state;
use crate::query::params::{event_and_venue, Params};
use crate::query::seats;
use crate::reply::Answer;
use crate::state::AppState;

/// The admin routes.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let reset = warp::path!("api" / "v1" / "admin" / "reset")
        .and(warp::post())
        .and(auth::admin(state.clone()))
        .and(with_state(state.clone()))
        .then(
            |admin: Claims, state: AppState| async move { respond(reset(&state, &admin).await, StatusCode::ACCEPTED) },
        );
    let redrive = warp::path!("api" / "v1" / "admin" / "dlq" / String / "redrive")
        .and(warp::post())
        .and(auth::admin(state.clone()))
        .and(warp::query::<HashMap<String, String>>())
        .and(with_state(state.clone()))
        .then(
            |store: String, _: Claims, query: HashMap<String, String>, state: AppState| async move {
                respond(redrive(&state, &store, query).await, StatusCode::OK)
            },
        );
    let sales = warp::path!("api" / "v1" / "admin" / "sales" / String)
        .and(warp::get())
        .and(auth::admin(state.clone()))
        .and(with_state(state.clone()))
        .then(|event: String, _: Claims, state: AppState| async move {
            respond(sales(&state, &event).await, StatusCode::OK)
        });
    let pipeline = warp::path!("api" / "v1" / "admin" / "pipeline")
        .and(warp::get())
        .and(auth::admin(state.clone()))
        .and(with_state(state))
        .then(|_: Claims, state: AppState| async move { respond(pipeline(&state).await, StatusCode::OK) });
    reset.or(redrive).unify().or(sales).unify().or(pipeline).unify()
}

/// The stores as the admin routes name them, and the base name of each one's queue.
const STORES: [(&str, &str); 2] = [("mysql", MYSQL_QUEUE), ("dynamodb", DYNAMODB_QUEUE)];

fn respond(result: Result<Value, ApiError>, status: StatusCode) -> Response {
    match result {
        Ok(body) => Answer::json(status, &body).response(),
        Err(e) => e.response(),
    }
}

/// A broker failure: 503, the broker did not answer.
fn broker(e: anyhow::Error) -> ApiError {
    ApiError::Unavailable {
        dependency: "rabbitmq",
        code: "unavailable",
        message: "the broker is unavailable; retry shortly".into(),
        source: e,
    }
}

async fn reset(state: &AppState, admin: &Claims) -> Result<Value, ApiError> {
    tracing::warn!(admin = %admin.sub, "admin reset: wiping all sales");
    let redis_keys = infra::redis::delete_prefixed(&mut state.redis(), state.key_prefix())
        .await
        .map_err(|e| ApiError::redis(e, "Failed to delete the Redis keys"))?;
    // The empty seat state is the right one from now on, while the stores empty themselves as
    // their consumers reach the command: it must not be rebuilt from them.
    let events: Vec<String> = state.catalog().events().map(|e| e.event_id.clone()).collect();
    infra::redis::mark_verified(&state.redis(), state.key_prefix(), &events)
        .await
        .map_err(|e| ApiError::redis(e, "Failed to mark the seat state verified"))?;
    let messages = amqp::purge_all(state.amqp()).await.map_err(broker)?;
    send_reset(state).await.map_err(broker)?;
    if state.kafka().enabled() {
        infra::kafka::delete_topic(state.kafka())
            .await
            .context("Failed to delete the replay topic")?;
    }
    Ok(json!({
        "redisKeys": redis_keys,
        "messages": messages,
        "stores": "each store wipes its tickets when its consumer reaches the reset command"
    }))
}

/// Publishes the reset command and waits for the broker's confirm.
async fn send_reset(state: &AppState) -> anyhow::Result<()> {
    let connection = amqp::connect(state.amqp(), "ticketing-api-admin").await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await?;
    let confirm = amqp::publish_reset(&channel, &state.amqp().exchange).await?.await?;
    connection.close(200, "reset sent".into()).await.ok();
    anyhow::ensure!(
        matches!(confirm, Confirmation::Ack(None)),
        "the broker did not take the reset command: {confirm:?}"
    );
    Ok(())
}

async fn redrive(state: &AppState, store: &str, query: HashMap<String, String>) -> Result<Value, ApiError> {
    let params = Params::new(query, &["limit"])?;
    let Some((_, base)) = STORES.iter().find(|(name, _)| *name == store) else {
        return Err(ApiError::NotFound(format!(
            "there is no store `{store}`: mysql or dynamodb"
        )));
    };
    let limit = params.positive("limit")?.map(u64::from);
    let queue = amqp::queue_name(state.amqp(), base);
    let moved = amqp::redrive(state.amqp(), &queue, limit).await.map_err(broker)?;
    tracing::info!(queue, moved, "admin redrive: dead-lettered messages moved back");
    Ok(json!({"queue": queue, "moved": moved}))
}

async fn sales(state: &AppState, event_id: &str) -> Result<Value, ApiError> {
    let (event, venue) = event_and_venue(state, None, event_id)?;
    let keys = EventKeys::new(state.key_prefix(), &event.event_id);
    let zones = seats::event_counts(state, &keys, venue).await?;
    let (waiting, pending) = outbox(state, &keys)
        .await
        .map_err(|e| ApiError::redis(e, "Failed to read the outbox"))?;
    let mut revenue_cents = 0;
    let zones: Vec<Value> = venue
        .zones
        .iter()
        .zip(&zones)
        .map(|(zone, counts)| {
            let cents = counts.sold() * zone.ticket_price.cents();
            revenue_cents += cents;
            json!({
                "zoneId": zone.zone_id,
                "capacity": zone.capacity(),
                "sold": counts.sold(),
                "held": counts.held(),
                "free": counts.free(),
                "price": zone.ticket_price,
                "revenue": domain::Price::from_cents(cents),
            })
        })
        .collect();
    let total = |f: fn(&Value) -> u64| zones.iter().map(f).sum::<u64>();
    Ok(json!({
        "eventId": event.event_id,
        "venueId": venue.venue_id,
        "sold": total(|z| z["sold"].as_u64().unwrap_or(0)),
        "held": total(|z| z["held"].as_u64().unwrap_or(0)),
        "free": total(|z| z["free"].as_u64().unwrap_or(0)),
        "revenue": domain::Price::from_cents(revenue_cents),
        "zones": zones,
        "outbox": {"waiting": waiting, "pending": pending},
    }))
}

async fn pipeline(state: &AppState) -> Result<Value, ApiError> {
    let (mut waiting, mut pending) = (0, 0);
    for event in state.catalog().events() {
        let keys = EventKeys::new(state.key_prefix(), &event.event_id);
        let (w, p) = outbox(state, &keys)
            .await
            .map_err(|e| ApiError::redis(e, "Failed to read the outbox"))?;
        waiting += w;
        pending += p;
    }
    let mut body = json!({"outbox": {"waiting": waiting, "pending": pending}});
    let queues: Vec<String> = STORES
        .iter()
        .map(|(_, base)| amqp::queue_name(state.amqp(), base))
        .collect();
    let both: Vec<String> = queues
        .iter()
        .flat_map(|q| [q.clone(), Topology::dead_letter_queue(q)])
        .collect();
    match amqp::depths(state.amqp(), &both).await {
        Ok(depths) => {
            body["queues"] = STORES
                .iter()
                .zip(&queues)
                .zip(depths.chunks(2))
                .filter_map(|(((store, _), queue), depth)| match depth {
                    [work, dead] => Some(json!({
                        "store": store,
                        "queue": queue,
                        "messages": work.messages,
                        "consumers": work.consumers,
                        "deadLettered": dead.messages,
                    })),
                    _ => None,
                })
                .collect();
        }
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "admin pipeline: the broker did not answer");
            body["brokerError"] = Value::String(format!("{e:#}"));
        }
    }
    Ok(body)
}

/// Entries in the event's outbox, and how many of them a relay has read but not delivered.
async fn outbox(state: &AppState, keys: &EventKeys) -> redis::RedisResult<(u64, usize)> {
    use redis::AsyncCommands;
    let mut redis = state.redis();
    let waiting: u64 = redis.xlen(keys.outbox()).await?;
    let pending: redis::RedisResult<redis::streams::StreamPendingReply> =
        redis.xpending(keys.outbox(), crate::relay::outbox::GROUP).await;
    match pending {
        Ok(pending) => Ok((waiting, pending.count())),
        // No relay has read this outbox yet.
        Err(e) if e.code() == Some("NOGROUP") => Ok((waiting, 0)),
        Err(e) => Err(e),
    }
}
