//! The purchase path: exactly one buyer wins each seat, and each win is one event.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use domain::catalog::row;
use futures_util::{stream, StreamExt};
use redis::AsyncCommands;
use serde_json::Value;
use testkit::{eventually, seat, Dependency, TestApp, TestEnv};

#[tokio::test]
async fn a_purchase_answers_the_ticket_and_publishes_it_to_both_queues() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;

    let (status, ticket) = app.purchase(&seat("Venue1", "Event1", 42, "C", 7)).await;

    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["venueId"], "Venue1");
    assert_eq!(ticket["eventId"], "Event1");
    assert_eq!(ticket["zoneId"], 42);
    assert_eq!(ticket["row"], "C");
    assert_eq!(ticket["column"], 7);
    assert_eq!(ticket["price"], "65.50");
    let ticket_id = ticket["ticketId"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(ticket_id).unwrap().get_version_num(), 7);
    assert!(ticket["createdOn"].as_str().unwrap().ends_with('Z'));

    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        let messages = env.drain(&queue, 1, Duration::from_secs(10)).await;
        assert_eq!(messages.len(), 1, "{queue}: {messages:?}");
        let message = &messages[0];
        assert_eq!(message.message_id.as_deref(), Some(ticket_id));
        assert_eq!(message.kind.as_deref(), Some("ticket.created"));
        assert_eq!(message.content_type.as_deref(), Some("application/json"));
        assert!(message.persistent);
        let mut expected = ticket.clone();
        expected["v"] = infra::contract::SCHEMA_VERSION.into();
        assert_eq!(message.body, expected);
    }
    app.stop().await;
}

#[tokio::test]
async fn two_hundred_buyers_racing_for_one_seat_produce_one_ticket_and_one_event() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let body = seat("Venue1", "Event1", 1, "A", 1);

    let answers: Vec<(u16, Value)> = futures_util::future::join_all((0..200).map(|_| app.purchase(&body))).await;

    let winners: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    let conflicts = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b["code"] == "seat_taken")
        .count();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert_eq!(conflicts, 199);
    let messages = env.drain(&env.mysql_queue(), 1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body["ticketId"], winners[0].1["ticketId"]);
    app.stop().await;
}

