//! The route table: every route of the api, combined in one filter with one error handler.

use std::convert::Infallible;

use warp::{Filter, Reply};

use crate::error::handle_rejection;
use crate::state::AppState;
use crate::{admin, auth, health, holds, metrics, pages, purchase, query};

/// The OpenAPI 3 document of every route, served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Every route, as `(method, OpenAPI path template)`. A test checks this table against the
/// OpenAPI document both ways and sends a request to each entry.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/tickets"),
    ("GET", "/api/v1/tickets"),
    ("GET", "/api/v1/tickets/{ticketId}"),
    ("GET", "/api/v1/tickets/count/{eventId}"),
    ("GET", "/api/v1/tickets/money/{venueId}/{eventId}"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/events/{eventId}"),
    ("GET", "/api/v1/events/{eventId}/seats"),
    ("GET", "/api/v1/venues"),
    ("GET", "/api/v1/venues/{venueId}"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/me/tickets"),
    ("POST", "/api/v1/holds"),
    ("GET", "/api/v1/holds/{holdId}"),
    ("DELETE", "/api/v1/holds/{holdId}"),
    ("POST", "/api/v1/holds/{holdId}/checkout"),
    ("POST", "/api/v1/admin/reset"),
    ("POST", "/api/v1/admin/dlq/{store}/redrive"),
    ("GET", "/api/v1/admin/sales/{eventId}"),
    ("GET", "/api/v1/admin/pipeline"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/ready"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/metrics"),
];

/// Every route of the api, with errors answered as JSON, and the web pages on every other
/// `GET` outside `/api/`.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let openapi = warp::path!("api" / "v1" / "openapi.json")
        .and(warp::get())
        .map(|| warp::reply::with_header(OPENAPI, "content-type", "application/json"));
    // The purchase first: in a sale nearly every request is one, and each route before it is
    // tried and rejected first.
    purchase::routes(state.clone())
        .or(query::routes(state.clone()))
        .or(holds::routes(state.clone()))
        .or(health::routes(state.clone()))
        .or(auth::routes(state.clone()))
        .or(admin::routes(state.clone()))
        .or(openapi)
        .or(metrics::routes(state))
        .or(pages::routes())
        // Last: a path some route takes, with a method none of them takes, is a 405 with
        // `Allow`.
        .or(crate::error::method_not_allowed(ROUTES))
        .recover(handle_rejection)
        .with(warp::log::custom(|info| metrics::request(ROUTES, info)))
}
