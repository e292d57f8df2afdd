//! The ticket queries on a MariaDB read replica of the test's own (`MYSQL_READ_URL`): the SQL
//! consumer writes to the primary, the api reads what the replica has, and `/api/v1/ready`
//! reports the replica's lag, or that it stopped, without failing for it.

use std::time::Duration;

use consumers::startup::Which;
use serde_json::Value;
use testkit::{eventually, seat, PrivateMariaDb, TestApp, TestConsumers, TestEnv};

/// How many tickets of Event8 the api's count query sees.
async fn counted(app: &TestApp) -> u64 {
    let (status, count) = app.get("/api/v1/tickets/count/Event8").await;
    assert_eq!(status, 200, "{count}");
    count["sold"].as_u64().unwrap()
}

async fn sell(app: &TestApp, columns: std::ops::RangeInclusive<u32>) {
    for column in columns {
        let (status, ticket) = app.purchase(&seat("Hall5", "Event8", 1, "A", column)).await;
        assert_eq!(status, 201, "{ticket}");
    }
}

#[tokio::test]
async fn ticket_queries_read_the_replica_and_readiness_reports_its_lag_without_failing_for_it() {
    let primary = PrivateMariaDb::start_primary().await;
    let replica = PrivateMariaDb::start_replica_of(&primary).await;
    let mut env = TestEnv::new();
    env.set("MYSQL_URL", primary.url("ticketing"));
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[("MYSQL_READ_URL", replica.url("ticketing"))]).await;
    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);

    sell(&app, 1..=5).await;
    eventually("the replica has the first five", Duration::from_secs(30), || async {
        (counted(&app).await == 5).then_some(())
    })
    .await;
    let (status, ready) = app.get("/api/v1/ready").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["mysqlReplica"]["status"], "up", "{ready}");
    assert!(ready["mysqlReplica"]["lagSeconds"].is_u64(), "{ready}");

    // Replication stops: the primary gets three more tickets, the queries still see five.
    replica.replicate(false).await;
    sell(&app, 6..=8).await;
    eventually("the primary has all eight", Duration::from_secs(30), || async {
        (env.sql_tickets().await.len() == 8).then_some(())
    })
    .await;
    assert_eq!(counted(&app).await, 5, "the queries read the replica");
    let (status, ready) = app.get("/api/v1/ready").await;
    assert_eq!(status, 200, "sales go on without the replica: {ready}");
    let expected: Value = serde_json::json!({"status": "down", "error": "replication is stopped"});
    assert_eq!(ready["mysqlReplica"], expected);

    replica.replicate(true).await;
    eventually("the replica catches up", Duration::from_secs(30), || async {
        (counted(&app).await == 8).then_some(())
    })
    .await;

    app.stop().await;
    consumers.stop().await;
}
