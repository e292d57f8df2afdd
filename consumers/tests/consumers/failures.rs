//! Stores that fail, messages that can never be processed, and seats sold twice.

use std::time::Duration;

use consumers::startup::Which;
use domain::Ticket;
use infra::contract::TicketEvent;
use testkit::{eventually, Dependency, Mode, TestConsumers, TestEnv};

use crate::tickets;

#[tokio::test]
async fn while_both_stores_are_down_messages_wait_then_every_ticket_is_stored() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (mysql, mysql_var) = env.proxy(Dependency::Mysql, true).await;
    let (dynamodb, dynamodb_var) = env.proxy(Dependency::Dynamodb, true).await;
    let through_proxies = [mysql_var, dynamodb_var];
    let consumers = TestConsumers::spawn(&env, Which::All, &through_proxies);
    let first = tickets(10);
    env.publish_tickets(&first).await;
    eventually("the first tickets in both stores", Duration::from_secs(20), || async {
        let stored = env.sql_tickets().await.len() == 10 && env.dynamo_tickets().await.len() == 10;
        stored.then_some(())
    })
    .await;

    mysql.set_up(false);
    dynamodb.set_up(false);
    let during = tickets(300)[10..].to_vec();
    env.publish_tickets(&during).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(env.sql_tickets().await.len(), 10, "nothing written while MySQL is down");
    assert_eq!(
        env.dynamo_tickets().await.len(),
        10,
        "nothing written while DynamoDB is down"
    );

    mysql.set_up(true);
    dynamodb.set_up(true);
    eventually("all 300 tickets in both stores", Duration::from_secs(30), || async {
        let stored = env.sql_tickets().await.len() == 300 && env.dynamo_tickets().await.len() == 300;
        stored.then_some(())
    })
    .await;
    consumers.stop().await;
    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        assert_eq!(env.queue_depth(&queue).await, 0);
        assert_eq!(
            env.queue_depth(&format!("{queue}.dlq")).await,
            0,
            "an outage dead-letters nothing"
        );
    }
}

#[tokio::test]
async fn poison_messages_land_in_the_dlq_and_consumption_goes_on() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let good = tickets(2);
    let mut wrong_version: serde_json::Value = serde_json::from_str(&TicketEvent::to_json(&good[1]).unwrap()).unwrap();
    wrong_version["v"] = 99.into();

    env.publish_tickets(&good[..1]).await;
    env.publish_raw(b"this is not json", "poison-1").await;
    env.publish_raw(&serde_json::to_vec(&wrong_version).unwrap(), "poison-2")
        .await;
    env.publish_raw(
        br#"{"v": 1, "ticketId": "0192d1a0-0000-7000-8000-000000000000"}"#,
        "poison-3",
    )
    .await;
    env.publish_tickets(&good[1..]).await;

    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        let dead = env.drain(&format!("{queue}.dlq"), 3, Duration::from_secs(20)).await;
        let mut ids: Vec<_> = dead.iter().map(|m| m.message_id.clone().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, ["poison-1", "poison-2", "poison-3"], "{queue}");
    }
    eventually("both good tickets in both stores", Duration::from_secs(20), || async {
        let stored = env.sql_tickets().await.len() == 2 && env.dynamo_tickets().await.len() == 2;
        stored.then_some(())
    })
    .await;
    consumers.stop().await;
}

