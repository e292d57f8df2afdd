//! `/metrics` of a consumers process of its own (a recorder of its own, so the counts are
//! exact).

use std::time::Duration;

use testkit::{eventually, free_port, sample, scrape, Program, TestEnv};

use crate::tickets;

#[tokio::test]
async fn stored_and_refused_tickets_and_queue_depths_are_counted_per_store() {
    let mut env = TestEnv::new();
    env.declare_topology().await;
    let address = format!("127.0.0.1:{}", free_port());
    env.set("CONSUMER_METRICS_BIND", address.clone());
    let log = std::env::temp_dir().join(format!("ticketing-consumer-metrics-{}.log", env.id));
    let _consumers = Program::start("consumers", &["all"], env.vars(), log.clone());
    env.publish_tickets(&tickets(3)).await;
    env.publish_raw(b"{not json", "poison-1").await;

    let url = format!("http://{address}/metrics");
    let page = eventually("every message counted", Duration::from_secs(30), || async {
        let page = scrape(&url).await?;
        let counted = |store| {
            sample(
                &page,
                "consumer_tickets_total",
                &[("store", store), ("outcome", "stored")],
            ) == Some(3.0)
                && sample(
                    &page,
                    "consumer_tickets_total",
                    &[("store", store), ("outcome", "refused")],
                ) == Some(1.0)
        };
        let depths_read = sample(&page, "queue_messages", &[("store", "mysql"), ("queue", "dlq")]).is_some();
        (counted("mysql") && counted("dynamodb") && depths_read).then_some(page)
    })
    .await;
    assert!(page.contains("consumer_batch_duration_seconds_bucket{"), "{page}");
    assert!(sample(&page, "consumer_batch_duration_seconds_count", &[("store", "dynamodb")]).unwrap() >= 1.0);
    // The poison message waits in each DLQ; the gauge is sampled every 5 s.
    let page = eventually("the DLQ depths sampled", Duration::from_secs(15), || async {
        let page = scrape(&url).await?;
        let dlq = |store| sample(&page, "queue_messages", &[("store", store), ("queue", "dlq")]);
        (dlq("mysql") == Some(1.0) && dlq("dynamodb") == Some(1.0)).then_some(page)
    })
    .await;
    assert_eq!(
        sample(&page, "queue_messages", &[("store", "mysql"), ("queue", "work")]),
        Some(0.0)
    );
    std::fs::remove_file(log).ok();
}
