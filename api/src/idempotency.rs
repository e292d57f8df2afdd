//! `Idempotency-Key` on the POSTs that sell or hold (`POST /api/v1/tickets`,
//! `POST /api/v1/holds`, `POST /api/v1/holds/{holdId}/checkout`).
//!
//! A repeat with the same key, from the same buyer, with the same request (route and body),
//! within [`REMEMBERED`] answers exactly what the first request answered, status and body,
//! and does nothing more. The same key with another request is `422
//! idempotency_key_reused`; a repeat while the first still runs is `409 request_in_progress`
//! with `Retry-After`. A 5xx is not remembered: the request may be tried again.
//!
//! Keys live in Redis, under the hash tag of the event the request names (so they sit on
//! the shard of the sale they guard), hashed with the buyer as their scope: one buyer's key
//! never answers another's request.

use std::future::Future;
use std::time::Duration;

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use warp::http::header;

use crate::error::ApiError;
use crate::reply::Answer;
use crate::state::AppState;

/// How long an answer is remembered.
pub const REMEMBERED: Duration = Duration::from_secs(24 * 3600);
/// How long a request may run before its key is free again (a crashed api's request).
const RUNNING: Duration = Duration::from_secs(60);
/// Longest key accepted.
const MAX_KEY: usize = 255;

/// What a key's record holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum Record {
    /// The first request is running.
    Running {
        /// Which request it is.
        fingerprint: String,
    },
    /// The first request was answered.
    Done {
        /// Which request it was.
        fingerprint: String,
        /// Its answer.
        answer: Answer,
    },
}

/// Who sends a request, and about which event.
pub struct Scope<'a> {
    /// The buyer's id, or `anonymous`.
    pub caller: String,
    /// The event the request names, when it names a valid one.
    pub event_id: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// A request of `buyer` (or an anonymous one) about `event_id`.
    pub fn new(buyer: Option<&crate::auth::Claims>, event_id: Option<&'a str>) -> Self {
        Self {
            caller: buyer.map_or_else(|| "anonymous".to_owned(), |b| b.sub.simple().to_string()),
            event_id,
        }
    }
}

/// Runs `handle` once per key (when the request has one: the key and who sent it about what)
/// and answers every repeat of the same request (`route` and `body`) from memory.
pub async fn once<F, Fut>(
    state: &AppState,
    key: Option<(String, Scope<'_>)>,
    route: &str,
    body: &[u8],
    handle: F,
) -> Answer
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer>,
{
    let Some((key, scope)) = key else { return handle().await };
    let mut request = Sha256::new();
    request.update(route.as_bytes());
    request.update(b"\n");
    request.update(body);
    let fingerprint = hex(&request.finalize());
    match remembered(state, &key, &scope, fingerprint, handle).await {
        Ok(answer) | Err(answer) => answer,
    }
}

async fn remembered<F, Fut>(
    state: &AppState,
    key: &str,
    scope: &Scope<'_>,
    fingerprint: String,
    handle: F,
) -> Result<Answer, Answer>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer>,
{
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(ApiError::BadRequest {
            code: "invalid_header",
            field: Some("Idempotency-Key".into()),
            message: format!("`Idempotency-Key` must be 1 to {MAX_KEY} visible ASCII characters"),
        }
        .answer());
    }
    let record_key = record_key(state, key, scope);
    let redis = |e| ApiError::redis(e, "Failed to read an idempotency key").answer();
    let running = serde_json::to_string(&Record::Running {
        fingerprint: fingerprint.clone(),
    })
    .unwrap_or_default();
    let mut conn = state.redis();
    for _ in 0..3 {
        let claimed: bool = redis::cmd("SET")
            .arg(&record_key)
            .arg(&running)
            .arg("NX")
            .arg("PX")
            .arg(RUNNING.as_millis() as u64)
            .query_async::<Option<String>>(&mut conn)
            .await
            .map_err(redis)?
            .is_some();
        if claimed {
            let answer = handle().await;
            if answer.status < 500 {
                let done = Record::Done {
                    fingerprint,
                    answer: answer.clone(),
                };
                let text = serde_json::to_string(&done).unwrap_or_default();
                let _: () = conn
                    .pset_ex(&record_key, text, REMEMBERED.as_millis() as u64)
                    .await
                    .map_err(redis)?;
            } else {
                let _: () = conn.del(&record_key).await.map_err(redis)?;
            }
            return Ok(answer);
        }
        let text: Option<String> = conn.get(&record_key).await.map_err(redis)?;
        // Gone between the two calls (it expired): claim it again.
        let Some(text) = text else { continue };
        let record: Record = serde_json::from_str(&text)
            .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("an unreadable idempotency record: {e}")).answer())?;
        let (theirs, answer) = match record {
            Record::Running { fingerprint } => (fingerprint, None),
            Record::Done { fingerprint, answer } => (fingerprint, Some(answer)),
        };
        if theirs != fingerprint {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                field: Some("Idempotency-Key".into()),
                message: "this `Idempotency-Key` was used for another request; use a new key".into(),
            }
            .answer());
        }
        return match answer {
            Some(answer) => Ok(answer),
            None => Err(ApiError::conflict(
                "request_in_progress",
                "a request with this `Idempotency-Key` is still running; retry shortly",
            )
            .answer()
            .with(header::RETRY_AFTER, "1")),
        };
    }
    Err(ApiError::Unexpected(anyhow::anyhow!("an idempotency key kept expiring")).answer())
}

/// The record of `key` for `scope`: under the event's hash tag when the request names one.
fn record_key(state: &AppState, key: &str, scope: &Scope<'_>) -> String {
    let digest = hex(&Sha256::digest(key.as_bytes()));
    match scope.event_id {
        Some(event_id) => {
            infra::redis::EventKeys::new(state.key_prefix(), event_id).idempotency(&scope.caller, &digest)
        }
        None => format!("{}:idempotency:{}:{digest}", state.key_prefix(), scope.caller),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `eventId` of a JSON body, if it has a valid one (the key's hash tag).
pub fn event_of(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(rename = "eventId")]
        event_id: String,
    }
    serde_json::from_slice::<Named>(body)
        .ok()
        .map(|n| n.event_id)
        .filter(|id| domain::catalog::is_valid_id(id))
}