#[tokio::test]
async fn a_second_ticket_for_a_stored_seat_is_dead_lettered_not_stored() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let first = tickets(1).remove(0);
    let second = Ticket::issue(
        &first.venue_id,
        &first.event_id,
        first.zone_id,
        first.row.clone(),
        first.column,
        first.price,
    );

    env.publish_tickets(std::slice::from_ref(&first)).await;
    eventually("the first ticket in both stores", Duration::from_secs(20), || async {
        let stored = env.sql_tickets().await.len() == 1 && env.dynamo_tickets().await.len() == 1;
        stored.then_some(())
    })
    .await;
    env.publish_tickets(std::slice::from_ref(&second)).await;

    // Two different tickets for one seat in the same batch: one is stored, one is not.
    let later = tickets(2).remove(1);
    let rival = Ticket::issue(
        &later.venue_id,
        &later.event_id,
        later.zone_id,
        later.row.clone(),
        later.column,
        later.price,
    );
    env.publish_tickets(&[later.clone(), rival.clone()]).await;

    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        let dead = env.drain(&format!("{queue}.dlq"), 2, Duration::from_secs(20)).await;
        let ids: Vec<_> = dead.iter().map(|m| m.message_id.clone().unwrap()).collect();
        assert_eq!(ids.len(), 2, "{queue}: {ids:?}");
        assert!(ids.contains(&second.ticket_id.to_string()), "{queue}: {ids:?}");
    }
    consumers.stop().await;

    let rows = env.sql_tickets().await;
    let items = env.dynamo_tickets().await;
    assert_eq!(rows.len(), 2);
    assert_eq!(items.len(), 2);
    assert!(rows.iter().any(|r| r["ticketId"] == first.ticket_id.to_string()));
    assert!(items.contains_key(&first.ticket_id.to_string()));
    assert!(!items.contains_key(&second.ticket_id.to_string()));
    let later_stored: Vec<_> = rows
        .iter()
        .filter(|r| r["ticketId"] == later.ticket_id.to_string() || r["ticketId"] == rival.ticket_id.to_string())
        .collect();
    assert_eq!(later_stored.len(), 1, "exactly one of the rivals is stored");
}

#[tokio::test]
async fn redrive_moves_dead_letters_back_to_their_own_queue_only() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);
    let mut newer: serde_json::Value = serde_json::from_str(&TicketEvent::to_json(&tickets(1)[0]).unwrap()).unwrap();
    newer["v"] = 99.into();
    env.publish_raw(&serde_json::to_vec(&newer).unwrap(), "from-the-future")
        .await;
    let mysql_dlq = format!("{}.dlq", env.mysql_queue());
    eventually("the message dead-lettered", Duration::from_secs(20), || async {
        (env.queue_depth(&mysql_dlq).await == 1).then_some(())
    })
    .await;
    consumers.stop().await;

    let settings = env.settings(&[]);
    let moved = infra::amqp::redrive(&settings.amqp, &env.mysql_queue(), None)
        .await
        .unwrap();

    assert_eq!(moved, 1);
    assert_eq!(env.queue_depth(&mysql_dlq).await, 0);
    let back = env.drain(&env.mysql_queue(), 1, Duration::from_secs(10)).await;
    assert_eq!(back[0].message_id.as_deref(), Some("from-the-future"));
    assert_eq!(back[0].body, newer);
    // The DynamoDB queue got the original once (from the exchange) and nothing from the redrive.
    assert_eq!(env.queue_depth(&env.dynamodb_queue()).await, 1);
}

#[tokio::test]
async fn redrive_moves_what_the_dlq_held_and_stops_while_a_consumer_dead_letters_it_again() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);
    for (i, ticket) in tickets(3).iter().enumerate() {
        let mut newer: serde_json::Value = serde_json::from_str(&TicketEvent::to_json(ticket).unwrap()).unwrap();
        newer["v"] = 99.into();
        env.publish_raw(&serde_json::to_vec(&newer).unwrap(), &format!("still-poison-{i}"))
            .await;
    }
    let mysql_dlq = format!("{}.dlq", env.mysql_queue());
    eventually("three messages dead-lettered", Duration::from_secs(20), || async {
        (env.queue_depth(&mysql_dlq).await == 3).then_some(())
    })
    .await;

    // The consumer is still running: every message moved back is dead-lettered again at once.
    let settings = env.settings(&[]);
    let queue = env.mysql_queue();
    let redrive = infra::amqp::redrive(&settings.amqp, &queue, None);
    let moved = tokio::time::timeout(Duration::from_secs(30), redrive)
        .await
        .expect("a redrive ends, even with a consumer dead-lettering its messages again")
        .unwrap();
    assert_eq!(moved, 3, "what the DLQ held when the redrive started, once each");
    eventually("the three back in the DLQ", Duration::from_secs(20), || async {
        (env.queue_depth(&mysql_dlq).await == 3).then_some(())
    })
    .await;

    let limited = infra::amqp::redrive(&settings.amqp, &queue, Some(1)).await.unwrap();
    assert_eq!(limited, 1);
    consumers.stop().await;
}

