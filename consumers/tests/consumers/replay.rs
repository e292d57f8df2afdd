//! The Kafka-compatible replay topic: the relay produces every ticket event to it, and
//! `consumers replay` rebuilds both stores from it, idempotently.

use std::collections::HashMap;
use std::time::Duration;

use consumers::replay::{replay, ReplayReport};
use consumers::startup::Which;
use domain::catalog::row;
use futures_util::{stream, StreamExt};
use infra::contract::TicketEvent;
use serde_json::Value;
use testkit::{eventually, seat, Dependency, PrivateKafka, TestApp, TestEnv};

use crate::tickets;

/// Sells `n` seats of Arena2 zone 3 (20 rows x 40) and of Event1 zone 1 through `app`.
async fn sell(app: &TestApp, n: u32) -> Vec<Value> {
    stream::iter(0..n)
        .map(|i| async move {
            let body = if i % 2 == 0 {
                seat("Arena2", "Event3", 3, &row::label(i / 80 + 1), i / 2 % 40 + 1)
            } else {
                seat("Venue1", "Event1", 1, &row::label(i / 60 + 1), i / 2 % 30 + 1)
            };
            let (status, ticket) = app.purchase(&body).await;
            assert_eq!(status, 201, "{ticket}");
            ticket
        })
        .buffer_unordered(16)
        .collect()
        .await
}

#[tokio::test]
async fn the_topic_gets_every_ticket_and_a_replay_rebuilds_both_stores_once() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let kafka = env.kafka();
    let app = TestApp::spawn(&env, &kafka).await;
    let sold = sell(&app, 120).await;

    let records = eventually("120 records in the topic", Duration::from_secs(30), || async {
        Some(env.topic_records().await).filter(|records| records.len() >= 120)
    })
    .await;
    app.stop().await;
    let by_id: HashMap<&str, &Value> = sold.iter().map(|t| (t["ticketId"].as_str().unwrap(), t)).collect();
    assert_eq!(records.len(), 120, "each ticket once (no relay retries here)");
    for (key, event) in &records {
        let id = event["ticketId"].as_str().unwrap();
        let mut expected = (*by_id[id]).clone();
        expected["v"] = infra::contract::SCHEMA_VERSION.into();
        assert_eq!(event, &expected, "the record is the ticket event of the 201 body");
        assert_eq!(key, event["eventId"].as_str().unwrap(), "keyed by event id");
    }

    // No consumer ran: the stores are empty until the replay fills them.
    assert!(env.sql_tickets().await.is_empty());
    let settings = env.consumers_settings(&kafka);
    let report = replay(&settings, Which::All).await.unwrap();
    assert!((1..=120).contains(&report.records), "batches of events: {report:?}");
    assert_eq!(
        report,
        ReplayReport {
            records: report.records,
            events: 120,
            ..ReplayReport::default()
        }
    );
    let rows = env.sql_tickets().await;
    assert_eq!(rows.len(), 120);
    for row in &rows {
        assert_eq!(
            row,
            by_id[row["ticketId"].as_str().unwrap()],
            "MySQL row equals the 201 body"
        );
    }
    let items = env.dynamo_tickets().await;
    assert_eq!(items.len(), 120);
    for (id, item) in &items {
        let mut expected = (*by_id[id.as_str()]).clone();
        expected["status"] = "CREATED".into();
        assert_eq!(item, &expected, "DynamoDB item equals the 201 body");
    }

    // Replaying again changes nothing.
    assert!(replay(&settings, Which::All).await.unwrap().clean());
    assert_eq!(env.sql_tickets().await, rows);
    assert_eq!(env.dynamo_tickets().await, items);

    // A reset wipes the topic with the rest: no replay can bring the sales back.
    consumers::reset::reset(&env.stack_settings(&kafka)).await.unwrap();
    assert!(env.topic_records().await.is_empty());
}

