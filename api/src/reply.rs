//! An answer before it is a response: status, JSON body and the headers that matter, so that
//! an answer can be remembered (idempotency keys) and given again byte for byte.

use serde::{Deserialize, Serialize};
use warp::http::{header, HeaderName, HeaderValue, StatusCode};
use warp::reply::Response;

/// A JSON answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The JSON body; empty for a 204.
    pub body: String,
    /// Headers besides `Content-Type`: `Location`, `Retry-After`, `WWW-Authenticate`.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// `body` as JSON with `status`.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Self {
        Self {
            status: status.as_u16(),
            body: serde_json::to_string(body).unwrap_or_else(|_| "null".into()),
            headers: Vec::new(),
        }
    }

    /// A JSON text already serialized, with `status`.
    pub fn raw(status: StatusCode, body: String) -> Self {
        Self {
            status: status.as_u16(),
            body,
            headers: Vec::new(),
        }
    }

    /// No body.
    pub fn empty(status: StatusCode) -> Self {
        Self::raw(status, String::new())
    }

    /// With header `name: value`.
    pub fn with(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name.as_str().to_owned(), value.into()));
        self
    }

    /// The HTTP response.
    pub fn response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let has_body = !self.body.is_empty();
        let mut response = Response::new(self.body.into());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if has_body {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                headers.insert(name, value);
            }
        }
        response
    }
}
