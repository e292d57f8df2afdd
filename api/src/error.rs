//! Every error answer has one shape, `{"code", "message", "field"?}`, built here; and the one
//! rejection handler at the root turns warp's own rejections (no route, body too large, ...)
//! into that shape, so no client fault is ever answered with a 5xx or a plain-text body.

use std::convert::Infallible;

use serde::Serialize;
use warp::http::StatusCode;
use warp::reject::{LengthRequired, MethodNotAllowed, PayloadTooLarge, Reject};
use warp::reply::Response;
use warp::{Rejection, Reply};

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Stable machine-readable code, e.g. `seat_taken`.
    pub code: &'a str,
    /// A sentence for humans.
    pub message: &'a str,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

/// An error answer.
pub fn json_error(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Response {
    warp::reply::with_status(warp::reply::json(&ErrorBody { code, message, field }), status).into_response()
}

/// Rejection for a body that is not declared as JSON.
#[derive(Debug)]
pub struct UnsupportedContentType;

impl Reject for UnsupportedContentType {}

/// Rejection for a body over the endpoint's limit.
#[derive(Debug)]
pub struct BodyTooLarge;

impl Reject for BodyTooLarge {}

/// Rejection for a body the client stopped sending half-way.
#[derive(Debug)]
pub struct UnreadableBody;

impl Reject for UnreadableBody {}

/// The root `recover`: maps any rejection to a JSON error.
pub async fn handle_rejection(rejection: Rejection) -> Result<Response, Infallible> {
    let (status, code, message) = if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "not_found", "no such resource")
    } else if rejection.find::<UnsupportedContentType>().is_some() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be sent as Content-Type: application/json",
        )
    } else if rejection.find::<PayloadTooLarge>().is_some() || rejection.find::<BodyTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        )
    } else if rejection.find::<LengthRequired>().is_some() {
        (
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "the request must carry a Content-Length header",
        )
    } else if rejection.find::<UnreadableBody>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            "the request body could not be read to its end",
        )
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed on this resource",
        )
    } else if rejection.find::<warp::reject::InvalidHeader>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "invalid_header",
            "a request header is malformed",
        )
    } else if rejection.find::<warp::reject::InvalidQuery>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "the query string is malformed",
        )
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    };
    Ok(json_error(status, code, message, None))
}
