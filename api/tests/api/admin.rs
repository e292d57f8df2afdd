//! The admin operations: only for an admin's token; the sales of an event from Redis; the
//! pipeline's outboxes and queues; DLQ redrive; and the reset that wipes all sales, the
//! stores following in queue order.

use std::time::Duration;

use consumers::startup::Which;
use serde_json::{json, Value};
use testkit::{eventually, seat, TestApp, TestConsumers, TestEnv};

async fn admin_post(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.client.post(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn admin_routes_refuse_buyers_with_403_and_strangers_with_401() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (buyer, _) = app.new_buyer().await;
    for path in ["/api/v1/admin/reset", "/api/v1/admin/dlq/mysql/redrive"] {
        assert_eq!(admin_post(&app, path, Some(&buyer)).await.0, 403, "{path}");
        assert_eq!(admin_post(&app, path, None).await.0, 401, "{path}");
    }
    for path in ["/api/v1/admin/sales/Event8", "/api/v1/admin/pipeline"] {
        let (status, body) = app.get_as(path, &buyer).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{path}");
        assert_eq!(app.get(path).await.0, 401, "{path}");
    }
    let admin = app.new_admin(&env).await;
    assert_eq!(app.get_as("/api/v1/me", &admin).await.1["role"], "admin");
    let (status, body) = admin_post(&app, "/api/v1/admin/dlq/postgres/redrive", Some(&admin)).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = admin_post(&app, "/api/v1/admin/dlq/mysql/redrive?limit=many", Some(&admin)).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")), "{body}");
    let (status, body) = app.get_as("/api/v1/admin/sales/bad%20id", &admin).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("eventId")), "{body}");
    let (status, body) = app.get_as("/api/v1/admin/sales/Nowhere", &admin).await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn sales_show_sold_held_and_free_seats_revenue_and_the_outbox_per_zone() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into())]).await;
    for column in [1, 2] {
        assert_eq!(app.purchase(&seat("Hall5", "Event8", 1, "A", column)).await.0, 201);
    }
    let (buyer, _) = app.new_buyer().await;
    let hold = json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{"zoneId": 2, "row": "A", "column": 1}]});
    assert_eq!(app.post("/api/v1/holds", &hold, Some(&buyer)).await.0, 201);
    let admin = app.new_admin(&env).await;

    let (status, sales) = app.get_as("/api/v1/admin/sales/Event8", &admin).await;
    assert_eq!(status, 200, "{sales}");
    assert_eq!(
        sales,
        json!({"eventId": "Event8", "venueId": "Hall5", "sold": 2, "held": 1, "free": 501, "revenue": "39.98",
               "zones": [
                   {"zoneId": 1, "capacity": 500, "sold": 2, "held": 0, "free": 498, "price": "19.99", "revenue": "39.98"},
                   {"zoneId": 2, "capacity": 4, "sold": 0, "held": 1, "free": 3, "price": "9.50", "revenue": "0.00"}],
               "outbox": {"waiting": 2, "pending": 0}})
    );
    app.stop().await;
}

#[tokio::test]
async fn the_pipeline_counts_the_outboxes_the_queues_and_their_consumers_and_survives_a_broker_outage() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into())]).await;
    assert_eq!(app.purchase(&seat("Hall5", "Event8", 1, "C", 1)).await.0, 201);
    assert_eq!(app.purchase(&seat("Venue1", "Event1", 1, "C", 1)).await.0, 201);
    env.publish_raw(br#"{"v": 99}"#, "waiting").await;
    let admin = app.new_admin(&env).await;

    let (status, pipeline) = app.get_as("/api/v1/admin/pipeline", &admin).await;
    assert_eq!(status, 200, "{pipeline}");
    assert_eq!(
        pipeline,
        json!({"outbox": {"waiting": 2, "pending": 0},
               "queues": [
                   {"store": "mysql", "queue": env.mysql_queue(), "messages": 1, "consumers": 0, "deadLettered": 0},
                   {"store": "dynamodb", "queue": env.dynamodb_queue(), "messages": 1, "consumers": 0, "deadLettered": 0}]})
    );
    app.stop().await;

    // With the broker unreachable the outbox is still reported, and the broker's error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("amqp://guest:guest@{}/%2f", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into()), ("AMQP_URL", unreachable)]).await;
    let admin = app.new_admin(&env).await;
    let (status, pipeline) = app.get_as("/api/v1/admin/pipeline", &admin).await;
    assert_eq!(status, 200, "{pipeline}");
    assert_eq!(pipeline["outbox"], json!({"waiting": 2, "pending": 0}));
    assert!(pipeline.get("queues").is_none(), "{pipeline}");
    assert!(
        pipeline["brokerError"].as_str().unwrap().contains("RabbitMQ"),
        "{pipeline}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_admin_redrive_moves_the_dead_letters_back() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    env.publish_raw(br#"{"v": 99}"#, "from-the-future").await;
    let dlq = format!("{}.dlq", env.mysql_queue());
    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);
    eventually("the message dead-lettered", Duration::from_secs(20), || async {
        (env.queue_depth(&dlq).await == 1).then_some(())
    })
    .await;
    consumers.stop().await;
    let admin = app.new_admin(&env).await;
    let (status, body) = admin_post(&app, "/api/v1/admin/dlq/mysql/redrive", Some(&admin)).await;
    assert_eq!((status, body["moved"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(env.queue_depth(&dlq).await, 0);
    assert_eq!(env.queue_depth(&env.mysql_queue()).await, 1, "back in its own queue");
    app.stop().await;
}

#[tokio::test]
async fn an_admin_reset_wipes_every_sale_and_both_stores_follow_then_sales_go_on() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    for column in 1..=5 {
        assert_eq!(app.purchase(&seat("Hall5", "Event8", 1, "B", column)).await.0, 201);
    }
    eventually("five tickets in both stores", Duration::from_secs(30), || async {
        (env.sql_tickets().await.len() == 5 && env.dynamo_tickets().await.len() == 5).then_some(())
    })
    .await;
    let admin = app.new_admin(&env).await;

    let (status, report) = admin_post(&app, "/api/v1/admin/reset", Some(&admin)).await;
    assert_eq!(status, 202, "{report}");
    assert!(report["redisKeys"].as_u64().unwrap() >= 3, "{report}");
    eventually("both stores empty", Duration::from_secs(30), || async {
        (env.sql_tickets().await.is_empty() && env.dynamo_tickets().await.is_empty()).then_some(())
    })
    .await;
    let (_, map) = app.get("/api/v1/events/Event8/seats").await;
    assert_eq!((map["sold"].as_u64(), map["held"].as_u64()), (Some(0), Some(0)));

    // The same seats sell again, and reach both stores.
    let (status, ticket) = app.purchase(&seat("Hall5", "Event8", 1, "B", 1)).await;
    assert_eq!(status, 201, "{ticket}");
    eventually("the new ticket in both stores", Duration::from_secs(30), || async {
        let rows = env.sql_tickets().await;
        let items = env.dynamo_tickets().await;
        (rows.len() == 1 && items.len() == 1 && rows[0]["ticketId"] == ticket["ticketId"]).then_some(())
    })
    .await;
    consumers.stop().await;
    app.stop().await;
}
