//! The relay and the consumers on a three-node RabbitMQ cluster of the test's own (own node
//! names, ports and data directories): the node they are connected to dies with `kill -9`
//! during a burst of sales; they move on to another node of `AMQP_URL`, the quorum queues
//! (replicated over the three) keep what was confirmed, and every ticket arrives.

use std::collections::HashSet;
use std::time::Duration;

use consumers::startup::Which;
use domain::catalog::row;
use futures_util::{stream, StreamExt};
use serde_json::Value;
use testkit::{seat, PrivateRabbit, TestApp, TestConsumers, TestEnv};

/// Sells seats `range` of Hall5 / Event8 zone 1 (20 rows x 25 seats), 16 at a time; the
/// tickets sold.
async fn sell(app: &TestApp, range: std::ops::Range<u32>) -> Vec<Value> {
    stream::iter(range)
        .map(|i| async move {
            let (row, column) = (i / 25 + 1, i % 25 + 1);
            let (status, ticket) = app
                .purchase(&seat("Hall5", "Event8", 1, &row::label(row), column))
                .await;
            assert_eq!(status, 201, "{ticket}");
            ticket
        })
        .buffer_unordered(16)
        .collect()
        .await
}

#[tokio::test]
async fn relay_and_consumers_move_to_another_node_when_theirs_dies_and_every_ticket_arrives() {
    let (mut first, second, third) =
        tokio::join!(PrivateRabbit::start(), PrivateRabbit::start(), PrivateRabbit::start());
    second.join(&first);
    third.join(&first);
    let mut env = TestEnv::new();
    // Every program tries the nodes in this order: all connect to `first`.
    env.set("AMQP_URL", [first.url(), second.url(), third.url()].join(","));
    env.set("AMQP_TIMEOUT_MS", "3000".into());
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    let mut tickets = sell(&app, 0..150).await;
    // The programs are on the node about to die, so the kill tests their failover.
    let programs = [
        "ticketing-api-relay",
        "ticketing-consumer-mysql",
        "ticketing-consumer-dynamodb",
    ];
    let on_first = || {
        let connections = first.connections();
        programs.iter().all(|p| connections.iter().any(|c| c == p))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !on_first() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all of {programs:?} on the first node: it holds {:?}, the second {:?}, the third {:?}",
            first.connections(),
            second.connections(),
            third.connections()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (during, ()) = tokio::join!(sell(&app, 150..300), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        first.kill();
    });
    tickets.extend(during);
    tickets.extend(sell(&app, 300..500).await);

    let sold: HashSet<String> = tickets
        .iter()
        .map(|t| t["ticketId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sold.len(), 500);
    env.wait_stored_exactly(&sold, "every ticket in both stores", Duration::from_secs(90))
        .await;
    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        let dlq = format!("{queue}.dlq");
        assert_eq!(env.queue_depth(&dlq).await, 0, "{dlq}: dead-lettered by the failover");
    }

    app.stop().await;
    consumers.stop().await;
}
