//! The outbox relay: no ticket event is lost when the broker or the relay fails.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use api::relay::{Cursor, LinkHealth, Relay};
use domain::catalog::row;
use serde_json::Value;
use testkit::{seat, Dependency, Message, Mode, TestApp, TestEnv};

/// Buys seats number `seats` (row-major, 24 to a row) of Theatre3 zone 1 for Event5; returns
/// the tickets.
async fn buy(app: &TestApp, seats: std::ops::RangeInclusive<u32>) -> Vec<Value> {
    let mut tickets = Vec::new();
    for n in seats {
        let row = row::label((n - 1) / 24 + 1);
        let (status, ticket) = app
            .purchase(&seat("Theatre3", "Event5", 1, &row, (n - 1) % 24 + 1))
            .await;
        assert_eq!(status, 201, "{ticket}");
        tickets.push(ticket);
    }
    tickets
}

fn ids(tickets: &[Value]) -> HashSet<String> {
    tickets
        .iter()
        .map(|t| t["ticketId"].as_str().unwrap().to_owned())
        .collect()
}

/// Every event delivered is one of `tickets`, in a message named by the tickets it carries;
/// returns how often each ticket was delivered.
fn deliveries(messages: &[Message], tickets: &[Value]) -> HashMap<String, usize> {
    let by_id: HashMap<_, _> = tickets
        .iter()
        .map(|t| (t["ticketId"].as_str().unwrap().to_owned(), t))
        .collect();
    let mut count = HashMap::new();
    for message in messages {
        let id = message.body["ticketId"].as_str().unwrap().to_owned();
        assert_eq!(
            message.message_id.as_deref(),
            Some(infra::contract::batch_message_id(message.batch.iter().map(String::as_str)).as_str()),
            "the message id is derived from its tickets"
        );
        assert_eq!(message.kind.as_deref(), Some("ticket.created"));
        let mut expected = (*by_id.get(&id).unwrap_or_else(|| panic!("unknown ticket {id}"))).clone();
        expected["v"] = infra::contract::SCHEMA_VERSION.into();
        assert_eq!(message.body, expected);
        *count.entry(id).or_default() += 1;
    }
    count
}

#[tokio::test]
async fn events_sold_while_the_broker_is_down_are_all_delivered_once_it_is_back() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Rabbitmq, false).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;

    // Down from the start: purchases go on, events wait in the outbox.
    let first = buy(&app, 1..=30).await;
    let (status, ready) = app.get("/api/v1/ready").await;
    assert_eq!(status, 503);
    assert_eq!(ready["rabbitmq"]["status"], "down");
    assert_eq!(env.outbox("Event5").await.0, 30, "all waiting in the outbox");

    proxy.set_up(true);
    let messages = env.drain(&env.mysql_queue(), 30, Duration::from_secs(20)).await;
    let delivered = deliveries(&messages, &first);
    assert_eq!(delivered.len(), 30, "every ticket delivered");
    assert!(delivered.values().all(|n| *n == 1), "each exactly once: {delivered:?}");

    // Down in the middle of a run: open connections are cut.
    proxy.set_up(false);
    let second = buy(&app, 31..=60).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.set_up(true);
    let messages = env.drain(&env.mysql_queue(), 30, Duration::from_secs(20)).await;
    let delivered = deliveries(&messages, &second);
    assert_eq!(
        delivered.keys().cloned().collect::<HashSet<_>>(),
        ids(&second),
        "none lost"
    );

    // Nothing left behind in Redis either.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.outbox("Event5").await, (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn a_relay_that_crashes_between_publish_and_ack_loses_nothing() {
    let env = TestEnv::new();
    env.declare_topology().await;

    // An api that only sells: the events wait in the outbox.
    let seller = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into())]).await;
    let tickets = buy(&seller, 1..=20).await;
    seller.stop().await;

    // A relay reads and publishes them, then dies before acknowledging.
    let settings = env.api_settings(&[("RELAY_CONSUMER", "crashed".into())]);
    let mut crashed = Relay::connect(
        &settings,
        vec!["Event5".to_owned()],
        LinkHealth::default(),
        LinkHealth::default(),
    )
    .await
    .unwrap();
    crashed.ensure_groups().await.unwrap();
    let (mut outbox, mut publisher) = crashed.into_parts();
    let batch = outbox.read(Cursor::New, 100, None).await.unwrap();
    assert_eq!(batch.len(), 20);
    publisher.publish(&api::relay::batch::messages(&batch)).await.unwrap();
    drop((outbox, publisher));
    assert_eq!(env.outbox("Event5").await, (20, 20), "published but still pending");

    // Another relay takes the abandoned entries over and publishes them again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let relayer = TestApp::spawn(
        &env,
        &[
            ("RELAY_CONSUMER", "survivor".into()),
            ("RELAY_CLAIM_IDLE_MS", "100".into()),
        ],
    )
    .await;
    let messages = env.drain(&env.mysql_queue(), 40, Duration::from_secs(20)).await;
    let delivered = deliveries(&messages, &tickets);
    assert_eq!(
        delivered.keys().cloned().collect::<HashSet<_>>(),
        ids(&tickets),
        "none lost"
    );
    assert!(
        delivered.values().all(|n| *n == 2),
        "the duplicate is the same message: {delivered:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.outbox("Event5").await, (0, 0), "acknowledged and trimmed");
    relayer.stop().await;
}

#[tokio::test]
async fn shutdown_delivers_what_is_in_flight_within_the_grace_period() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Rabbitmq, false).await;
    let app = TestApp::spawn(&env, &[through_proxy, ("API_SHUTDOWN_GRACE_SECS", "10".into())]).await;
    let tickets = buy(&app, 1..=10).await;

    // Shutdown is asked for while the broker is away: the relay's batch is stuck in retries.
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !stopping.is_finished(),
        "the api waits for its outbox instead of leaving it behind"
    );
    assert_eq!(env.outbox("Event5").await.0, 10);
    proxy.set_up(true);
    stopping.await.unwrap();

    let messages = env.drain(&env.mysql_queue(), 10, Duration::from_secs(10)).await;
    assert_eq!(deliveries(&messages, &tickets).len(), 10);
    assert_eq!(
        env.outbox("Event5").await,
        (0, 0),
        "delivered and trimmed before the process ended"
    );
}

#[tokio::test]
async fn a_broker_that_takes_connections_but_never_answers_delays_delivery_only() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Rabbitmq, true).await;
    proxy.set_mode(Mode::Stall);
    let app = TestApp::spawn(&env, &[through_proxy, ("AMQP_TIMEOUT_MS", "1000".into())]).await;
    let tickets = buy(&app, 1..=5).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(env.outbox("Event5").await.0, 5, "waiting in the outbox");

    proxy.set_mode(Mode::Forward);
    let messages = env.drain(&env.mysql_queue(), 5, Duration::from_secs(20)).await;
    assert_eq!(
        deliveries(&messages, &tickets).keys().cloned().collect::<HashSet<_>>(),
        ids(&tickets),
        "delivered once the relay gave up on the silent connection"
    );
    app.stop().await;
}
