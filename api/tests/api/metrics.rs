//! `/metrics` of an api process of its own (a recorder of its own, so the counts are exact).

use std::time::Duration;

use serde_json::json;
use testkit::{eventually, free_port, sample, scrape, seat, Program, TestEnv};

#[tokio::test]
async fn the_counters_move_with_each_purchase() {
    let mut env = TestEnv::new();
    env.declare_topology().await;
    let address = format!("127.0.0.1:{}", free_port());
    env.set("API_BIND", address.clone());
    let log = std::env::temp_dir().join(format!("ticketing-metrics-{}.log", env.id));
    let mut api = Program::start("api", &[], env.vars(), log.clone());
    let base = format!("http://{address}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Some(status) = api.exited() {
            panic!("the api exited with {status}:\n{}", api.log_tail(20));
        }
        match client.get(format!("{base}/api/v1/ready")).send().await {
            Ok(ready) if ready.status() == 200 => break,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let metrics = format!("{base}/metrics");
    let purchases = |page: &str, outcome| sample(page, "purchases_total", &[("outcome", outcome)]).unwrap_or(0.0);
    let route = |status| [("method", "POST"), ("route", "/api/v1/tickets"), ("status", status)];
    let before = scrape(&metrics).await.unwrap();
    assert_eq!(purchases(&before, "sold"), 0.0);

    let buy = |body: serde_json::Value| {
        let client = client.clone();
        let url = format!("{base}/api/v1/tickets");
        async move { client.post(url).json(&body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(buy(seat("Venue1", "Event1", 1, "A", 1)).await, 201);
    assert_eq!(buy(seat("Venue1", "Event1", 1, "A", 1)).await, 409);
    assert_eq!(buy(json!({"venueId": "Venue1"})).await, 400);

    let after = scrape(&metrics).await.unwrap();
    assert_eq!(purchases(&after, "sold"), 1.0, "{after}");
    assert_eq!(purchases(&after, "taken"), 1.0);
    assert_eq!(purchases(&after, "rejected"), 1.0);
    assert_eq!(sample(&after, "http_requests_total", &route("2xx")), Some(1.0));
    assert_eq!(sample(&after, "http_requests_total", &route("4xx")), Some(2.0));
    assert_eq!(
        sample(&after, "http_request_duration_seconds_count", &route("2xx")),
        Some(1.0)
    );
    // Explicit buckets, not a summary.
    assert!(after.contains("http_request_duration_seconds_bucket{"), "{after}");
    assert!(!after.contains("quantile="));
    // Route templates, never ids.
    assert!(!after.contains("Event1/"), "{after}");

    // The relay published the sale: one message of one ticket; the outbox is empty again
    // (the relay counts the publish once confirmed, then deletes the entry).
    let relayed = eventually(
        "the relay's publish counted, the outbox empty",
        Duration::from_secs(20),
        || async {
            let page = scrape(&metrics).await?;
            let published = sample(&page, "relay_batch_tickets_count", &[]) == Some(1.0);
            let emptied = sample(&page, "outbox_entries", &[("event", "Event1")]) == Some(0.0);
            (published && emptied).then_some(page)
        },
    )
    .await;
    assert_eq!(sample(&relayed, "relay_batch_tickets_sum", &[]), Some(1.0));
    assert_eq!(sample(&relayed, "relay_publish_duration_seconds_count", &[]), Some(1.0));
    api.kill();
    std::fs::remove_file(log).ok();
}
