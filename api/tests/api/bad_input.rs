//! Every bad request gets a 4xx with a JSON `{code, message}` naming the field at fault;
//! none gets a 5xx, and the server keeps serving.

use serde_json::{json, Value};

use testkit::{seat, TestApp, TestEnv};

struct Case {
    name: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn case(name: &'static str, body: Value, status: u16, code: &'static str, field: Option<&'static str>) -> Case {
    Case {
        name,
        body: serde_json::to_vec(&body).unwrap(),
        content_type: Some("application/json"),
        status,
        code,
        field,
    }
}

fn raw(name: &'static str, body: &[u8], content_type: Option<&'static str>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        body: body.to_vec(),
        content_type,
        status,
        code,
        field: None,
    }
}

/// A valid request with `field` replaced by `value` (or removed, for `None`).
fn with(field: &str, value: Option<Value>) -> Value {
    let mut body = seat("Venue1", "Event1", 1, "A", 1);
    match value {
        Some(value) => body[field] = value,
        None => {
            body.as_object_mut().unwrap().remove(field);
        }
    }
    body
}

fn cases() -> Vec<Case> {
    let invalid = |name, field: &'static str, value: Value| {
        case(name, with(field, Some(value)), 400, "invalid_field", Some(field))
    };
    let missing = |name, field: &'static str| case(name, with(field, None), 400, "missing_field", Some(field));
    let unknown = |name, body: Value, code, field| case(name, body, 422, code, Some(field));
    vec![
        raw(
            "truncated JSON",
            b"{\"venueId\": \"Venue1\"",
            Some("application/json"),
            400,
            "malformed_json",
        ),
        raw("empty body", b"", Some("application/json"), 400, "malformed_json"),
        raw(
            "not UTF-8",
            b"\xff\xfe{}",
            Some("application/json"),
            400,
            "malformed_json",
        ),
        raw(
            "trailing garbage",
            b"{} x",
            Some("application/json"),
            400,
            "malformed_json",
        ),
        case("null body", Value::Null, 400, "invalid_body", None),
        case("array body", json!([1, 2]), 400, "invalid_body", None),
        case("string body", json!("Venue1"), 400, "invalid_body", None),
        case("empty object", json!({}), 400, "missing_field", Some("venueId")),
        missing("no venueId", "venueId"),
        missing("no eventId", "eventId"),
        missing("no zoneId", "zoneId"),
        missing("no row", "row"),
        missing("no column", "column"),
        case(
            "null eventId",
            with("eventId", Some(Value::Null)),
            400,
            "missing_field",
            Some("eventId"),
        ),
        invalid("numeric venueId", "venueId", json!(1)),
        invalid("empty venueId", "venueId", json!("")),
        invalid("oversized venueId", "venueId", json!("V".repeat(65))),
        invalid("venueId with spaces", "venueId", json!("Venue 1")),
        invalid("venueId with a hash tag", "venueId", json!("{Venue1}")),
        invalid("array eventId", "eventId", json!(["Event1"])),
        invalid("zoneId as string", "zoneId", json!("1")),
        invalid("zero zoneId", "zoneId", json!(0)),
        invalid("negative zoneId", "zoneId", json!(-1)),
        invalid("fractional zoneId", "zoneId", json!(1.5)),
        invalid("zoneId beyond u32", "zoneId", json!(1u64 << 40)),
        invalid("empty row", "row", json!("")),
        invalid("row with a digit", "row", json!("A1")),
        invalid("zero row", "row", json!(0)),
        invalid("boolean row", "row", json!(true)),
        invalid("four-letter row", "row", json!("AAAA")),
        invalid("letters as column", "column", json!("abc")),
        invalid("zero column", "column", json!(0)),
        invalid("object column", "column", json!({"n": 1})),
        invalid("column beyond u32", "column", json!("99999999999")),
        invalid("negative column string", "column", json!("-3")),
        unknown(
            "unknown venue",
            seat("Nowhere", "Event1", 1, "A", 1),
            "unknown_venue",
            "venueId",
        ),
        unknown(
            "unknown event",
            seat("Venue1", "Event999", 1, "A", 1),
            "unknown_event",
            "eventId",
        ),
        unknown(
            "event at another venue",
            seat("Arena2", "Event1", 1, "A", 1),
            "event_not_at_venue",
            "eventId",
        ),
        unknown(
            "unknown zone",
            seat("Venue1", "Event1", 101, "A", 1),
            "unknown_zone",
            "zoneId",
        ),
        unknown(
            "row past the zone",
            seat("Venue1", "Event1", 1, "AA", 1),
            "seat_out_of_range",
            "row",
        ),
        unknown(
            "column past the zone",
            seat("Venue1", "Event1", 1, "A", 31),
            "seat_out_of_range",
            "column",
        ),
        raw(
            "body over the limit",
            &[b' '; 8192],
            Some("application/json"),
            413,
            "payload_too_large",
        ),
        raw("text/plain", b"{}", Some("text/plain"), 415, "unsupported_media_type"),
        raw(
            "form encoded",
            b"venueId=Venue1",
            Some("application/x-www-form-urlencoded"),
            415,
            "unsupported_media_type",
        ),
        raw("no content type", b"{}", None, 415, "unsupported_media_type"),
    ]
}

