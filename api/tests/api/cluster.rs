//! The seat lock and the api on a real Redis Cluster (three primaries, started by
//! `scripts/test.sh`; `TEST_REDIS_CLUSTER` names its nodes): the script and keys the api uses
//! run unchanged, because every key of an event carries the event id as its hash tag; the
//! relay reads each event's outbox on its own node.

use api::purchase::request;
use api::purchase::seat_lock::{Outcome, SeatLock};
use api::seat::Seat;
use consumers::startup::Which;
use domain::Catalog;
use futures_util::{stream, StreamExt};
use infra::contract::TicketEvent;
use infra::redis::EventKeys;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::AsyncCommands;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use testkit::{eventually, TestApp, TestConsumers, TestEnv};

fn cluster_nodes() -> Vec<String> {
    std::env::var("TEST_REDIS_CLUSTER")
        .unwrap_or_else(|_| "redis://127.0.0.1:7000,redis://127.0.0.1:7001,redis://127.0.0.1:7002".to_owned())
        .split(',')
        .map(str::to_owned)
        .collect()
}

/// A connection to the shared test cluster, under the key prefix and timeout of `redis`.
async fn cluster_connection(redis: &infra::config::RedisSettings) -> infra::redis::Conn {
    let nodes = cluster_nodes().into_iter().map(infra::config::SecretUrl::new).collect();
    let on_cluster = infra::config::RedisSettings {
        target: infra::config::RedisTarget::Cluster(nodes),
        ..redis.clone()
    };
    infra::redis::connect(&on_cluster).await.unwrap()
}

fn seat<'c>(catalog: &'c Catalog, event: &str, zone: u32, row: &str, column: u32) -> Seat<'c> {
    let venue = catalog.event(event).unwrap().venue_id.clone();
    let body = serde_json::json!({"venueId": venue, "eventId": event, "zoneId": zone, "row": row, "column": column});
    let parsed = request::parse(body.to_string().as_bytes()).unwrap();
    request::resolve(&parsed, catalog).unwrap()
}

async fn sell(lock: &SeatLock<ClusterConnection>, seat: &Seat<'_>) -> Outcome {
    let ticket = seat.issue_ticket();
    lock.sell(seat, &ticket, &TicketEvent::to_json(&ticket).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_seat_lock_sells_each_seat_once_on_a_redis_cluster() {
    let client = ClusterClient::new(cluster_nodes()).unwrap();
    let mut conn = client.get_async_connection().await.unwrap();
    let prefix = format!("test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let lock = SeatLock::new(conn.clone(), prefix.clone());
    lock.load().await.unwrap();
    // A fresh seat state, nothing in any store: verified as it is (api/src/recovery/).
    infra::redis::mark_verified(&conn, &prefix, &["Event1".to_owned(), "Event3".to_owned()])
        .await
        .unwrap();
    let catalog = Catalog::builtin().unwrap();

    // Two events whose keys hash to different slots: the script must not assume one node.
    let (one, three) = (EventKeys::new(&prefix, "Event1"), EventKeys::new(&prefix, "Event3"));
    let slot = |key: String| redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).to_owned();
    let slots: Vec<i64> = stream::iter([one.outbox(), one.seats(5), one.counts(), three.outbox()])
        .then(|key| {
            let mut conn = conn.clone();
            let cmd = slot(key);
            async move { cmd.query_async::<i64>(&mut conn).await.unwrap() }
        })
        .collect()
        .await;
    assert!(
        slots[..3].iter().all(|s| *s == slots[0]),
        "one event, one slot: {slots:?}"
    );
    assert_ne!(slots[0], slots[3], "two events, two slots");

    // 64 buyers race for one seat: exactly one wins.
    let contested = seat(&catalog, "Event1", 5, "C", 7);
    let outcomes: Vec<Outcome> = stream::iter(0..64)
        .map(|_| sell(&lock, &contested))
        .buffer_unordered(64)
        .collect()
        .await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Sold).count(),
        1,
        "{outcomes:?}"
    );

    // Other seats, in both events, each sold once.
    for (event, zone, row, column) in [("Event1", 5, "C", 8), ("Event1", 9, "A", 1), ("Event3", 1, "A", 1)] {
        let free = seat(&catalog, event, zone, row, column);
        assert_eq!(sell(&lock, &free).await, Outcome::Sold);
        assert_eq!(sell(&lock, &free).await, Outcome::Taken);
    }

    // Counters and outbox moved with the sales and nothing else.
    let sold: i64 = conn.hget(one.counts(), "sold").await.unwrap();
    let outbox: usize = conn.xlen(one.outbox()).await.unwrap();
    let remaining: i64 = conn.hget(one.counts(), infra::redis::remaining_field(5)).await.unwrap();
    assert_eq!((sold, outbox), (3, 3));
    assert_eq!(remaining, contested.zone.capacity() as i64 - 2);
    let sold_three: i64 = conn.hget(three.counts(), "sold").await.unwrap();
    assert_eq!(sold_three, 1);

    for keys in [one, three] {
        let mut names = vec![keys.counts(), keys.outbox()];
        names.extend([1, 5, 9].map(|zone| keys.seats(zone)));
        let _: i64 = conn.del(names).await.unwrap();
    }
}

