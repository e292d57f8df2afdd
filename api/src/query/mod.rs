//! The query controller: tickets from the MySQL read model, events and venues from the
//! in-memory catalog (with the seats left from Redis), seat maps from Redis.

mod catalog;
mod page;
pub mod params;
pub mod seats;
pub mod sql;
mod tickets;

use std::collections::HashMap;

use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;
use crate::filters;
use crate::state::AppState;
pub use catalog::parse_event_cursor;
pub use page::Page;

/// Answers `result` as JSON, or as the JSON error.
fn respond<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(body) => warp::reply::json(&body).into_response(),
        Err(e) => e.response(),
    }
}

type Query = HashMap<String, String>;

/// The query routes. Literal segments (`count`, `money`) come before `{ticketId}`.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let with_state = filters::with_state(state.clone());
    let get = warp::get();
    let query = warp::query::<Query>();
    let count = warp::path!("api" / "v1" / "tickets" / "count" / String)
        .and(get)
        .and(with_state.clone())
        .then(|event: String, s: AppState| async move { respond(tickets::count(&s, &event).await) });
    let money =
        warp::path!("api" / "v1" / "tickets" / "money" / String / String)
            .and(get)
            .and(with_state.clone())
            .then(|venue: String, event: String, s: AppState| async move {
                respond(tickets::money(&s, &venue, &event).await)
            });
    let mine = warp::path!("api" / "v1" / "me" / "tickets")
        .and(get)
        .and(crate::auth::buyer(state.clone()))
        .and(query)
        .and(with_state.clone())
        .then(|buyer: crate::auth::Claims, q: Query, s: AppState| async move {
            respond(tickets::mine(&s, buyer.sub, q).await)
        });
    let ticket = warp::path!("api" / "v1" / "tickets" / String)
        .and(get)
        .and(with_state.clone())
        .then(|id: String, s: AppState| async move { respond(tickets::one(&s, &id).await) });
    let list = warp::path!("api" / "v1" / "tickets")
        .and(get)
        .and(query)
        .and(with_state.clone())
        .then(|q: Query, s: AppState| async move { respond(tickets::list(&s, q).await) });
    let seats = warp::path!("api" / "v1" / "events" / String / "seats")
        .and(get)
        .and(query)
        .and(with_state.clone())
        .then(|event: String, q: Query, s: AppState| async move { respond(seats::map(&s, &event, q).await) });
    let event = warp::path!("api" / "v1" / "events" / String)
        .and(get)
        .and(with_state.clone())
        .then(|id: String, s: AppState| async move { respond(catalog::event(&s, &id).await) });
    let events = warp::path!("api" / "v1" / "events")
        .and(get)
        .and(query)
        .and(with_state.clone())
        .then(|q: Query, s: AppState| async move { respond(catalog::events(&s, q).await) });
    let venue = warp::path!("api" / "v1" / "venues" / String)
        .and(get)
        .and(with_state.clone())
        .map(|id: String, s: AppState| respond(catalog::venue(&s, &id)));
    let venues = warp::path!("api" / "v1" / "venues")
        .and(get)
        .and(query)
        .and(with_state)
        .map(|q: Query, s: AppState| respond(catalog::venues(&s, q)));
    count
        .or(money)
        .unify()
        .or(mine)
        .unify()
        .or(ticket)
        .unify()
        .or(list)
        .unify()
        .or(seats)
        .unify()
        .or(event)
        .unify()
        .or(events)
        .unify()
        .or(venue)
        .unify()
        .or(venues)
        .unify()
}
