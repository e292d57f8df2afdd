//! The web pages (`web/`), embedded in the binary at compile time so the api serves them
//! itself: no second server, and the api's image carries them.
//!
//! - `/assets/*`: the hashed files of the build, `Cache-Control: immutable` for a year.
//! - The page addresses ([`PAGES`]): `index.html`, revalidated on every load (`no-cache`
//!   with an `ETag`); the front end draws the page of the address. Any other address that
//!   is not under `/api/` gets `index.html` with a 404, which draws "Page not found".
//! - Every file is sent as the Brotli or gzip copy the build made beside it when the client
//!   accepts one (`Vary: Accept-Encoding`), never compressed per request.
//! - A strict `Content-Security-Policy`: scripts, styles and connections from this origin
//!   only, no inline script, no framing.

use std::borrow::Cow;

use bytes::Bytes;
use rust_embed::Embed;
use warp::http::header::{self, HeaderValue};
use warp::http::StatusCode;
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// The build output of `web/` (see `build.rs`).
#[derive(Embed)]
#[folder = "$WEB_DIST"]
struct Dist;

/// The addresses of the pages, as the front end's router knows them (`web/src/main.ts`);
/// `{eventId}` stands for an id of the catalog's syntax.
pub const PAGES: &[&str] = &[
    "/",
    "/events/{eventId}",
    "/signin",
    "/register",
    "/me/tickets",
    "/admin",
];

/// The policy every page is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The pages and their files, for `GET` outside `/api/`.
pub fn routes() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::get()
        .and(warp::path::full())
        .and(warp::header::optional::<String>("accept-encoding"))
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(
            |path: FullPath, accept: Option<String>, etag: Option<String>| async move {
                let path = path.as_str();
                if path == "/api" || path.starts_with("/api/") {
                    return Err(warp::reject::not_found());
                }
                Ok::<_, Rejection>(serve(path, accept.as_deref().unwrap_or(""), etag.as_deref()))
            },
        )
}

/// The answer to `GET path`.
fn serve(path: &str, accept: &str, if_none_match: Option<&str>) -> Response {
    let name = path.trim_start_matches('/');
    // index.html only under its page addresses, so it is never cached as a file.
    if !name.is_empty() && name != "index.html" {
        if let Some(file) = Dist::get(name) {
            let cache = if name.starts_with("assets/") {
                IMMUTABLE
            } else {
                "public, max-age=3600"
            };
            return file_response(name, file, accept, if_none_match, cache, StatusCode::OK);
        }
    }
    let status = if is_page(path) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    match Dist::get("index.html") {
        Some(index) => {
            let mut response = file_response("index.html", index, accept, if_none_match, "no-cache", status);
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            response
                .headers_mut()
                .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
                .headers_mut()
                .insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
            response
        }
        None => crate::error::ApiError::NotFound("the pages are not built".into()).response(),
    }
}

/// Whether `path` is the address of a page.
pub fn is_page(path: &str) -> bool {
    PAGES.iter().any(|page| match page.split_once("{eventId}") {
        Some((prefix, "")) => path.strip_prefix(prefix).is_some_and(domain::catalog::is_valid_id),
        _ => path == *page,
    })
}

/// `file` (or its `.br` / `.gz` copy, as `accept` allows) with its type and `cache`.
fn file_response(
    name: &str,
    file: rust_embed::EmbeddedFile,
    accept: &str,
    if_none_match: Option<&str>,
    cache: &'static str,
    status: StatusCode,
) -> Response {
    // Weak: the Brotli, gzip and plain bodies are the same file.
    let hash = file.metadata.sha256_hash();
    let etag = format!("W/\"{}\"", hex(&hash[..12]));
    let not_modified = status == StatusCode::OK
        && if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (body, encoding) = if not_modified {
        (Bytes::new(), None)
    } else {
        compressed(name, accept).unwrap_or_else(|| (bytes_of(file.data), None))
    };
    let mut response = Response::new(body.into());
    *response.status_mut() = if not_modified { StatusCode::NOT_MODIFIED } else { status };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(etag) = HeaderValue::try_from(etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// The build's Brotli or gzip copy of `name`, the first that `accept` allows.
fn compressed(name: &str, accept: &str) -> Option<(Bytes, Option<&'static str>)> {
    [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(accept, coding))
        .find_map(|(coding, suffix)| Dist::get(&format!("{name}{suffix}")).map(|f| (bytes_of(f.data), Some(coding))))
}

/// Whether an `Accept-Encoding` value allows `coding` (named with a q above zero).
fn accepts(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        name.eq_ignore_ascii_case(coding) && q > 0.0
    })
}

fn bytes_of(data: Cow<'static, [u8]>) -> Bytes {
    match data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::{accepts, is_page};

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("GZIP", "gzip"));
        assert!(!accepts("gzip;q=0, br", "gzip"));
        assert!(accepts("gzip;q=0.5", "gzip"));
        assert!(!accepts("identity", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn page_addresses_are_the_routers() {
        for page in [
            "/",
            "/events/Event1",
            "/events/a-b_9",
            "/signin",
            "/register",
            "/me/tickets",
            "/admin",
        ] {
            assert!(is_page(page), "{page}");
        }
        for other in [
            "/events/",
            "/events/a/b",
            "/events/a.b",
            "/admin/x",
            "/me",
            "/index.html",
            "/nope",
        ] {
            assert!(!is_page(other), "{other}");
        }
    }
}
