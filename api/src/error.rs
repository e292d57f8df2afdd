//! The one error type of the api, [`ApiError`], and the one place it becomes an answer:
//! a status ([`ApiError::status`]) and the body `{"code", "message", "field"?}`.
//!
//! Handlers return it; filters reject with it; the root rejection handler turns warp's own
//! rejections (no route, wrong method, ...) into it. So no client fault is ever answered
//! with a 5xx or a plain-text body, and only two answers are: a dependency that does not
//! answer (503, `Retry-After`, logged at WARN; `outcome_unknown` when it went away while a
//! sale ran) and a fault of ours (500, logged at ERROR).

use std::convert::Infallible;

use serde::Serialize;
use warp::http::{header, StatusCode};
use warp::reject::{LengthRequired, MethodNotAllowed, PayloadTooLarge, Reject};
use warp::reply::Response;
use warp::Rejection;

use crate::reply::Answer;

/// Why a request was not answered with what it asked for.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: its syntax, a type, a range (400).
    #[error("{message}")]
    BadRequest {
        /// Stable machine-readable code.
        code: &'static str,
        /// The request field or parameter at fault, if one is.
        field: Option<String>,
        /// A sentence for humans, naming the field.
        message: String,
    },
    /// Well-formed, but it names something that does not exist or cannot be (422).
    #[error("{message}")]
    Unprocessable {
        /// Stable machine-readable code.
        code: &'static str,
        /// The request field at fault.
        field: Option<String>,
        /// A sentence for humans, naming the field.
        message: String,
    },
    /// No valid credentials: a token missing, malformed, expired or signed with another
    /// secret, or a wrong email or password (401, `WWW-Authenticate: Bearer`).
    #[error("{message}")]
    Unauthorized {
        /// `missing_token`, `invalid_token` or `invalid_credentials`.
        code: &'static str,
        /// A sentence for humans.
        message: String,
    },
    /// The payment was declined (402).
    #[error("{message}")]
    PaymentRequired {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for humans, with the gateway's reason.
        message: String,
    },
    /// Signed in, but not allowed: a buyer on an admin route (403).
    #[error("this operation needs an admin account")]
    Forbidden,
    /// The resource does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the state of the resource, e.g. a seat sold before (409).
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for humans.
        message: String,
        /// More fields of the body, e.g. the seats that are not available.
        details: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// The resource existed and is gone, e.g. an expired hold (410).
    #[error("{message}")]
    Gone {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for humans.
        message: String,
    },
    /// The method is not one the path takes (405).
    #[error("this method is not allowed on this resource")]
    MethodNotAllowed,
    /// The request must declare its length (411).
    #[error("the request must carry a Content-Length header")]
    LengthRequired,
    /// The body is larger than the endpoint accepts (413).
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    /// The body is not declared as JSON (415).
    #[error("the body must be sent as Content-Type: application/json")]
    UnsupportedMediaType,
    /// Too many attempts; try again after `retry_after` (429, `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for humans.
        message: String,
        /// When to try again.
        retry_after: std::time::Duration,
    },
    /// A dependency did not answer in time; nothing was changed; the client may retry (503).
    #[error("{message}")]
    Unavailable {
        /// What did not answer: `redis`, `mysql`, `payment`.
        dependency: &'static str,
        /// `unavailable`; `seat_state_rebuilding` while an event's seats are checked against the
        /// stores; `payment_unavailable` when the payment gateway failed.
        code: &'static str,
        /// A sentence for the client.
        message: String,
        /// The dependency's error, for the log.
        #[source]
        source: anyhow::Error,
    },
    /// Redis went away after a sale's script was sent to it: the seats may have been sold to
    /// this request or not (503, `Retry-After`, what the sale would have made).
    #[error("{}", .sale.describe())]
    OutcomeUnknown {
        /// What the sale would have made.
        sale: Unsettled,
        /// The Redis error, for the log.
        #[source]
        source: redis::RedisError,
    },
    /// A fault of ours: a bug, or a store holding what it never should (500).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Reject for ApiError {}

/// What a sale whose outcome is unknown ([`ApiError::OutcomeUnknown`]) would have made, for
/// the buyer to find it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsettled {
    /// A purchase: the ticket it would have issued.
    Ticket(uuid::Uuid),
    /// A hold's checkout: the order it would have placed. The charge stays (a retry with the
    /// same card reuses it; the sweeper refunds it if the hold lapses unsold).
    Order {
        /// The hold checked out.
        hold_id: String,
        /// The order it would have placed.
        order_id: uuid::Uuid,
    },
}