#[tokio::test]
async fn ten_thousand_purchases_with_duplicates_sell_every_seat_exactly_once() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    // Hall5 zone 1: 20 rows x 25 seats = 500 seats, each requested 20 times in shuffled order.
    let mut requests: Vec<(u32, u32)> = (1..=20).flat_map(|r| (1..=25).map(move |c| (r, c))).collect();
    requests = requests.iter().cycle().take(10_000).copied().collect();
    shuffle(&mut requests, 0x5eed);

    let answers: Vec<((u32, u32), u16, Value)> = stream::iter(requests)
        .map(|(row, column)| {
            let app = &app;
            async move {
                let label = row::label(row);
                let (status, body) = app.purchase(&seat("Hall5", "Event8", 1, &label, column)).await;
                ((row, column), status, body)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let mut wins: HashMap<(u32, u32), Vec<&Value>> = HashMap::new();
    for (seat, status, body) in &answers {
        match status {
            201 => wins.entry(*seat).or_default().push(body),
            409 => assert_eq!(body["code"], "seat_taken"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(wins.len(), 500, "every seat sold");
    assert!(wins.values().all(|w| w.len() == 1), "no seat sold twice");
    assert_eq!(answers.iter().filter(|(_, s, _)| *s == 409).count(), 9_500);
    for ((row, column), tickets) in &wins {
        let ticket = tickets[0];
        assert_eq!(ticket["row"], row::label(*row));
        assert_eq!(ticket["column"], *column);
        assert_eq!(ticket["price"], "19.99");
    }

    let messages = env.drain(&env.mysql_queue(), 500, Duration::from_secs(30)).await;
    assert_eq!(messages.len(), 500, "exactly one event per ticket");
    let sold: HashMap<&str, &Value> = wins
        .values()
        .map(|t| (t[0]["ticketId"].as_str().unwrap(), t[0]))
        .collect();
    for message in &messages {
        let id = message.body["ticketId"].as_str().unwrap();
        let mut expected = (*sold.get(id).expect("a message for a sold ticket")).clone();
        expected["v"] = infra::contract::SCHEMA_VERSION.into();
        assert_eq!(message.body, expected);
    }
    let ids: HashSet<_> = messages.iter().map(|m| m.body["ticketId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 500);
    let carriers: HashSet<_> = messages.iter().map(|m| m.message_id.clone().unwrap()).collect();
    assert!(
        carriers.len() < 500,
        "the relay batches an event's outbox: {} messages for 500 tickets",
        carriers.len()
    );

    let mut redis = env.redis().await;
    let counts: HashMap<String, i64> = redis.hgetall(env.keys("Event8").counts()).await.unwrap();
    assert_eq!(counts.get("sold"), Some(&500));
    assert_eq!(counts.get("remaining:1"), Some(&0));
    app.stop().await;
}

#[tokio::test]
async fn purchases_answer_503_while_redis_is_down_and_succeed_once_it_is_back() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Redis, true).await;
    let app = TestApp::spawn(&env, &[through_proxy, ("REDIS_TIMEOUT_MS", "300".into())]).await;

    proxy.set_up(false);
    for column in 1..=3 {
        let (status, body) = app.purchase(&seat("Venue1", "Event1", 5, "B", column)).await;
        assert_eq!(status, 503, "{body}");
        // `outcome_unknown` where the cut broke the connection under the request.
        let code = body["code"].as_str().unwrap_or_default();
        assert!(["unavailable", "outcome_unknown"].contains(&code), "{body}");
    }
    let (status, ready) = app.get("/api/v1/ready").await;
    assert_eq!(status, 503);
    assert_eq!(ready["redis"]["status"], "down");

    proxy.set_up(true);
    let mut sold = None;
    for _ in 0..50 {
        let (status, body) = app.purchase(&seat("Venue1", "Event1", 5, "B", 1)).await;
        if status == 201 {
            sold = Some(body);
            break;
        }
        assert_eq!(status, 503, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sold.is_some(), "purchases work again once Redis is back");
    // The seats refused while Redis was down were not sold.
    let (status, _) = app.purchase(&seat("Venue1", "Event1", 5, "B", 2)).await;
    assert_eq!(status, 201);
    app.stop().await;
}

#[tokio::test]
async fn readiness_answers_503_naming_mysql_while_it_is_down_and_purchases_go_on() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Mysql, true).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;

    proxy.set_up(false);
    let (status, ready) = app.get("/api/v1/ready").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "unavailable");
    assert_eq!(ready["mysql"]["status"], "down");
    assert_eq!(ready["redis"]["status"], "up");
    // The read model is behind; selling does not need it.
    let (status, ticket) = app.purchase(&seat("Venue1", "Event1", 6, "A", 1)).await;
    assert_eq!(status, 201, "{ticket}");

    proxy.set_up(true);
    ready_within(&app, Duration::from_secs(5)).await;
    app.stop().await;
}

#[tokio::test]
async fn a_purchase_in_flight_when_shutdown_begins_is_answered_and_relayed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let env = TestEnv::new();
    env.declare_topology().await;
    let mut app = TestApp::spawn(&env, &[]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let body = seat("Venue1", "Event1", 7, "D", 4).to_string();

    // The headers now and the body after shutdown has begun: the request is in flight.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.signal_stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(&address).await.is_err(),
        "no new connections once shutdown has begun"
    );

    stream.write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let ticket: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    app.stop().await;

    // The relay flushed it before the api exited.
    let messages = env.drain(&env.mysql_queue(), 1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message_id.as_deref(), ticket["ticketId"].as_str());
}

#[tokio::test]
async fn health_is_always_ok_and_readiness_names_each_dependency() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;

    assert_eq!(
        app.get("/api/v1/health").await,
        (200, serde_json::json!({"status": "ok"}))
    );
    let ready = ready_within(&app, Duration::from_secs(5)).await;
    assert_eq!(ready["status"], "ready");
    for dependency in ["redis", "rabbitmq", "mysql"] {
        assert_eq!(ready[dependency]["status"], "up", "{dependency}");
    }
    assert_eq!(ready["kafka"]["status"], "disabled", "no replay topic configured");
    app.stop().await;
}

/// The readiness answer once it is 200; panics if it is not within `timeout`.
async fn ready_within(app: &TestApp, timeout: Duration) -> Value {
    eventually("/api/v1/ready answering 200", timeout, || async {
        let (status, ready) = app.get("/api/v1/ready").await;
        (status == 200).then_some(ready)
    })
    .await
}

/// Fisher-Yates with a fixed-seed xorshift, so a failure can be replayed.
pub fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}
