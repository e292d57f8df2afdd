//! `consumers audit` on a real sale with each kind of fault planted on purpose, then
//! `--repair`.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use consumers::audit::{audit, Store};
use consumers::config::StackSettings;
use consumers::startup::Which;
use domain::Ticket;
use infra::contract::TicketEvent;
use lapin::options::ConfirmSelectOptions;
use mysql_async::prelude::Queryable;
use redis::AsyncCommands;
use serde_json::Value;
use testkit::{eventually, seat, TestApp, TestConsumers, TestEnv};

const EVENT: &str = "Event1";

#[tokio::test]
async fn the_audit_finds_each_planted_fault_and_repairs_what_it_may() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    // Seats 1..=8 of row A, zone 1, sold through the api: Redis, the outbox, both stores.
    let mut sold: Vec<Ticket> = Vec::new();
    for column in 1..=8 {
        let (status, body) = app.purchase(&seat("Venue1", EVENT, 1, "A", column)).await;
        assert_eq!(status, 201, "{body}");
        sold.push(serde_json::from_value(body).unwrap());
    }
    eventually("every ticket in both stores", Duration::from_secs(30), || async {
        (env.sql_tickets().await.len() == 8 && env.dynamo_tickets().await.len() == 8).then_some(())
    })
    .await;
    let settings = StackSettings::load(&env.env(&[])).unwrap();
    let clean = audit(&settings, Some(EVENT), false).await.unwrap();
    assert_eq!(clean.problems, 0, "{}", clean.text());
    assert_eq!(clean.events[0].sold_in_redis, 8);
    // The consumers stop, so that nothing mends a fault before the audit sees it.
    consumers.stop().await;

    let [t1, t2, t3, t4, t5, ..] = &sold[..] else {
        unreachable!()
    };
    let mut mysql = env.mysql().await;
    let mut redis = env.redis().await;
    let keys = env.keys(EVENT);
    let dynamodb = infra::dynamodb::connect(&env.settings(&[]).dynamodb).await;
    let tickets_table = env.settings(&[]).dynamodb.table;
    let delete_sql = |t: &Ticket| format!("DELETE FROM ticket WHERE ticket_id = '{}'", t.ticket_id);
    // 1. A ticket gone from MySQL.
    mysql.query_drop(delete_sql(t1)).await.unwrap();
    // 2. A ticket gone from DynamoDB.
    dynamodb
        .delete_item()
        .table_name(&tickets_table)
        .key("ticketId", AttributeValue::S(t2.ticket_id.to_string()))
        .send()
        .await
        .unwrap();
    // 3. A seat sold in Redis (A 20), counters and all, with no ticket anywhere: lost.
    let _: () = redis.setbit(keys.seats(1), 19, true).await.unwrap();
    let _: () = redis.hincr(keys.counts(), "remaining:1", -1).await.unwrap();
    let _: () = redis.hincr(keys.counts(), "sold", 1).await.unwrap();
    // 4. A second ticket for t3's seat, in DynamoDB only (written past the seat claim).
    let rival = Ticket::issue("Venue1", EVENT, 1, "A".into(), t3.column, t3.price);
    dynamodb
        .put_item()
        .table_name(&tickets_table)
        .set_item(Some(consumers::dynamodb::ticket_item(&rival)))
        .send()
        .await
        .unwrap();
    // 5. t4's seat cleared in Redis, counters and all: Redis would sell it again.
    let _: () = redis.setbit(keys.seats(1), 3, false).await.unwrap();
    let _: () = redis.hincr(keys.counts(), "remaining:1", 1).await.unwrap();
    let _: () = redis.hincr(keys.counts(), "sold", -1).await.unwrap();
    // 6. A counter off by three.
    let _: () = redis.hincr(keys.counts(), "remaining:2", 3).await.unwrap();
    // 7. t5 dead-lettered by the SQL consumer (and so not in MySQL).
    mysql.query_drop(delete_sql(t5)).await.unwrap();
    dead_letter(&env, t5, "no such venue").await;

    let report = audit(&settings, Some(EVENT), false).await.unwrap();
    let f = &report.events[0].findings;
    let ids = |tickets: &[&Ticket]| -> BTreeSet<uuid::Uuid> { tickets.iter().map(|t| t.ticket_id).collect() };
    assert_eq!(f.missing_in_mysql, ids(&[t1, &rival]), "{}", report.text());
    assert_eq!(f.missing_in_dynamodb, ids(&[t2]));
    assert_eq!(
        json(&f.lost),
        serde_json::json!([{"zoneId": 1, "row": "A", "column": 20}])
    );
    assert_eq!(
        json(&f.not_sold_in_redis),
        serde_json::json!([{"zoneId": 1, "row": "A", "column": t4.column}])
    );
    assert_eq!(
        json(&f.seats_with_two_tickets),
        serde_json::json!({ format!("1/A/{}", t3.column): [t3.ticket_id.min(rival.ticket_id), t3.ticket_id.max(rival.ticket_id)] })
    );
    assert_eq!(
        json(&f.counters),
        serde_json::json!([{"zoneId": 2, "counter": 783, "expected": 780}])
    );
    assert_eq!(f.dead_lettered.len(), 1);
    assert_eq!(
        (
            f.dead_lettered[0].store,
            f.dead_lettered[0].ticket_id,
            f.dead_lettered[0].reason.as_str()
        ),
        (Store::Mysql, t5.ticket_id, "no such venue")
    );
    assert_eq!(report.problems, 8, "{}", report.text());
    // The audit put the dead letter back.
    let dlq = infra::amqp::Topology::dead_letter_queue(&env.mysql_queue());
    let depths = infra::amqp::depths(&env.settings(&[]).amqp, &[dlq]).await.unwrap();
    assert_eq!(depths[0].messages, 1);

    let repaired = audit(&settings, Some(EVENT), true).await.unwrap();
    let done = repaired.events[0].repaired.as_ref().unwrap();
    // The rival ticket is not copied: its seat needs a person.
    assert_eq!((done.republished_to_mysql, done.republished_to_dynamodb), (1, 1));
    assert_eq!(done.seat_state_rebuilt, Some(9), "the 8 sold seats and the lost one");

    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let after = eventually("the re-published tickets stored", Duration::from_secs(30), || async {
        let report = audit(&settings, Some(EVENT), false).await.unwrap();
        let f = &report.events[0].findings;
        (f.missing_in_dynamodb.is_empty() && !f.missing_in_mysql.contains(&t1.ticket_id)).then_some(report)
    })
    .await;
    let f = &after.events[0].findings;
    // What only a person can settle is still reported: nothing was invented.
    assert_eq!(f.missing_in_mysql, ids(&[&rival]));
    assert_eq!(f.lost.len(), 1);
    assert_eq!(f.seats_with_two_tickets.len(), 1);
    assert_eq!(f.dead_lettered.len(), 1);
    assert!(
        f.not_sold_in_redis.is_empty() && f.counters.is_empty(),
        "{}",
        after.text()
    );
    assert_eq!(after.problems, 4);
    consumers.stop().await;
    app.stop().await;
}

fn json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Puts `ticket` into the SQL consumer's dead-letter queue, as the consumer does with a
/// ticket it can never store.
async fn dead_letter(env: &TestEnv, ticket: &Ticket, reason: &str) {
    let settings = env.settings(&[]);
    let connection = infra::amqp::connect(&settings.amqp, "test").await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    let dlq = infra::amqp::Topology::dead_letter_queue(&env.mysql_queue());
    let event = TicketEvent::to_json(ticket).unwrap();
    infra::amqp::dead_letter(&channel, &dlq, event.as_bytes(), "m-1", "m-0", reason)
        .await
        .unwrap();
    connection.close(0, "".into()).await.ok();
}