impl Unsettled {
    fn describe(&self) -> String {
        match self {
            Self::Ticket(ticket_id) => format!(
                "the seat store stopped answering while this sale ran, so it may have gone through: if it did, ticket {ticket_id} is yours (GET /api/v1/tickets/{ticket_id} shows it once the seat store is back); a retry is answered 409 if the seat was sold"
            ),
            Self::Order { hold_id, order_id } => format!(
                "the seat store stopped answering while this checkout ran, so it may have gone through: retry it with the same card, which is charged once however often it is tried; it answers order {order_id} if the seats were sold, and sells them if they were not (GET /api/v1/holds/{hold_id} shows which)"
            ),
        }
    }

    /// The body's further fields: `ticketId`, or `holdId` and `orderId`.
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        let pairs = match self {
            Self::Ticket(ticket_id) => vec![("ticketId", ticket_id.to_string())],
            Self::Order { hold_id, order_id } => vec![("holdId", hold_id.clone()), ("orderId", order_id.to_string())],
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect()
    }
}

impl ApiError {
    /// A query or path parameter `name` that is malformed or out of range: 400
    /// `invalid_parameter`, the message starting with the parameter's name.
    pub fn invalid_parameter(name: &str, problem: impl std::fmt::Display) -> Self {
        Self::BadRequest {
            code: "invalid_parameter",
            field: Some(name.to_owned()),
            message: format!("`{name}` {problem}"),
        }
    }

    /// A 409 with no more to say than `message`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// A `cursor` that this API did not hand out.
    pub fn bad_cursor() -> Self {
        Self::invalid_parameter("cursor", "is not a cursor this API returned")
    }

    /// A Redis failure: 503 when Redis is down, unreachable, too slow, loading, failing over
    /// or out of memory; 500 (with `doing` as context) for anything else, such as a script
    /// error, which is a bug of ours.
    pub fn redis(e: redis::RedisError, doing: &'static str) -> Self {
        if redis_unavailable(&e) {
            Self::Unavailable {
                dependency: "redis",
                code: "unavailable",
                message: "the seat store did not answer; nothing was sold or changed, retry shortly".into(),
                source: e.into(),
            }
        } else {
            Self::Unexpected(anyhow::Error::new(e).context(doing))
        }
    }

    /// A Redis failure of the script making `sale`: as [`redis`](Self::redis), except that
    /// any failure but a refused connection (which sent nothing) is [`Self::OutcomeUnknown`]:
    /// a connection that breaks fails every request in its pipeline with the same error (a
    /// reset, a broken pipe, an end of file), including requests Redis executed before it went
    /// away, and a request that timed out may have run too.
    pub fn redis_selling(e: redis::RedisError, sale: Unsettled, doing: &'static str) -> Self {
        let maybe_sent = !e.is_connection_refusal() && (e.is_io_error() || e.is_connection_dropped() || e.is_timeout());
        if maybe_sent {
            Self::OutcomeUnknown { sale, source: e }
        } else {
            Self::redis(e, doing)
        }
    }

    /// 503 while the seat state of `event_id` is rebuilt from the stores after Redis lost
    /// it ([`crate::recovery`]); nothing was sold or held.
    pub fn seat_state_rebuilding(event_id: &str) -> Self {
        Self::Unavailable {
            dependency: "redis",
            code: "seat_state_rebuilding",
            message: format!(
                "the seats of event {event_id} are being checked against the ticket stores after the seat store restarted; nothing was sold or changed, retry shortly"
            ),
            source: anyhow::anyhow!("the seat state of {event_id} is not verified"),
        }
    }