#[tokio::test]
async fn in_a_batch_a_poison_event_and_a_second_ticket_for_a_seat_are_dead_lettered_alone_and_the_rest_stored() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let good = tickets(5);
    let rival = Ticket::issue(
        &good[0].venue_id,
        &good[0].event_id,
        good[0].zone_id,
        good[0].row.clone(),
        good[0].column,
        good[0].price,
    );
    // The seat's first ticket is stored before the batch with its rival arrives.
    env.publish_tickets(&good[..1]).await;
    eventually("the first ticket in both stores", Duration::from_secs(20), || async {
        let stored = env.sql_tickets().await.len() == 1 && env.dynamo_tickets().await.len() == 1;
        stored.then_some(())
    })
    .await;
    let mut events: Vec<Vec<u8>> = good
        .iter()
        .map(|t| TicketEvent::to_json(t).unwrap().into_bytes())
        .collect();
    events.insert(2, br#"{"v":2,"ticketId":"not-a-uuid"}"#.to_vec());
    events.push(TicketEvent::to_json(&rival).unwrap().into_bytes());
    let ids: Vec<String> = good.iter().chain([&rival]).map(|t| t.ticket_id.to_string()).collect();
    env.publish_batch(&events, &ids).await;

    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        let dead = env.drain(&format!("{queue}.dlq"), 2, Duration::from_secs(20)).await;
        assert_eq!(dead.len(), 2, "{queue}: only the two, each alone: {dead:?}");
        let poison = dead.iter().find(|m| m.body["ticketId"] == "not-a-uuid").unwrap();
        assert!(
            poison
                .header("x-dead-letter-reason")
                .unwrap()
                .contains("not a ticket event"),
            "{queue}: {poison:?}"
        );
        let second = dead
            .iter()
            .find(|m| m.body["ticketId"] == rival.ticket_id.to_string())
            .unwrap();
        assert_eq!(second.message_id.as_deref(), Some(rival.ticket_id.to_string().as_str()));
        let reason = second.header("x-dead-letter-reason").unwrap();
        assert!(reason.contains("a second ticket for seat"), "{queue}: {reason}");
        for letter in [poison, second] {
            assert_eq!(letter.batch.len(), 1, "dead-lettered alone");
            assert_eq!(
                letter.header("x-source-message-id"),
                Some(infra::contract::batch_message_id(ids.iter().map(String::as_str)).as_str())
            );
        }
    }
    eventually(
        "the five good tickets in both stores",
        Duration::from_secs(20),
        || async {
            let stored = env.sql_tickets().await.len() == 5 && env.dynamo_tickets().await.len() == 5;
            stored.then_some(())
        },
    )
    .await;
    consumers.stop().await;
    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        assert_eq!(env.queue_depth(&queue).await, 0, "the batch was acknowledged");
    }
    let rows = env.sql_tickets().await;
    assert!(rows.iter().all(|r| r["ticketId"] != rival.ticket_id.to_string()));
}

/// SIGTERM while the broker and DynamoDB take connections but never answer (a broker still
/// booting, a DynamoDB Local whose JVM is starting): the consumers stop at once instead of
/// waiting out `AMQP_TIMEOUT_MS` and the DynamoDB client's timeouts and retries.
#[tokio::test]
async fn shutdown_does_not_wait_for_a_broker_or_store_that_never_answers() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let (broker, broker_var) = env.proxy(Dependency::Rabbitmq, true).await;
    let (dynamodb, dynamodb_var) = env.proxy(Dependency::Dynamodb, true).await;
    broker.set_mode(Mode::Stall);
    dynamodb.set_mode(Mode::Stall);
    let settings = [broker_var, dynamodb_var, ("AMQP_TIMEOUT_MS", "30000".to_owned())];
    let consumers = TestConsumers::spawn(&env, Which::All, &settings);
    // The SQL consumer is setting up on the silent broker, the NoSQL one creating its tables.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let asked = tokio::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), consumers.stop())
        .await
        .expect("the consumers stop within 5 s of the request, not after their timeouts");
    println!("stopped {:?} after the request", asked.elapsed());
}
