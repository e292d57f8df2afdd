//! `Idempotency-Key`: a repeat answers what the first request answered and sells nothing
//! more; another request under the same key, or one while the first runs, is refused.

use std::time::Duration;

use serde_json::{json, Value};
use testkit::{seat, Dependency, TestApp, TestEnv};

/// Posts `body` to `path` with `key` and, if given, `token`; the status, the body and the
/// `Retry-After` header.
async fn post(app: &TestApp, path: &str, body: &Value, key: &str, token: Option<&str>) -> (u16, Value, Option<String>) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .header("idempotency-key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), retry)
}

#[tokio::test]
async fn a_repeated_purchase_answers_the_first_ticket_and_sells_nothing_more() {
    let env = TestEnv::new();
    // No relay: the outbox keeps what was sold, so it can be counted.
    let app = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into())]).await;
    let (token, _) = app.new_buyer().await;
    let body = seat("Hall5", "Event8", 1, "H", 1);

    let (status, first, _) = post(&app, "/api/v1/tickets", &body, "buy-h1", Some(&token)).await;
    assert_eq!(status, 201, "{first}");
    let (status, again, _) = post(&app, "/api/v1/tickets", &body, "buy-h1", Some(&token)).await;
    assert_eq!((status, &again), (201, &first), "the same answer, byte for byte");
    assert_eq!(env.outbox("Event8").await.0, 1, "one ticket sold");

    let (status, reused, _) = post(
        &app,
        "/api/v1/tickets",
        &seat("Hall5", "Event8", 1, "H", 2),
        "buy-h1",
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (422, Some("idempotency_key_reused")),
        "{reused}"
    );
    assert_eq!(reused["field"], "Idempotency-Key");
    // Another caller's key of the same name is another key: without a token, a new request.
    let (status, other, _) = post(&app, "/api/v1/tickets", &body, "buy-h1", None).await;
    assert_eq!((status, other["code"].as_str()), (409, Some("seat_taken")), "{other}");

    let (status, bad, _) = post(&app, "/api/v1/tickets", &body, &"k".repeat(256), None).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("Idempotency-Key")), "{bad}");
    app.stop().await;
}

#[tokio::test]
async fn a_checkout_repeated_with_its_key_is_one_order_and_a_repeat_while_it_runs_is_409() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("PAYMENT_LATENCY_MS", "800".into())]).await;
    let (token, _) = app.new_buyer().await;
    let hold = json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{"zoneId": 1, "row": "J", "column": 1}]});
    let (status, held, _) = post(&app, "/api/v1/holds", &hold, "hold-j1", Some(&token)).await;
    assert_eq!(status, 201, "{held}");
    let (status, again, _) = post(&app, "/api/v1/holds", &hold, "hold-j1", Some(&token)).await;
    assert_eq!((status, &again), (201, &held), "the same hold, not hold_exists");

    let path = format!("/api/v1/holds/{}/checkout", held["holdId"].as_str().unwrap());
    // A 503 is forgotten: the key is free for the next attempt, even with another card.
    let outage = json!({"paymentToken": "tok_chargeDeclinedProcessingError"});
    let (status, _, _) = post(&app, &path, &outage, "pay-j1", Some(&token)).await;
    assert_eq!(status, 503);
    let card = json!({"paymentToken": "tok_visa"});
    let first = post(&app, &path, &card, "pay-j1", Some(&token));
    let early = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        post(&app, &path, &card, "pay-j1", Some(&token)).await
    };
    let ((status, order, _), (early_status, running, retry)) = tokio::join!(first, early);
    assert_eq!(status, 201, "{order}");
    assert_eq!(
        (early_status, running["code"].as_str()),
        (409, Some("request_in_progress")),
        "{running}"
    );
    assert_eq!(retry.as_deref(), Some("1"));
    let (status, repeat, _) = post(&app, &path, &card, "pay-j1", Some(&token)).await;
    assert_eq!((status, &repeat), (201, &order), "one order");
    assert_eq!(env.payments().await.len(), 1, "one charge");
    app.stop().await;
}

#[tokio::test]
async fn a_5xx_is_not_remembered_so_the_same_request_may_succeed_later() {
    let env = TestEnv::new();
    let (redis, through_proxy) = env.proxy(Dependency::Redis, true).await;
    let app = TestApp::spawn(&env, &[through_proxy, ("REDIS_TIMEOUT_MS", "300".into())]).await;
    let body = seat("Hall5", "Event8", 1, "K", 1);
    redis.set_up(false);
    let (status, _, _) = post(&app, "/api/v1/tickets", &body, "retry-me", None).await;
    assert_eq!(status, 503);
    redis.set_up(true);
    let mut sold = None;
    for _ in 0..50 {
        let (status, ticket, _) = post(&app, "/api/v1/tickets", &body, "retry-me", None).await;
        if status == 201 {
            sold = Some(ticket);
            break;
        }
        assert_eq!(status, 503, "{ticket}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sold.is_some(), "the repeat ran again once Redis was back");
    app.stop().await;
}
