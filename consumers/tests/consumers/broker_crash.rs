//! A broker process killed with `-9` and started again on its files, with the consumers caught
//! in each state a worker can be in: waiting for deliveries, filling a batch, waiting for the
//! store to commit, and acknowledging after the commit. Every time, both consumers must notice
//! the dead connection, reconnect, and store every ticket once.

use std::collections::HashSet;
use std::time::Duration;

use consumers::startup::Which;
use domain::Ticket;
use testkit::{Dependency, Mode, PrivateRabbit, TestConsumers, TestEnv};

use crate::tickets;

/// Waits until both stores hold exactly `expected` (and nothing else).
async fn stored(env: &TestEnv, expected: &[Ticket], what: &str) {
    let ids: HashSet<String> = expected.iter().map(|t| t.ticket_id.to_string()).collect();
    env.wait_stored_exactly(&ids, what, Duration::from_secs(60)).await;
}

#[tokio::test]
async fn consumers_reconnect_after_their_broker_is_killed_in_every_state_and_store_each_ticket_once() {
    let mut env = TestEnv::new();
    let mut broker = PrivateRabbit::start().await;
    env.set("AMQP_URL", broker.url());
    env.declare_topology().await;
    let (mysql, through_proxy) = env.proxy(Dependency::Mysql, true).await;
    // Batches that wait 1.5 s to fill, so that a test can catch a worker filling one.
    let settings = [
        through_proxy,
        ("CONSUMER_BATCH_SIZE", "100".to_owned()),
        ("CONSUMER_BATCH_WAIT_MS", "1500".to_owned()),
    ];
    let consumers = TestConsumers::spawn(&env, Which::All, &settings);
    let all = tickets(100);
    let mut sent = 0;
    let mut publish = |n: usize| {
        let batch = all[sent..sent + n].to_vec();
        sent += n;
        (batch, sent)
    };

    let (batch, upto) = publish(20);
    env.publish_tickets(&batch).await;
    stored(&env, &all[..upto], "the first tickets in both stores").await;

    // 1. Waiting for deliveries: nothing in flight.
    broker.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.restart().await;
    let (batch, upto) = publish(20);
    env.publish_tickets(&batch).await;
    stored(&env, &all[..upto], "tickets published after an idle broker's crash").await;

    // 2. Filling a batch: delivered, not yet written, not acknowledged.
    let (batch, upto) = publish(5);
    env.publish_tickets(&batch).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    broker.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.restart().await;
    stored(&env, &all[..upto], "a batch that was filling when the broker died").await;

    // 3. Waiting for a commit: MySQL is away, the SQL consumer retries its write.
    mysql.set_up(false);
    let (batch, upto) = publish(20);
    env.publish_tickets(&batch).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    broker.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.restart().await;
    mysql.set_up(true);
    stored(
        &env,
        &all[..upto],
        "a batch whose commit was pending when the broker died",
    )
    .await;

    // 4. Acknowledging: the store commits the moment the broker is gone, so the worker's next
    // step is an acknowledgement on a dead connection.
    mysql.set_up(false);
    let (batch, upto) = publish(20);
    env.publish_tickets(&batch).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    broker.kill();
    mysql.set_up(true);
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.restart().await;
    stored(&env, &all[..upto], "a batch committed after the broker died").await;

    consumers.stop().await;
    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        assert_eq!(env.queue_depth(&queue).await, 0, "{queue} drained");
        assert_eq!(
            env.queue_depth(&format!("{queue}.dlq")).await,
            0,
            "no crash dead-letters"
        );
    }
    assert_eq!(env.sql_tickets().await.len(), upto, "each ticket once in MySQL");
    assert_eq!(env.dynamo_tickets().await.len(), upto, "each ticket once in DynamoDB");
}

#[tokio::test]
async fn a_broker_that_takes_connections_but_never_answers_counts_as_down() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (broker, through_proxy) = env.proxy(Dependency::Rabbitmq, true).await;
    broker.set_mode(Mode::Stall);
    let settings = [through_proxy, ("AMQP_TIMEOUT_MS", "1000".to_owned())];
    let consumers = TestConsumers::spawn(&env, Which::All, &settings);
    let sold = tickets(10);
    env.publish_tickets(&sold).await;
    // Both consumers are stuck on their first connection, which will never answer.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(env.sql_tickets().await.is_empty());

    broker.set_mode(Mode::Forward);
    stored(
        &env,
        &sold,
        "the tickets, once the consumers gave up on the silent connection",
    )
    .await;
    consumers.stop().await;
}
