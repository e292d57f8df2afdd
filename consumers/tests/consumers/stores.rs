//! Every sold ticket reaches both stores exactly once.

use std::collections::HashMap;
use std::time::Duration;

use consumers::startup::Which;
use futures_util::{stream, StreamExt};
use serde_json::Value;
use testkit::{eventually, seat, TestApp, TestConsumers, TestEnv};

use crate::tickets;

#[tokio::test]
async fn purchases_through_the_api_reach_mysql_and_dynamodb_field_by_field() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    // 300 seats of Arena2 zone 2 (20 rows x 40), bought concurrently.
    let sold: Vec<Value> = stream::iter(0..300u32)
        .map(|i| {
            let app = &app;
            async move {
                let row = domain::catalog::row::label(i / 40 + 1);
                let (status, ticket) = app.purchase(&seat("Arena2", "Event3", 2, &row, i % 40 + 1)).await;
                assert_eq!(status, 201, "{ticket}");
                ticket
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;

    let rows = eventually("300 rows in MySQL", Duration::from_secs(30), || async {
        Some(env.sql_tickets().await).filter(|rows| rows.len() >= 300)
    })
    .await;
    let items = eventually("300 items in DynamoDB", Duration::from_secs(30), || async {
        Some(env.dynamo_tickets().await).filter(|items| items.len() >= 300)
    })
    .await;

    let by_id: HashMap<&str, &Value> = sold.iter().map(|t| (t["ticketId"].as_str().unwrap(), t)).collect();
    assert_eq!(rows.len(), 300);
    for row in &rows {
        assert_eq!(
            row,
            by_id[row["ticketId"].as_str().unwrap()],
            "MySQL row equals the 201 body"
        );
    }
    assert_eq!(items.len(), 300);
    for (id, item) in &items {
        let mut expected = (*by_id[id.as_str()]).clone();
        expected["status"] = "CREATED".into();
        assert_eq!(item, &expected, "DynamoDB item equals the 201 body");
    }
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn the_same_message_delivered_twice_is_stored_once() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let ticket = tickets(1).remove(0);
    env.publish_tickets(&[ticket.clone(), ticket.clone()]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    eventually("both queues drained", Duration::from_secs(20), || async {
        let drained =
            env.queue_depth(&env.mysql_queue()).await == 0 && env.queue_depth(&env.dynamodb_queue()).await == 0;
        drained.then_some(())
    })
    .await;
    consumers.stop().await; // acknowledged only after commit: stopped means all committed

    let rows = env.sql_tickets().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["ticketId"], ticket.ticket_id.to_string());
    assert_eq!(env.dynamo_tickets().await.len(), 1);
    assert_eq!(
        env.queue_depth(&format!("{}.dlq", env.mysql_queue())).await,
        0,
        "a redelivery is not a conflict"
    );
}

#[tokio::test]
async fn a_consumer_killed_mid_batch_and_restarted_loses_and_doubles_nothing() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let all = tickets(5000);
    env.publish_tickets(&all).await;
    let small_batches = [
        ("CONSUMER_BATCH_SIZE", "20".to_owned()),
        ("CONSUMER_CONCURRENCY", "1".to_owned()),
    ];

    let consumers = TestConsumers::spawn(&env, Which::Mysql, &small_batches);
    let stored_before_kill = eventually("the first rows", Duration::from_secs(20), || async {
        Some(env.sql_tickets().await.len()).filter(|n| *n >= 100)
    })
    .await;
    consumers.kill();
    assert!(
        stored_before_kill < 5000,
        "killed before the end ({stored_before_kill} stored)"
    );

    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);
    eventually("5000 rows", Duration::from_secs(60), || async {
        Some(env.sql_tickets().await).filter(|rows| rows.len() >= 5000)
    })
    .await;
    eventually("the queue drained", Duration::from_secs(20), || async {
        (env.queue_depth(&env.mysql_queue()).await == 0).then_some(())
    })
    .await;
    consumers.stop().await;
    let rows = env.sql_tickets().await;
    assert_eq!(rows.len(), 5000, "nothing lost, nothing doubled");
    let mut ids: Vec<_> = rows
        .iter()
        .map(|r| r["ticketId"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<_> = all.iter().map(|t| t.ticket_id.to_string()).collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
}
