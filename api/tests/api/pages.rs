//! The web pages the api serves from `web/dist` (built by `scripts/test.sh` before the Rust
//! tests): page addresses answer `index.html` under a strict policy and revalidation; hashed
//! assets are immutable and sent as the compressed copy the client accepts; the API's own
//! addresses keep their JSON errors.

use reqwest::header::{HeaderMap, ACCEPT_ENCODING, IF_NONE_MATCH};
use testkit::{TestApp, TestEnv};

async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> (u16, HeaderMap, Vec<u8>) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The script index.html loads: `/assets/index-<hash>.js`.
fn entry_script(index: &[u8]) -> String {
    let index = String::from_utf8_lossy(index);
    let start = index
        .find("src=\"/assets/")
        .expect("index.html loads a script from /assets/: is web/dist built? (cd web && npm ci && npm run build)")
        + "src=\"".len();
    let end = start + index[start..].find('"').unwrap();
    index[start..end].to_owned()
}

#[tokio::test]
async fn every_page_address_answers_the_app_under_a_strict_policy_and_revalidation() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    for path in [
        "/",
        "/events/Event1",
        "/signin",
        "/register",
        "/me/tickets",
        "/admin",
        "/?q=tour",
    ] {
        let (status, headers, body) = fetch(&app, path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        let policy = header(&headers, "content-security-policy");
        assert!(
            policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert!(String::from_utf8_lossy(&body).contains("<main id=\"main\""), "{path}");
    }
    let (_, headers, _) = fetch(&app, "/", &[]).await;
    let etag = header(&headers, "etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let (status, _, body) = fetch(&app, "/", &[(IF_NONE_MATCH, &etag)]).await;
    assert_eq!((status, body.len()), (304, 0), "unchanged: not sent again");

    let (status, headers, _) = fetch(&app, "/no/such/page", &[]).await;
    assert_eq!(
        status, 404,
        "any other address: the app, which says the page is not found"
    );
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    let (status, headers, body) = fetch(&app, "/api/v1/nothing-here", &[]).await;
    assert_eq!(status, 404);
    assert_eq!(header(&headers, "content-type"), "application/json");
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn assets_are_immutable_and_sent_compressed_as_the_client_accepts() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (_, _, index) = fetch(&app, "/", &[]).await;
    let script = entry_script(&index);

    let (status, headers, plain) = fetch(&app, &script, &[]).await;
    assert_eq!(status, 200, "{script}");
    assert_eq!(header(&headers, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&headers, "vary"), "Accept-Encoding");
    assert!(headers.get("content-encoding").is_none());
    let plain_text = String::from_utf8(plain.clone()).unwrap();
    assert!(!plain_text.contains("innerHTML"), "the pages never parse text as HTML");

    for (accept, coding) in [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip")] {
        let (status, headers, body) = fetch(&app, &script, &[(ACCEPT_ENCODING, accept)]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), coding, "{accept}");
        assert!(
            body.len() * 2 < plain.len(),
            "{coding}: {} of {} bytes",
            body.len(),
            plain.len()
        );
    }
    let (status, _, _) = fetch(&app, "/assets/index-00000000.js", &[]).await;
    assert_eq!(status, 404, "a missing asset is not the app");
    app.stop().await;
}
