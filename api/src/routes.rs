//! The route table, and the filters every route shares.

use std::convert::Infallible;

use bytes::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::error::{handle_rejection, UnsupportedContentType};
use crate::state::AppState;
use crate::{health, purchase};

/// Every route of the api, with errors answered as JSON.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    health::routes(state.clone())
        .or(purchase::routes(state))
        .recover(handle_rejection)
        .with(warp::trace::request())
}

/// Passes the shared state to a handler.
pub fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// A JSON request body: declared as `application/json` (else 415) and at most `limit` bytes
/// (else 413).
pub fn json_body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::header::optional::<String>("content-type"))
        .and_then(|content_type: Option<String>| async move {
            match content_type {
                Some(ct) if is_json(&ct) => Ok(()),
                _ => Err(warp::reject::custom(UnsupportedContentType)),
            }
        })
        .untuple_one()
        .and(warp::body::bytes())
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
