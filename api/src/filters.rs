//! The filters the routes share: the state, and a bounded JSON body. A leaf: it knows no
//! route.

use std::convert::Infallible;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::{Filter, Rejection};

use crate::error::{bad_request, ApiError};
use crate::state::AppState;

/// How much of a refused body is read and thrown away before answering, at most.
const DISCARD_MAX_BYTES: u64 = 8 << 20;
/// How long reading a refused body may take, at most.
const DISCARD_MAX_TIME: Duration = Duration::from_secs(2);

/// Passes the shared state to a handler.
pub fn with_state(state: AppState) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// A JSON request body: declared as `application/json` (else 415) and at most `limit` bytes
/// (else 413). A declared length over the limit is refused before reading; a chunked body
/// is read only up to the limit.
///
/// A refused body is still read to its end and thrown away (up to [`DISCARD_MAX_BYTES`],
/// for up to [`DISCARD_MAX_TIME`]) before the answer, as nginx's lingering close does: a
/// client that writes its whole body before it reads (most do, unless they send
/// `Expect: 100-continue`) would otherwise see its connection reset, not the 413. A client
/// that asked `Expect: 100-continue` is answered at once and never sends the body.
pub fn json_body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::header::optional::<String>("expect"))
        .and(warp::body::stream())
        .and_then(
            move |content_type: Option<String>, length: Option<u64>, expect: Option<String>, body| async move {
                let waits_for_continue = expect.is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
                let refused = if !content_type.as_deref().is_some_and(is_json) {
                    ApiError::UnsupportedMediaType
                } else if length.is_some_and(|l| l > limit) {
                    ApiError::PayloadTooLarge
                } else {
                    return read_limited(body, limit, waits_for_continue).await;
                };
                if !waits_for_continue {
                    discard(body).await;
                }
                Err(warp::reject::custom(refused))
            },
        )
}

/// Reads `body` if it fits in `limit` bytes; otherwise discards the rest and refuses it.
async fn read_limited(
    mut body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    limit: u64,
    waits_for_continue: bool,
) -> Result<Bytes, Rejection> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if (bytes.len() + chunk.remaining()) as u64 > limit {
            if !waits_for_continue {
                discard(body).await;
            }
            return Err(warp::reject::custom(ApiError::PayloadTooLarge));
        }
        bytes.put(chunk);
    }
    Ok(bytes.freeze())
}

/// Reads what is left of `body` and drops it, within the bounds above.
async fn discard(mut body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin) {
    let drain = async {
        let mut read = 0u64;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.remaining() as u64;
            if read > DISCARD_MAX_BYTES {
                return;
            }
        }
    };
    // Past either bound the connection is closed with the body unread, as it would be anyway.
    let _ = tokio::time::timeout(DISCARD_MAX_TIME, drain).await;
}

fn unreadable() -> Rejection {
    warp::reject::custom(bad_request(
        "unreadable_body",
        "the request body could not be read to its end",
    ))
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
