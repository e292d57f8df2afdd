//! The api's metrics (their meaning: README, "Operations"), recorded into the process's
//! recorder (`infra::metrics`) and served at `GET /metrics`:
//!
//! - `http_requests_total` and `http_request_duration_seconds`, by method, route template
//!   (of the route table the caller gives; `other` for a path of no route, `pages` for the
//!   pages) and status class;
//! - `purchases_total` and `holds_total` by outcome ([`sale_outcome`]);
//! - `outbox_entries` per event, read from Redis when scraped;
//! - `relay_publish_duration_seconds` and `relay_batch_tickets`, from the relay.

use std::time::Duration;

use metrics::{counter, gauge, histogram};
use redis::AsyncCommands;
use warp::http::{Method, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;
use crate::filters::with_state;
use crate::state::AppState;

/// `GET /metrics`.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("metrics")
        .and(warp::get())
        .and(with_state(state))
        .then(|state: AppState| async move {
            outbox_entries(&state).await;
            warp::reply::with_header(infra::metrics::render(), "content-type", infra::metrics::CONTENT_TYPE)
                .into_response()
        })
}

/// Sets `outbox_entries` of every event from its stream's length; left as it was when Redis
/// does not answer.
async fn outbox_entries(state: &AppState) {
    let mut redis = state.redis();
    for event in state.catalog().events() {
        let stream = infra::redis::EventKeys::new(state.key_prefix(), &event.event_id).outbox();
        if let Ok(len) = redis.xlen::<_, u64>(&stream).await {
            gauge!("outbox_entries", "event" => event.event_id.clone()).set(len as f64);
        }
    }
}

/// Counts one answered request (the route table's `with(warp::log::custom(...))`), under
/// its template in `routes` (`(method, OpenAPI path template)`).
pub fn request(routes: &'static [(&'static str, &'static str)], info: warp::log::Info<'_>) {
    let method = method(info.method());
    let route = route(routes, method, info.path());
    let status = status_class(info.status());
    counter!("http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    histogram!("http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(info.elapsed().as_secs_f64());
}

/// Counts a purchase by its outcome.
pub fn purchase(outcome: &'static str) {
    counter!("purchases_total", "outcome" => outcome).increment(1);
}

/// Counts a hold by its outcome.
pub fn hold(outcome: &'static str) {
    counter!("holds_total", "outcome" => outcome).increment(1);
}

/// Times one publish of the relay, of messages carrying `tickets` tickets each.
pub fn relay_published(took: Duration, tickets: impl Iterator<Item = usize>) {
    histogram!("relay_publish_duration_seconds").record(took.as_secs_f64());
    for n in tickets {
        histogram!("relay_batch_tickets").record(n as f64);
    }
}

/// The outcome a refused sale or hold counts as: `taken` (409), `limit` (a buyer's second
/// hold of an event), `rebuilding` (the seat state is being checked after Redis restarted),
/// `unknown` (Redis went away while it ran), `unavailable` (another 503), `rejected` (bad
/// input, 4xx), `failed` (500).
pub fn sale_outcome(error: &ApiError) -> &'static str {
    match (error.status(), error.code()) {
        (_, "hold_exists") => "limit",
        (_, "seat_state_rebuilding") => "rebuilding",
        (_, "outcome_unknown") => "unknown",
        (StatusCode::CONFLICT, _) => "taken",
        (StatusCode::SERVICE_UNAVAILABLE, _) => "unavailable",
        (status, _) if status.is_client_error() => "rejected",
        _ => "failed",
    }
}

fn method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The template of the route of `path` (the table's first whose template fits, whatever
/// its method: a 405 is counted under the path's route), `pages` outside `/api/`, `other`.
fn route(routes: &'static [(&'static str, &'static str)], method: &str, path: &str) -> &'static str {
    let fits = |template: &str| crate::error::template_matches(template, path);
    if let Some((_, template)) = routes.iter().find(|(m, t)| *m == method && fits(t)) {
        return template;
    }
    if let Some((_, template)) = routes.iter().find(|(_, t)| fits(t)) {
        return template;
    }
    match path {
        "/metrics" => "/metrics",
        p if p.starts_with("/api/") => "other",
        _ => "pages",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_counted_under_their_route_template() {
        const ROUTES: &[(&str, &str)] = &[
            ("POST", "/api/v1/tickets"),
            ("GET", "/api/v1/events/{eventId}/seats"),
            ("GET", "/api/v1/holds/{holdId}"),
        ];
        assert_eq!(route(ROUTES, "POST", "/api/v1/tickets"), "/api/v1/tickets");
        assert_eq!(
            route(ROUTES, "GET", "/api/v1/events/Event1/seats"),
            "/api/v1/events/{eventId}/seats"
        );
        assert_eq!(route(ROUTES, "PUT", "/api/v1/holds/abc"), "/api/v1/holds/{holdId}");
        assert_eq!(route(ROUTES, "GET", "/api/v1/nothing"), "other");
        assert_eq!(route(ROUTES, "GET", "/events/Event1"), "pages");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }

    #[test]
    fn refusals_count_as_their_outcome() {
        assert_eq!(sale_outcome(&ApiError::conflict("seat_taken", "x")), "taken");
        assert_eq!(sale_outcome(&ApiError::conflict("hold_exists", "x")), "limit");
        assert_eq!(sale_outcome(&ApiError::seat_state_rebuilding("Event1")), "rebuilding");
        assert_eq!(
            sale_outcome(&ApiError::invalid_parameter("zoneId", "is bad")),
            "rejected"
        );
        assert_eq!(sale_outcome(&ApiError::Unexpected(anyhow::anyhow!("bug"))), "failed");
    }
}