    /// A MySQL failure: 503 when the server does not answer, refuses more connections or is
    /// shutting down; 500 (with `doing` as context) for anything else, such as bad SQL or a
    /// row that does not decode, which is a bug of ours.
    pub fn mysql(e: mysql_async::Error, doing: &'static str) -> Self {
        if mysql_unavailable(&e) {
            Self::Unavailable {
                dependency: "mysql",
                code: "unavailable",
                message: "the ticket store is unavailable; retry shortly".into(),
                source: e.into(),
            }
        } else {
            Self::Unexpected(anyhow::Error::new(e).context(doing))
        }
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Gone { .. } => StatusCode::GONE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::LengthRequired => StatusCode::LENGTH_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } | Self::OutcomeUnknown { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code in the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::PaymentRequired { code, .. }
            | Self::Gone { code, .. }
            | Self::TooManyRequests { code, .. } => code,
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::LengthRequired => "length_required",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unavailable { code, .. } => code,
            Self::OutcomeUnknown { .. } => "outcome_unknown",
            Self::Unexpected(_) => "internal",
        }
    }

    /// The request field, parameter or header at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadRequest { field, .. } | Self::Unprocessable { field, .. } => field.as_deref(),
            Self::Unauthorized { code, .. } if *code != "invalid_credentials" => Some("Authorization"),
            _ => None,
        }
    }

    /// The response; a 503 or a 500 is logged here, with its cause.
    pub fn response(&self) -> Response {
        self.answer().response()
    }

    /// The answer; a 503 or a 500 is logged here, with its cause.
    pub fn answer(&self) -> Answer {
        let message = match self {
            Self::Unavailable { dependency, source, .. } => {
                tracing::warn!(
                    dependency,
                    error = format!("{source:#}"),
                    "request refused: dependency unavailable"
                );
                self.to_string()
            }
            Self::OutcomeUnknown { sale, source } => {
                tracing::warn!(?sale, error = %source, "the seat store went away during a sale: outcome unknown");
                self.to_string()
            }
            Self::Unexpected(source) => {
                tracing::error!(error = format!("{source:#}"), "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let unsettled;
        let details = match self {
            Self::Conflict { details, .. } => details.as_ref(),
            Self::OutcomeUnknown { sale, .. } => {
                unsettled = sale.details();
                Some(&unsettled)
            }
            _ => None,
        };
        let body = ErrorBody {
            code: self.code(),
            message: &message,
            field: self.field(),
            details,
        };
        let answer = Answer::json(self.status(), &body);
        match self {
            Self::Unavailable { .. } | Self::OutcomeUnknown { .. } => answer.with(header::RETRY_AFTER, "1"),
            Self::TooManyRequests { retry_after, .. } => {
                // Whole seconds, rounded up: a client that waits that long gets through.
                let seconds = retry_after.as_millis().div_ceil(1000).max(1);
                answer.with(header::RETRY_AFTER, seconds.to_string())
            }
            Self::Unauthorized { .. } => answer.with(header::WWW_AUTHENTICATE, "Bearer"),
            _ => answer,
        }
    }
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// The root `recover`: our own rejections as they are, warp's mapped to their meaning.
pub async fn handle_rejection(rejection: Rejection) -> Result<Response, Infallible> {
    if let Some(error) = rejection.find::<ApiError>() {
        return Ok(error.response());
    }
    let error = if rejection.is_not_found() {
        ApiError::NotFound("no such resource".into())
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        ApiError::PayloadTooLarge
    } else if rejection.find::<LengthRequired>().is_some() {
        ApiError::LengthRequired
    } else if let Some(invalid) = rejection.find::<warp::reject::InvalidHeader>() {
        // Before the 405: a route read the header, so it took the path and the method; the
        // 405 is another route's of the same path.
        let name = header_name(invalid.name());
        ApiError::BadRequest {
            code: "invalid_header",
            message: format!("the `{name}` header is malformed: it must be visible ASCII"),
            field: Some(name),
        }
    } else if rejection.find::<warp::reject::InvalidQuery>().is_some() {
        bad_request("invalid_query", "the query string is malformed")
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        ApiError::MethodNotAllowed
    } else {
        ApiError::Unexpected(anyhow::anyhow!("unhandled rejection: {rejection:?}"))
    };
    Ok(error.response())
}

/// A header name as HTTP writes it (`Idempotency-Key`); warp gives it in lower case.
fn header_name(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The answer to a method that a routed path does not take: `405` with the `Allow` header
/// RFC 9110 requires, listing the methods of every route in `routes` (`(method, OpenAPI
/// path template)`) whose template matches the path. Meant to be tried after every route,
/// so it sees only requests no route answered; it rejects, as not found, a path no route has
/// and a method the path does take (another route refused that request, and its answer
/// stands).
pub fn method_not_allowed(
    routes: &'static [(&'static str, &'static str)],
) -> impl warp::Filter<Extract = (Response,), Error = Rejection> + Clone {
    use warp::Filter;
    warp::method().and(warp::path::full()).and_then(
        move |method: warp::http::Method, path: warp::path::FullPath| async move {
            not_allowed(routes, method.as_str(), path.as_str()).ok_or_else(warp::reject::not_found)
        },
    )
}

/// The `405` of [`method_not_allowed`], or `None` where another answer stands.
fn not_allowed(routes: &[(&'static str, &str)], method: &str, path: &str) -> Option<Response> {
    let allowed = allowed_methods(routes, path);
    if allowed.is_empty() || allowed.contains(&method) {
        return None;
    }
    Some(
        ApiError::MethodNotAllowed
            .answer()
            .with(header::ALLOW, allowed.join(", "))
            .response(),
    )
}

/// The methods of the routes whose template (`/api/v1/holds/{holdId}`) matches `path`, each
/// once, in table order.
fn allowed_methods(routes: &[(&'static str, &str)], path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = Vec::new();
    for (method, template) in routes {
        if template_matches(template, path) && !methods.contains(method) {
            methods.push(method);
        }
    }
    methods
}

/// Whether `path` has the segments of `template`, a `{name}` standing for any one non-empty
/// segment.
pub(crate) fn template_matches(template: &str, path: &str) -> bool {
    let (mut expected, mut actual) = (template.split('/'), path.split('/'));
    loop {
        match (expected.next(), actual.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) if want.starts_with('{') && want.ends_with('}') => {
                if got.is_empty() {
                    return false;
                }
            }
            (Some(want), Some(got)) if want == got => {}
            _ => return false,
        }
    }
}

/// A 400 with no field at fault.
pub fn bad_request(code: &'static str, message: &str) -> ApiError {
    ApiError::BadRequest {
        code,
        field: None,
        message: message.to_owned(),
    }
}

/// Redis is down, unreachable, too slow, loading, failing over or out of memory: the
/// client should retry later.
fn redis_unavailable(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.kind() == redis::ErrorKind::ClusterConnectionNotFound
        || e.code().is_some_and(|c| {
            matches!(
                c,
                "LOADING" | "BUSY" | "MASTERDOWN" | "TRYAGAIN" | "CLUSTERDOWN" | "OOM" | "READONLY"
            )
        })
}

/// MySQL does not answer, or answers that it cannot serve now: the client should retry.
/// Server errors that mean "not now" are the connection limit (1040), shutdown (1053), a
/// lock wait or deadlock (1205, 1213), a killed query or connection (1317, 1927), and lost
/// connections (2006, 2013); any other server error is a statement of ours that is wrong.
fn mysql_unavailable(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(d) => matches!(
            d,
            mysql_async::DriverError::ConnectionClosed | mysql_async::DriverError::PoolDisconnected
        ),
        mysql_async::Error::Server(s) => matches!(s.code, 1040 | 1053 | 1205 | 1213 | 1317 | 1927 | 2006 | 2013),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_fault_is_a_4xx_and_only_dependencies_and_bugs_are_5xx() {
        let cases = [
            (
                ApiError::invalid_parameter("limit", "must be 1 to 10"),
                400,
                "invalid_parameter",
            ),
            (
                ApiError::Unprocessable {
                    code: "unknown_zone",
                    field: Some("zoneId".into()),
                    message: "no".into(),
                },
                422,
                "unknown_zone",
            ),
            (ApiError::NotFound("x".into()), 404, "not_found"),
            (ApiError::conflict("seat_taken", "sold"), 409, "seat_taken"),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (ApiError::UnsupportedMediaType, 415, "unsupported_media_type"),
            (
                ApiError::mysql(mysql_async::Error::Io(std::io::Error::other("refused").into()), "q"),
                503,
                "unavailable",
            ),
            (
                ApiError::mysql(
                    mysql_async::DriverError::UnexpectedPacket { payload: vec![] }.into(),
                    "q",
                ),
                500,
                "internal",
            ),
            (ApiError::Unexpected(anyhow::anyhow!("bug")), 500, "internal"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status().as_u16(), error.code()), (status, code), "{error:?}");
        }
        assert_eq!(ApiError::bad_cursor().field(), Some("cursor"));
    }

    #[test]
    fn a_sale_whose_connection_broke_may_have_gone_through_but_a_refused_one_sold_nothing() {
        use std::io::{Error, ErrorKind};
        let io = |kind| redis::RedisError::from(Error::new(kind, "test"));
        let order = Unsettled::Order {
            hold_id: "Event1.0190a0a0-0000-7000-8000-000000000000".into(),
            order_id: uuid::Uuid::nil(),
        };

        let refused = ApiError::redis_selling(io(ErrorKind::ConnectionRefused), order.clone(), "x");
        assert_eq!((refused.status().as_u16(), refused.code()), (503, "unavailable"));
        assert!(refused.to_string().contains("nothing was sold"), "{refused}");

        for kind in [
            ErrorKind::BrokenPipe,
            ErrorKind::ConnectionReset,
            ErrorKind::UnexpectedEof,
        ] {
            let broken = ApiError::redis_selling(io(kind), order.clone(), "x");
            assert_eq!(
                (broken.status().as_u16(), broken.code()),
                (503, "outcome_unknown"),
                "{kind:?}"
            );
        }
        let broken = ApiError::redis_selling(io(ErrorKind::BrokenPipe), order, "x");
        let body = body_of(&broken);
        assert_eq!(body["holdId"], "Event1.0190a0a0-0000-7000-8000-000000000000");
        assert_eq!(body["orderId"], uuid::Uuid::nil().to_string());
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("retry it with the same card"),
            "{body}"
        );

        let ticket = ApiError::redis_selling(
            io(ErrorKind::ConnectionReset),
            Unsettled::Ticket(uuid::Uuid::nil()),
            "x",
        );
        let body = body_of(&ticket);
        assert_eq!(body["ticketId"], uuid::Uuid::nil().to_string());
    }

    fn body_of(error: &ApiError) -> serde_json::Value {
        serde_json::from_str(&error.answer().body).unwrap()
    }

    #[test]
    fn header_names_are_written_as_http_writes_them() {
        assert_eq!(header_name("idempotency-key"), "Idempotency-Key");
        assert_eq!(header_name("authorization"), "Authorization");
    }

    const ROUTES: &[(&str, &str)] = &[
        ("POST", "/api/v1/tickets"),
        ("GET", "/api/v1/tickets"),
        ("GET", "/api/v1/tickets/{ticketId}"),
        ("GET", "/api/v1/tickets/count/{eventId}"),
        ("GET", "/api/v1/holds/{holdId}"),
        ("DELETE", "/api/v1/holds/{holdId}"),
    ];

    #[test]
    fn the_allowed_methods_are_those_of_every_template_the_path_matches() {
        assert_eq!(allowed_methods(ROUTES, "/api/v1/tickets"), ["POST", "GET"]);
        assert_eq!(allowed_methods(ROUTES, "/api/v1/holds/Event1.x"), ["GET", "DELETE"]);
        assert_eq!(allowed_methods(ROUTES, "/api/v1/tickets/count/Event1"), ["GET"]);
        assert!(allowed_methods(ROUTES, "/api/v1/tickets/count/Event1/x").is_empty());
        assert!(allowed_methods(ROUTES, "/api/v1/holds/").is_empty());
        assert!(allowed_methods(ROUTES, "/api/v1/nothing").is_empty());
    }

    #[test]
    fn a_method_a_routed_path_does_not_take_is_a_405_naming_those_it_takes() {
        let response = not_allowed(ROUTES, "TRACE", "/api/v1/holds/Event1.x").unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, DELETE");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");

        // A method the path takes, or a path no route has: another answer stands.
        assert!(not_allowed(ROUTES, "GET", "/api/v1/tickets").is_none());
        assert!(not_allowed(ROUTES, "TRACE", "/api/v1/nothing").is_none());
    }

    #[test]
    fn a_bad_statement_is_a_bug_and_a_lost_server_is_an_outage() {
        let server = |code| {
            mysql_async::Error::Server(mysql_async::ServerError {
                code,
                message: String::new(),
                state: String::new(),
            })
        };
        assert!(!mysql_unavailable(&server(1064)), "syntax error");
        assert!(!mysql_unavailable(&server(1146)), "no such table");
        assert!(mysql_unavailable(&server(1040)), "too many connections");
        assert!(mysql_unavailable(&server(2013)), "lost connection");
    }
}