/// Two api instances on the cluster, each with a relay of its own name, sell the seats of two
/// events that live on different primaries, every seat asked for by more than one buyer and
/// every request sent to either instance: each seat is sold once, and every sale reaches both
/// stores once.
#[tokio::test]
async fn two_api_instances_on_a_redis_cluster_sell_each_seat_once_and_relay_every_sale() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let settings = env.settings(&[]);
    let on_cluster = |relay: &str| {
        [
            ("REDIS_URL", String::new()),
            ("REDIS_CLUSTER_NODES", cluster_nodes().join(",")),
            ("RELAY_CONSUMER", relay.to_owned()),
        ]
    };
    let apis = [
        TestApp::spawn(&env, &on_cluster("relay-one")).await,
        TestApp::spawn(&env, &on_cluster("relay-two")).await,
    ];
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    // 60 seats, 20 of them asked for twice and 10 of those three times: 90 requests.
    let seats: Vec<Value> = (1..=30)
        .flat_map(|column| {
            [
                testkit::seat("Venue1", "Event1", 5, "D", column),
                testkit::seat("Arena2", "Event3", 1, "B", column),
            ]
        })
        .collect();
    let requests: Vec<Value> = seats.iter().chain(&seats[..20]).chain(&seats[..10]).cloned().collect();
    let answers: Vec<(u16, Value)> = stream::iter(requests.iter().enumerate())
        .map(|(i, body)| {
            let api = &apis[i % 2];
            async move {
                // A fresh prefix has no verification mark yet: until the api has checked the
                // events against the (empty) stores, it answers `seat_state_rebuilding`.
                for _ in 0..50 {
                    let (status, answer) = api.purchase(body).await;
                    if status != 503 {
                        return (status, answer);
                    }
                    assert_eq!(answer["code"], "seat_state_rebuilding", "{answer}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                panic!("the event was never verified")
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let sold: HashMap<String, &Value> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, ticket)| (ticket["ticketId"].as_str().unwrap().to_owned(), ticket))
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(sold.len(), 60, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 30, "{statuses:?}");
    let seat_of = |t: &Value| format!("{}/{}/{}{}", t["eventId"], t["zoneId"], t["row"], t["column"]);
    let sold_seats: HashSet<String> = sold.values().map(|t| seat_of(t)).collect();
    assert_eq!(sold_seats.len(), 60, "no seat twice");

    let ids: HashSet<String> = sold.keys().cloned().collect();
    env.wait_stored_exactly(&ids, "every sale in both stores", Duration::from_secs(60))
        .await;

    for api in apis {
        api.stop().await;
    }
    consumers.stop().await;
    let mut redis = cluster_connection(&settings.redis).await;
    let removed = infra::redis::delete_prefixed(&mut redis, &settings.redis.key_prefix)
        .await
        .unwrap();
    assert!(removed > 0, "the sales' keys were on the cluster");
}

/// What happens to the cluster in the middle of a sale.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// The event's primary fails over to its replica.
    Failover,
    /// The event's slot moves to another primary, key by key.
    MoveSlot,
    /// The event's primary is killed with `-9`; the cluster promotes its replica.
    KillPrimary,
}

/// A Redis Cluster of the test's own, with a replica per primary: the primary of the event on
/// sale fails over to its replica in the middle of the sale. The api answers 503 for the event
/// while the slot changes hands (and, should the new primary's `LASTSAVE` differ, while it
/// checks the event's seats against the stores), for a few seconds at most, then sells again;
/// every seat is sold once and every sale reaches both stores.
#[tokio::test]
async fn a_primary_failing_over_mid_sale_costs_seconds_of_503_and_no_sale() {
    sale_through(Change::Failover).await;
}

/// The same while the event's slot moves to another primary (resharding): the api follows
/// `ASK` for the keys already moved and retries `TRYAGAIN` for a script whose keys are on
/// both sides; the relay's stream moves with its consumer group and pending entries.
#[tokio::test]
async fn the_event_slot_moving_to_another_primary_mid_sale_loses_no_sale() {
    sale_through(Change::MoveSlot).await;
}

/// The same when the event's primary dies (`kill -9`): the other nodes mark it failed after
/// `cluster-node-timeout` (3 s here) and its replica takes over; the 503s last as long as
/// that takes. Redis writes the replication stream in the same event-loop turn as the
/// answers, so what the dead primary answered had reached its replica's socket and no 201 is
/// lost (the window left, a turn's worth of writes, is the machine's loss: the api does not
/// `WAIT` for replicas).
#[tokio::test]
async fn a_primary_killed_mid_sale_costs_seconds_of_503_and_no_sale() {
    sale_through(Change::KillPrimary).await;
}

/// 300 seats of Event1 sold through `change`, with every condition checked.
async fn sale_through(change: Change) {
    let mut cluster = testkit::PrivateRedisCluster::start().await;
    let env = TestEnv::new();
    env.declare_topology().await;
    let on_cluster = [
        ("REDIS_URL", String::new()),
        ("REDIS_CLUSTER_NODES", cluster.nodes().join(",")),
        ("REDIS_TIMEOUT_MS", "500".to_owned()),
    ];
    let app = TestApp::spawn(&env, &on_cluster).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    // 300 seats of Event1 zone 5 (26 rows x 30), one request each, paced over about 6 s by 16
    // clients; a request answered 503 is sent again until it is answered otherwise.
    let started = tokio::time::Instant::now();
    let sell = |i: u32| {
        let app = &app;
        async move {
            tokio::time::sleep_until(started + Duration::from_millis(20) * i).await;
            let body = testkit::seat(
                "Venue1",
                "Event1",
                5,
                &domain::catalog::row::label(i / 30 + 1),
                i % 30 + 1,
            );
            let mut refused = Vec::new();
            loop {
                let (status, answer) = app.purchase(&body).await;
                if status != 503 {
                    return (status, answer, refused);
                }
                refused.push((started.elapsed(), answer));
                assert!(started.elapsed() < Duration::from_secs(60), "never sold again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let sale = stream::iter(0..300).map(sell).buffer_unordered(16).collect::<Vec<_>>();
    let changing = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match change {
            Change::Failover => cluster.fail_over("{Event1}").await,
            Change::MoveSlot => cluster.move_slot("{Event1}").await,
            Change::KillPrimary => cluster.kill_primary("{Event1}").await,
        }
        started.elapsed()
    };
    let (answers, changed_at) = tokio::join!(sale, changing);

    // Each seat one 201, or a 409 after its sale's outcome was unknown (it had gone through).
    let mut sold: HashSet<String> = HashSet::new();
    let mut unknown: HashSet<String> = HashSet::new();
    let mut refusals = Vec::new();
    for (status, answer, refused) in &answers {
        for (at, body) in refused {
            let code = body["code"].as_str().unwrap_or_default();
            if code == "outcome_unknown" {
                unknown.insert(body["ticketId"].as_str().unwrap().to_owned());
            }
            refusals.push((*at, code.to_owned()));
        }
        match status {
            201 => assert!(sold.insert(answer["ticketId"].as_str().unwrap().to_owned())),
            409 => assert!(
                !unknown.is_empty(),
                "a seat taken though nobody else bought it: {answer}"
            ),
            _ => panic!("{status} {answer}"),
        }
    }
    let taken = answers.iter().filter(|(status, ..)| *status == 409).count();
    let stored_unknown = eventually(
        "the sales of unknown outcome in MySQL",
        Duration::from_secs(60),
        || async {
            let rows = env.sql_tickets().await;
            let stored: HashSet<String> = rows
                .iter()
                .filter_map(|r| r["ticketId"].as_str())
                .filter(|id| unknown.contains(*id))
                .map(str::to_owned)
                .collect();
            (rows.len() >= sold.len() + taken).then_some(stored)
        },
    )
    .await;
    assert_eq!(stored_unknown.len(), taken, "every 409 is a sale that had gone through");
    let every: HashSet<String> = sold.union(&stored_unknown).cloned().collect();
    assert_eq!(every.len(), 300);
    env.wait_stored_exactly(&every, "every sale in both stores", Duration::from_secs(60))
        .await;

    // The 503s: only while the slot changed hands and was checked, a few seconds at most.
    let first = refusals.iter().map(|(at, _)| *at).min();
    let last = refusals.iter().map(|(at, _)| *at).max();
    if let (Some(first), Some(last)) = (first, last) {
        assert!(
            last - first < Duration::from_secs(10),
            "503 from {first:?} to {last:?}: {refusals:?}"
        );
        assert!(
            first >= Duration::from_millis(1900),
            "503 before the change began: {refusals:?}"
        );
        let codes: HashSet<&str> = refusals.iter().map(|(_, code)| code.as_str()).collect();
        assert!(
            codes.is_subset(&HashSet::from([
                "unavailable",
                "outcome_unknown",
                "seat_state_rebuilding"
            ])),
            "{codes:?}"
        );
    }
    println!(
        "{change:?} done at {changed_at:?}: {} requests answered 503 ({:?} to {:?}), {} of unknown outcome",
        refusals.len(),
        first,
        last,
        unknown.len()
    );

    app.stop().await;
    consumers.stop().await;
}

/// An api process on the cluster, on `port`, with `extra` settings; its output in the
/// system's temporary directory.
async fn api_process(env: &TestEnv, port: u16, extra: &[(&str, String)]) -> testkit::Program {
    let mut vars = env.vars();
    vars.extend([
        ("API_BIND".to_owned(), format!("127.0.0.1:{port}")),
        ("REDIS_URL".to_owned(), String::new()),
        ("REDIS_CLUSTER_NODES".to_owned(), cluster_nodes().join(",")),
        ("NO_COLOR".to_owned(), "1".to_owned()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let log = std::env::temp_dir().join(format!("ticketing-{}-api-{port}.log", env.id));
    let mut api = testkit::Program::start("api", &[], vars, log);
    let health = format!("http://127.0.0.1:{port}/api/v1/health");
    for _ in 0..600 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
            return api;
        }
        if let Some(status) = api.exited() {
            panic!("the api on {port} exited with {status}:\n{}", api.log_tail(30));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the api on {port} did not answer within 60 s:\n{}", api.log_tail(30));
}

/// Two api processes on the cluster, each with a relay of its own name; the first one's relay
/// cannot reach the broker, so the entries it reads stay pending on it. It is killed with `-9`
/// half-way through the sale: the other relay takes its entries over after
/// `RELAY_CLAIM_IDLE_MS`, and every sale through either instance reaches both stores once;
/// every seat asked for twice is sold once.
#[tokio::test]
async fn an_api_instance_killed_mid_sale_leaves_its_outbox_entries_to_the_other() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let settings = env.settings(&[]);
    let (first, second) = (testkit::free_port(), testkit::free_port());
    let claim = ("RELAY_CLAIM_IDLE_MS", "2000".to_owned());
    let nowhere = format!("amqp://guest:guest@127.0.0.1:{}/%2f", testkit::free_port());
    let mut doomed = api_process(
        &env,
        first,
        &[
            ("RELAY_CONSUMER", "relay-doomed".into()),
            ("AMQP_URL", nowhere),
            claim.clone(),
        ],
    )
    .await;
    let _survivor = api_process(&env, second, &[("RELAY_CONSUMER", "relay-survivor".into()), claim]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);

    let client = reqwest::Client::new();
    let buy = |port: u16, i: u32| {
        let client = client.clone();
        async move {
            let event = if i.is_multiple_of(2) { "Event1" } else { "Event2" };
            let row = domain::catalog::row::label(i / 60 + 1);
            let body = testkit::seat("Venue1", event, 7, &row, i / 2 % 30 + 1);
            let url = format!("http://127.0.0.1:{port}/api/v1/tickets");
            for _ in 0..50 {
                let answer = client.post(&url).json(&body).send().await.unwrap();
                let status = answer.status().as_u16();
                let ticket: Value = answer.json().await.unwrap();
                match status {
                    201 => return Some(ticket["ticketId"].as_str().unwrap().to_owned()),
                    409 => return None,
                    // A fresh prefix: the events are checked against the stores first.
                    503 => tokio::time::sleep(Duration::from_millis(100)).await,
                    _ => panic!("{status} {ticket}"),
                }
            }
            panic!("seat {i} was never answered")
        }
    };
    // The workload's shape, small: every seat asked for once and a third of them twice, the
    // second time through the other instance. 60 seats (and 20 again) through both
    // instances; then the first dies with entries pending on its relay; then 60 more (and 20
    // again) through the survivor.
    let requests = |seats: std::ops::Range<u32>| {
        let again = seats.start..seats.start + 20;
        seats.map(|i| (i, i % 2)).chain(again.map(|i| (i, 1 - i % 2)))
    };
    let answers: Vec<Option<String>> = stream::iter(requests(0..60))
        .map(|(i, side)| buy(if side == 0 { first } else { second }, i))
        .buffer_unordered(8)
        .collect()
        .await;
    let mut cluster = cluster_connection(&settings.redis).await;
    let pending_on_doomed = eventually("entries pending on the doomed relay", Duration::from_secs(10), || {
        let mut cluster = cluster.clone();
        let prefix = settings.redis.key_prefix.clone();
        async move {
            let mut pending = 0;
            for event in ["Event1", "Event2"] {
                let reply: redis::streams::StreamPendingCountReply = cluster
                    .xpending_consumer_count(
                        EventKeys::new(&prefix, event).outbox(),
                        "relay",
                        "-",
                        "+",
                        1000,
                        "relay-doomed",
                    )
                    .await
                    .unwrap_or_default();
                pending += reply.ids.len();
            }
            (pending > 0).then_some(pending)
        }
    })
    .await;
    doomed.kill();
    let later: Vec<Option<String>> = stream::iter(requests(60..120))
        .map(|(i, _)| buy(second, i))
        .buffer_unordered(8)
        .collect()
        .await;
    let answers: Vec<Option<String>> = answers.into_iter().chain(later).collect();
    assert_eq!(
        answers.iter().filter(|a| a.is_none()).count(),
        40,
        "each second request: 409"
    );
    let sold: HashSet<String> = answers.into_iter().flatten().collect();
    assert_eq!(sold.len(), 120);
    env.wait_stored_exactly(&sold, "every sale in both stores", Duration::from_secs(60))
        .await;
    println!("{pending_on_doomed} entries were pending on the killed instance's relay");

    consumers.stop().await;
    let removed = infra::redis::delete_prefixed(&mut cluster, &settings.redis.key_prefix)
        .await
        .unwrap();
    assert!(removed > 0);
}
