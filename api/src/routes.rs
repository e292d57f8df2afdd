//! The route table, and the filters every route shares.

use std::convert::Infallible;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use warp::{Filter, Rejection, Reply};

use crate::error::{handle_rejection, BodyTooLarge, UnreadableBody, UnsupportedContentType};
use crate::state::AppState;
use crate::{health, purchase, query};

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
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/ready"),
    ("GET", "/api/v1/openapi.json"),
];

/// Every route of the api, with errors answered as JSON.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let openapi = warp::path!("api" / "v1" / "openapi.json")
        .and(warp::get())
        .map(|| warp::reply::with_header(OPENAPI, "content-type", "application/json"));
    openapi
        .or(health::routes(state.clone()))
        .or(purchase::routes(state.clone()))
        .or(query::routes(state))
        .recover(handle_rejection)
}

/// Passes the shared state to a handler.
pub fn with_state(state: AppState) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// A JSON request body: declared as `application/json` (else 415) and at most `limit` bytes
/// (else 413). A declared length over the limit is refused before reading; a chunked body
/// is read only up to the limit.
pub fn json_body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .and_then(move |content_type: Option<String>, length: Option<u64>| async move {
            if !content_type.as_deref().is_some_and(is_json) {
                return Err(warp::reject::custom(UnsupportedContentType));
            }
            if length.is_some_and(|l| l > limit) {
                return Err(warp::reject::custom(BodyTooLarge));
            }
            Ok(())
        })
        .untuple_one()
        .and(warp::body::stream())
        .and_then(move |body| read_limited(body, limit))
}

async fn read_limited(
    mut body: impl futures_util::Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    limit: u64,
) -> Result<Bytes, Rejection> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| warp::reject::custom(UnreadableBody))?;
        if (bytes.len() + chunk.remaining()) as u64 > limit {
            return Err(warp::reject::custom(BodyTooLarge));
        }
        bytes.put(chunk);
    }
    Ok(bytes.freeze())
}

/// `application/json`, with any parameters such as `charset`, in any letter case.
fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types_with_parameters_are_json() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonp"));
        assert!(!is_json(""));
    }
}
