//! Redis losing the seat state (wiped, or restarted from its append-only file): the api
//! notices before it sells, answers 503 for the event while it rebuilds the seat state from
//! the stores, and never sells a seat a store holds a ticket for.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use consumers::startup::Which;
use domain::catalog::row;
use futures_util::{stream, StreamExt};
use testkit::{eventually, seat, PrivateRedis, TestApp, TestConsumers, TestEnv};

/// Seat `n` (from 1) of Hall5 zone 1, 20 rows of 25: the event is Event8.
fn hall_seat(n: u32) -> serde_json::Value {
    seat("Hall5", "Event8", 1, &row::label((n - 1) / 25 + 1), (n - 1) % 25 + 1)
}

/// Buys each seat of `seats` once, 8 at a time, counting the answers in `answered`: seat,
/// status, ticket id of a 201.
async fn buy(
    app: &TestApp,
    seats: impl Iterator<Item = u32>,
    answered: &AtomicUsize,
) -> Vec<(u32, u16, Option<String>)> {
    stream::iter(seats)
        .map(|n| async move {
            let (status, body) = app.purchase(&hall_seat(n)).await;
            answered.fetch_add(1, Ordering::Relaxed);
            (n, status, body["ticketId"].as_str().map(str::to_owned))
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// Buys each seat of `seats`, trying again while the answer is 503; the final answers and
/// how many 503s came first.
async fn buy_through_rebuild(app: &TestApp, seats: impl Iterator<Item = u32>) -> (HashMap<u32, u16>, usize) {
    let unavailable = AtomicUsize::new(0);
    let answers = stream::iter(seats)
        .map(|n| {
            let unavailable = &unavailable;
            async move {
                for _ in 0..300 {
                    let (status, body) = app.purchase(&hall_seat(n)).await;
                    if status != 503 {
                        return (n, status);
                    }
                    // Redis down (`unavailable`; `outcome_unknown` when the connection broke
                    // under the request: a retry tells, 409 if it sold) or the event being
                    // checked after its return.
                    let code = body["code"].as_str().unwrap_or_default();
                    let codes = ["unavailable", "outcome_unknown", "seat_state_rebuilding"];
                    assert!(codes.contains(&code), "{body}");
                    unavailable.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                panic!("seat {n} still answered 503 after 15 s");
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    (answers, unavailable.into_inner())
}

/// Deletes every key of the test's prefix: the seat state, the outbox, the marks.
async fn wipe(env: &TestEnv) {
    let settings = env.settings(&[]);
    let mut redis = infra::redis::connect(&settings.redis).await.unwrap();
    infra::redis::delete_prefixed(&mut redis, &settings.redis.key_prefix)
        .await
        .unwrap();
}

/// No seat has two tickets in MySQL, and no consumer dead-lettered a second ticket.
async fn no_seat_twice(env: &TestEnv) {
    let rows = env.sql_tickets().await;
    let seats: HashSet<(u64, String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["zoneId"].as_u64().unwrap(),
                r["row"].as_str().unwrap().to_owned(),
                r["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seats.len(), rows.len(), "a seat with two tickets in MySQL");
    for queue in [env.mysql_queue(), env.dynamodb_queue()] {
        assert_eq!(
            env.queue_depth(&format!("{queue}.dlq")).await,
            0,
            "{queue}: a second ticket for a seat"
        );
    }
}

#[tokio::test]
async fn after_redis_lost_the_seat_state_no_seat_a_store_holds_is_sold_again() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let first = buy(&app, 1..=200, &AtomicUsize::new(0)).await;
    assert!(first.iter().all(|(_, status, _)| *status == 201), "{first:?}");
    eventually("200 tickets in both stores", Duration::from_secs(30), || async {
        (env.sql_tickets().await.len() == 200 && env.dynamo_tickets().await.len() == 200).then_some(())
    })
    .await;

    wipe(&env).await;
    let (answers, unavailable) = buy_through_rebuild(&app, 1..=500).await;
    assert!(unavailable > 0, "sales wait while the seat state is rebuilt");
    for n in 1..=500 {
        let expected = if n <= 200 { 409 } else { 201 };
        assert_eq!(answers[&n], expected, "seat {n}");
    }
    eventually("500 tickets in both stores", Duration::from_secs(30), || async {
        (env.sql_tickets().await.len() == 500 && env.dynamo_tickets().await.len() == 500).then_some(())
    })
    .await;
    no_seat_twice(&env).await;
    let (_, map) = app.get("/api/v1/events/Event8/seats").await;
    assert_eq!(map["zones"][0]["sold"], 500, "counters rebuilt from the bitmaps: {map}");
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_wipe_in_the_middle_of_a_sale_loses_only_what_no_store_got_and_sells_no_seat_twice() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    // The wipe comes once 150 of the 400 purchases are answered, while the rest go on.
    let answers = AtomicUsize::new(0);
    let (sale, _) = tokio::join!(buy(&app, 1..=400, &answers), async {
        while answers.load(Ordering::Relaxed) < 150 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        wipe(&env).await;
    });
    assert!(
        sale.iter().any(|(_, status, _)| *status == 503),
        "sales met the rebuild: the wipe came mid-sale"
    );
    let answered: HashSet<String> = sale.iter().filter_map(|(_, _, id)| id.clone()).collect();
    // Every seat once more: those whose sale was lost with the outbox sell now, the others
    // are refused.
    let (again, _) = buy_through_rebuild(&app, 1..=400).await;
    assert!(again.values().all(|s| *s == 201 || *s == 409), "{again:?}");
    let rows = eventually("every seat in MySQL", Duration::from_secs(30), || async {
        Some(env.sql_tickets().await).filter(|rows| rows.len() >= 400)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    no_seat_twice(&env).await;
    assert_eq!(env.sql_tickets().await.len(), 400, "every seat sold once, none twice");
    let stored: HashSet<&str> = rows.iter().map(|r| r["ticketId"].as_str().unwrap()).collect();
    let lost = answered.iter().filter(|id| !stored.contains(id.as_str())).count();
    println!(
        "wipe mid-sale: {} answered 201 in the first pass, {lost} of them lost with the outbox (their seats sold again)",
        answered.len()
    );
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_redis_restarted_from_its_append_only_file_is_checked_against_the_stores_before_it_sells() {
    let mut redis = PrivateRedis::start("always").await;
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[("REDIS_URL", redis.url()), ("REDIS_TIMEOUT_MS", "500".into())]).await;
    let consumers = TestConsumers::spawn(&env, Which::Mysql, &[]);
    assert_eq!(app.purchase(&hall_seat(1)).await.0, 201);
    eventually("the ticket in MySQL", Duration::from_secs(20), || async {
        (env.sql_tickets().await.len() == 1).then_some(())
    })
    .await;

    // Killed, then back from its AOF: a new LASTSAVE makes every event's mark stale.
    redis.kill();
    redis.restart().await;
    let prefix = env.settings(&[]).redis.key_prefix;
    let direct = redis.connection().await;
    let verified = infra::redis::verified(&direct, &prefix, &["Event8"]).await.unwrap();
    assert_eq!(verified, [false], "the restart is noticed before any sale");
    let (answers, _) = buy_through_rebuild(&app, 1..=2).await;
    assert_eq!((answers[&1], answers[&2]), (409, 201));
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_restart_within_the_second_the_server_started_in_is_noticed_too() {
    // LASTSAVE counts whole seconds: a mark set in the server's first second would survive a
    // restart within that second, so marking waits for the next one. Each round marks at
    // once after a start and restarts at once after the mark.
    let mut redis = PrivateRedis::start("always").await;
    let events = ["Event8".to_owned()];
    for round in 1..=3 {
        let direct = redis.connection().await;
        infra::redis::mark_verified(&direct, "restart", &events).await.unwrap();
        let verified = infra::redis::verified(&direct, "restart", &["Event8"]).await.unwrap();
        assert_eq!(verified, [true], "round {round}: marked");
        redis.kill();
        redis.restart().await;
        let direct = redis.connection().await;
        let verified = infra::redis::verified(&direct, "restart", &["Event8"]).await.unwrap();
        assert_eq!(verified, [false], "round {round}: the restart is noticed");
    }
}
