//! The loadtest's invariant check at a small scale, against the real stack (api and
//! consumers in this process, real Redis, RabbitMQ, MariaDB and DynamoDB Local).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use consumers::startup::Which;
use loadtest::{purchase_run, verify, Workload};
use mysql_async::prelude::Queryable;
use testkit::{TestApp, TestConsumers, TestEnv};

fn hall5() -> Workload {
    Workload {
        venue: "Hall5".into(),
        event: "Event8".into(),
        zones: 1,
        rows: 20,
        cols: 25,
        duplicates: 0.5,
        seed: 7,
    }
}

#[tokio::test]
async fn a_small_contention_run_keeps_every_invariant_and_a_lost_ticket_is_caught() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let settings = env.settings(&[]);
    let addr = app.address.trim_start_matches("http://").parse().unwrap();
    let workload = hall5();

    let outcome = purchase_run(
        addr,
        &workload,
        50,
        Some((&settings, Duration::from_secs(60))),
        false,
        None,
    )
    .await
    .unwrap();

    let verdict = outcome.verdict.unwrap();
    assert!(verdict.violations.is_empty(), "{:?}", verdict.violations);
    assert_eq!(outcome.measured.statuses.get(&201), Some(&500));
    assert_eq!(outcome.measured.statuses.get(&409), Some(&250));
    assert_eq!((verdict.mysql, verdict.dynamodb), (500, 500));

    // The check must be able to fail: lose one ticket from MySQL and look again.
    let mut conn = env.mysql().await;
    conn.exec_drop(
        "DELETE FROM ticket WHERE ticket_id = ?",
        (outcome.measured.sold[0].1.as_str(),),
    )
    .await
    .unwrap();
    drop(conn);
    let requests = workload.requests();
    let again = verify::verify(
        &settings,
        &workload,
        &requests,
        &outcome.measured,
        Duration::from_secs(1),
        None,
    )
    .await
    .unwrap();
    assert!(
        again
            .violations
            .iter()
            .any(|v| v.contains("MySQL: 1 sold tickets missing")),
        "{:?}",
        again.violations
    );
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_small_checkout_run_keeps_every_invariant_and_a_ticket_without_an_order_is_caught() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let options = loadtest::checkout::CheckoutOptions {
        url: app.address.clone(),
        buyers: 30,
        connections: 10,
        venue: "Hall5".into(),
        event: "Event8".into(),
        zone: 1,
        rows: 2,
        cols: 25,
        declined: 0.3,
        abandoned: 0.2,
        seed: 11,
    };
    let (figures, orders) = loadtest::checkout::run(&options).await.unwrap();
    assert!(figures.unexpected.is_empty(), "{:?}", figures.unexpected);
    assert!(
        figures.checkouts > 0 && figures.declined > 0 && figures.abandoned > 0,
        "{figures:?}"
    );
    assert!(
        figures.hold_requests > figures.held,
        "the selections overlap: {figures:?}"
    );
    let settings = env.settings(&[]);
    let violations = loadtest::checkout::verify(&settings, "Event8", &orders, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");

    // A ticket no checkout answered is reported.
    let (status, _) = app.purchase(&testkit::seat("Hall5", "Event8", 2, "A", 1)).await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let violations = loadtest::checkout::verify(&settings, "Event8", &orders, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        violations.iter().any(|v| v.contains("no checkout answered")),
        "{violations:?}"
    );
    consumers.stop().await;
    app.stop().await;
}
