//! `GET /api/v1/health` (the process is up) and `GET /api/v1/ready` (every dependency
//! answers; 503 naming the ones that do not, so a load balancer stops sending traffic; the
//! optional replay topic and read replica are reported but never cause a 503).

use std::time::Duration;

use futures_util::future::join;
use mysql_async::prelude::Queryable;
use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::filters::with_state;
use crate::relay::LinkHealth;
use crate::state::AppState;

/// How long one dependency check may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The health routes.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let health = warp::path!("api" / "v1" / "health")
        .and(warp::get())
        .map(|| warp::reply::json(&serde_json::json!({"status": "ok"})).into_response());
    let ready = warp::path!("api" / "v1" / "ready")
        .and(warp::get())
        .and(with_state(state))
        .then(ready);
    health.or(ready).unify()
}

/// One dependency's state.
#[derive(Debug, Serialize)]
pub struct Check {
    /// `up`, `down` or `disabled`.
    pub status: &'static str,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A read replica's lag behind its primary, in seconds.
    #[serde(rename = "lagSeconds", skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<u64>,
}

impl Check {
    fn up() -> Self {
        Self::new("up", None)
    }

    fn down(error: String) -> Self {
        Self::new("down", Some(error))
    }

    fn new(status: &'static str, error: Option<String>) -> Self {
        Self {
            status,
            error,
            lag_seconds: None,
        }
    }

    /// The read replica: `up` with its lag while it replicates, `down` when it does not
    /// answer or its replication is stopped, `disabled` when there is none.
    async fn replica(state: &AppState) -> Self {
        let Some(replica) = state.mysql_replica() else {
            return Self::new("disabled", None);
        };
        let lag = tokio::time::timeout(CHECK_TIMEOUT, async {
            let mut conn = replica.get_conn().await?;
            infra::mysql::replica_lag(&mut conn).await
        });
        match lag.await {
            Ok(Ok(Some(lag))) => Self {
                lag_seconds: Some(lag),
                ..Self::up()
            },
            Ok(Ok(None)) => Self::down("replication is stopped".into()),
            Ok(Err(e)) => Self::down(e.to_string()),
            Err(_) => Self::down(format!("no answer within {CHECK_TIMEOUT:?}")),
        }
    }

    /// A round trip to a store, bounded by [`CHECK_TIMEOUT`].
    fn probe<E: std::fmt::Display>(result: Result<Result<(), E>, tokio::time::error::Elapsed>) -> Self {
        match result {
            Ok(Ok(())) => Self::up(),
            Ok(Err(e)) => Self::down(e.to_string()),
            Err(_) => Self::down(format!("no answer within {CHECK_TIMEOUT:?}")),
        }
    }

    /// One of the relay's links, `None` when this instance has none.
    fn link(link: Option<&LinkHealth>) -> Self {
        match link.map(LinkHealth::status) {
            None => Self::new("disabled", None),
            Some(Ok(())) => Self::up(),
            Some(Err(error)) => Self::down(error),
        }
    }
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    redis: Check,
    rabbitmq: Check,
    mysql: Check,
    /// The optional replay topic: reported, but never the reason for a 503. Its outage
    /// holds events in the outbox; taking every api out of rotation for it would stop sales.
    kafka: Check,
    /// The optional read replica of the ticket queries, with its lag: reported, but never the
    /// reason for a 503 (sales do not need it).
    #[serde(rename = "mysqlReplica")]
    mysql_replica: Check,
}

async fn ready(state: AppState) -> Response {
    let redis = tokio::time::timeout(CHECK_TIMEOUT, state.seat_lock().ping());
    let mysql = tokio::time::timeout(CHECK_TIMEOUT, async {
        let mut conn = state.mysql().get_conn().await?;
        conn.ping().await
    });
    let ((redis, mysql), replica) = join(join(redis, mysql), Check::replica(&state)).await;
    let readiness = Readiness {
        status: "ready",
        redis: Check::probe(redis),
        rabbitmq: Check::link(state.broker()),
        mysql: Check::probe(mysql),
        kafka: Check::link(state.topic()),
        mysql_replica: replica,
    };
    let all_up = [&readiness.redis, &readiness.rabbitmq, &readiness.mysql]
        .iter()
        .all(|c| c.status != "down");
    let (status, code) = if all_up {
        ("ready", StatusCode::OK)
    } else {
        ("unavailable", StatusCode::SERVICE_UNAVAILABLE)
    };
    warp::reply::with_status(warp::reply::json(&Readiness { status, ..readiness }), code).into_response()
}