#[tokio::test]
async fn every_bad_purchase_request_gets_a_4xx_json_error_naming_the_fault() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let cases = cases();
    assert!(cases.len() >= 30);

    let mut failures = Vec::new();
    for case in &cases {
        let (status, body) = app.post_raw(case.body.clone(), case.content_type).await;
        let field = body.get("field").and_then(Value::as_str);
        let message = body["message"].as_str().unwrap_or_default();
        let field_named = case.field.is_none_or(|f| message.contains(f));
        if (status, body["code"].as_str(), field) != (case.status, Some(case.code), case.field) || !field_named {
            failures.push(format!("{}: got {status} {body}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // And the server is still serving.
    let (status, body) = app.purchase(&seat("Venue1", "Event1", 1, "A", 1)).await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;

    let (status, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    let response = app
        .client
        .put(format!("{}/api/v1/tickets", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST, GET");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    app.stop().await;
}

/// Sends `head` and then `body` on one connection, writing all of it before reading, and
/// returns what the server answered.
async fn write_all_then_read(address: &str, head: String, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(body)
        .await
        .expect("the server takes the whole body before it answers");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("the answer arrives, not a reset connection");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_writes_a_whole_oversized_body_before_reading_gets_the_413() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    // More than the loopback socket buffers hold: a server that answered and closed without
    // reading it would break this client's write (EPIPE) before it ever read the 413.
    let body = vec![b' '; 6 << 20];
    let head = |framing: String| {
        format!(
            "POST /api/v1/tickets HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Connection: close\r\n{framing}\r\n\r\n"
        )
    };

    // Declared too large, and streamed too large: both read to the end, then refused.
    let declared = write_all_then_read(&address, head(format!("Content-Length: {}", body.len())), &body).await;
    let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
    chunked.extend_from_slice(&body);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let streamed = write_all_then_read(&address, head("Transfer-Encoding: chunked".into()), &chunked).await;
    for answer in [declared, streamed] {
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{}",
            &answer[..answer.len().min(200)]
        );
        assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");
    }

    // A client that waits for `100 Continue` is refused at once and never sends the body.
    let expecting = head(format!("Content-Length: {}\r\nExpect: 100-continue", body.len()));
    let answer = write_all_then_read(&address, expecting, b"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let (status, _) = app.purchase(&seat("Venue1", "Event1", 1, "A", 2)).await;
    assert_eq!(status, 201, "the server still serves");
    app.stop().await;
}

#[tokio::test]
async fn a_header_that_is_not_visible_ascii_is_a_400_naming_the_header() {
    use reqwest::header::HeaderValue;
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    // Bytes HTTP allows in a header (obs-text) but no string the api can read.
    let unreadable = HeaderValue::from_bytes(b"k\xe9y").unwrap();
    for name in ["Idempotency-Key", "Authorization"] {
        let response = app
            .client
            .post(format!("{}/api/v1/tickets", app.address))
            .header(name, unreadable.clone())
            .json(&seat("Venue1", "Event1", 1, "A", 3))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (400, Some("invalid_header"), Some(name)),
            "{body}"
        );
        assert!(body["message"].as_str().unwrap().contains(name), "{body}");
    }
    app.stop().await;
}