#[tokio::test]
async fn a_replay_reports_what_the_stores_refuse_and_stores_the_rest() {
    let env = TestEnv::new();
    let settings = env.consumers_settings(&env.kafka());
    let good = tickets(4);
    let mut rival = good[0].clone();
    rival.ticket_id = uuid::Uuid::now_v7();
    let bodies: Vec<String> = good[..3]
        .iter()
        .chain([&rival])
        .map(|t| TicketEvent::to_json(t).unwrap())
        .collect();
    let mut records: Vec<(&str, &[u8])> = bodies.iter().map(|b| ("Event1", b.as_bytes())).collect();
    records.insert(1, ("Event1", br#"{"v":2,"ticketId":"x"}"#));
    // A batch record: its poison event is reported alone, its good one stored.
    let last = TicketEvent::to_json(&good[3]).unwrap();
    let batch = infra::contract::batch_body([last.as_bytes(), br#"{"v":2,"ticketId":"y"}"#]);
    records.push(("Event1", &batch));
    env.produce(&records).await;

    let report = replay(&settings, Which::All).await.unwrap();
    assert_eq!(
        report,
        ReplayReport {
            records: 6,
            events: 6,
            poison: 2,
            mysql_conflicts: 1,
            dynamodb_conflicts: 1,
        }
    );
    assert!(!report.clean());
    let stored: Vec<String> = env
        .sql_tickets()
        .await
        .iter()
        .map(|row| row["ticketId"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = good.iter().map(|t| t.ticket_id.to_string()).collect();
    expected.sort();
    let mut stored_sorted = stored.clone();
    stored_sorted.sort();
    assert_eq!(stored_sorted, expected, "the rival ticket is not stored");
    let items = env.dynamo_tickets().await;
    assert_eq!(items.len(), 4);
    assert!(!items.contains_key(&rival.ticket_id.to_string()));
}

#[tokio::test]
async fn while_kafka_is_unreachable_events_wait_in_the_outbox_and_purchases_go_on() {
    let env = TestEnv::new();
    env.declare_topology().await;
    // Kafka's address as the relay first sees it goes through a proxy that is down.
    let (proxy, through_proxy) = env.proxy(Dependency::Kafka, false).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;
    let sold = sell(&app, 20).await;
    assert_eq!(sold.len(), 20, "purchases answer 201 while Kafka is unreachable");

    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = env.outbox("Event1").await.0 + env.outbox("Event3").await.0;
    assert_eq!(waiting, 20, "every event waits in the outbox");
    assert!(env.topic_records().await.is_empty());

    proxy.set_up(true);
    let records = eventually("20 records in the topic", Duration::from_secs(30), || async {
        Some(env.topic_records().await).filter(|records| records.len() >= 20)
    })
    .await;
    assert_eq!(records.len(), 20);
    eventually("the outbox emptied", Duration::from_secs(10), || async {
        (env.outbox("Event1").await.0 + env.outbox("Event3").await.0 == 0).then_some(())
    })
    .await;
    let messages = env.drain(&env.mysql_queue(), 20, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 20, "RabbitMQ got them too");
    app.stop().await;
}

#[tokio::test]
async fn when_kafka_goes_away_mid_run_nothing_is_lost_and_every_ticket_reaches_the_topic() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let kafka = PrivateKafka::start().await;
    let app = TestApp::spawn(&env, &[("KAFKA_BOOTSTRAP", kafka.bootstrap())]).await;
    let before = sell(&app, 20).await;
    eventually("the first 20 in the topic", Duration::from_secs(30), || async {
        (env.topic_records_on(&kafka.bootstrap()).await.len() >= 20).then_some(())
    })
    .await;

    // Every connection to Kafka is cut and new ones refused; sales go on.
    kafka.proxy.set_up(false);
    let during: Vec<Value> = stream::iter(20..40u32)
        .map(|i| {
            let app = &app;
            async move {
                let body = seat("Venue1", "Event1", 2, "A", i - 19);
                let (status, ticket) = app.purchase(&body).await;
                assert_eq!(status, 201, "{ticket}");
                ticket
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        env.outbox("Event1").await.0 >= 1,
        "events wait in the outbox while Kafka is away"
    );

    kafka.proxy.set_up(true);
    let sold: std::collections::HashSet<String> = before
        .iter()
        .chain(&during)
        .map(|t| t["ticketId"].as_str().unwrap().to_owned())
        .collect();
    let records = eventually("all 40 tickets in the topic", Duration::from_secs(60), || async {
        let records = env.topic_records_on(&kafka.bootstrap()).await;
        let ids: std::collections::HashSet<String> = records
            .iter()
            .map(|(_, event)| event["ticketId"].as_str().unwrap().to_owned())
            .collect();
        (ids == sold).then_some(records)
    })
    .await;
    // At least once: a batch whose acknowledgement the cut lost may be there twice.
    assert!(records.len() >= 40);
    eventually("the outbox emptied", Duration::from_secs(10), || async {
        (env.outbox("Event1").await.0 + env.outbox("Event3").await.0 == 0).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn readiness_reports_the_replay_topic_without_failing_for_it() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (proxy, through_proxy) = env.proxy(Dependency::Kafka, false).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;

    // Ready (200) after the relay's first attempt at Kafka has failed.
    let ready = eventually("a failed attempt at Kafka", Duration::from_secs(20), || async {
        let (status, ready) = app.get("/api/v1/ready").await;
        let failed = ready["kafka"]["error"]
            .as_str()
            .is_some_and(|e| e != "not connected yet");
        (status == 200 && failed).then_some(ready)
    })
    .await;
    assert_eq!(ready["kafka"]["status"], "down", "{ready}");

    // Back without a single sale: the idle relay reconnects on its own.
    proxy.set_up(true);
    eventually("kafka up in the readiness answer", Duration::from_secs(30), || async {
        let (status, ready) = app.get("/api/v1/ready").await;
        (status == 200 && ready["kafka"]["status"] == "up").then_some(())
    })
    .await;
    app.stop().await;
}
