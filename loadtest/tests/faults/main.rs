//! The fault matrix: a sale at a small scale (the original workload's shape: 20 zones, 110 %
//! requests for 100 % of the seats, 200 concurrent clients) against servers and programs of
//! the test's own, during which one tier after another dies with `kill -9` (Redis also shut
//! down cleanly) and comes back on its own files; then, once the pipeline has drained, a
//! count of what each store holds against what the buyers were answered.
//!
//! | scenario | must hold after the drain |
//! |---|---|
//! | consumers killed, back after 3 s | every 201 once in each store; no seat twice |
//! | RabbitMQ killed, back after 5 s | the same; no purchase answered 5xx |
//! | MariaDB killed, back after 10 s | the same; nothing dead-lettered |
//! | DynamoDB Local killed, back after 5 s | the same |
//! | api killed, back after 2 s | the same; a ticket stored without a 201 is a seat whose request got no answer |
//! | Redis shut down, back after 2 s | the same; 503 only from the shutdown until sales resume; a ticket stored without a 201 was answered `outcome_unknown` with its id |
//! | Redis killed, back after 2 s, `appendfsync always` | the same: nothing lost |
//! | Redis killed, back after 2 s, `appendfsync everysec` | lost sales counted; a seat sold again only if its first sale was lost; no seat with two tickets in any store |
//! | all of them in one burst | the same as `always` |
//!
//! Every scenario prints one line: requests, sold, unanswered; lost, oversold, duplicated,
//! unexplained tickets, DLQ size and 5xx count (`tally`); and `consumers audit` must find
//! Redis, the stores, the outbox and the DLQs in agreement. The programs are the built
//! binaries (`cargo build --bins` first); the servers are started by the test on ports and
//! directories of its own. The scenarios take minutes and kill processes, so they are
//! `#[ignore]`d by a plain `cargo test`: `scripts/test.sh` runs them as a step of their own,
//! and one runs alone with
//! `cargo test -p loadtest --test faults -- --ignored --nocapture rabbitmq`.

// A failed step of a test should panic, with the error, right there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod burst;
mod fleet;
mod tally;

use std::collections::HashSet;
use std::time::Duration;

use consumers::audit::audit;
use consumers::config::StackSettings;
use fleet::{Fleet, How, Tier};
use infra::amqp::Topology;
use loadtest::Workload;
use tally::{tally, Stored, Tally};
use tokio::time::Instant;

/// Concurrent buyers.
const CLIENTS: usize = 200;
/// How long the sale goes on after the last fault's tier is back.
const AFTER: Duration = Duration::from_secs(6);
/// How long the pipeline may take to drain after the sale.
const DRAIN_MAX: Duration = Duration::from_secs(120);
/// Answers 503 after the first sale that follows Redis's return still count as "while it was
/// down": requests refused just before it, answered just after.
const SLACK: Duration = Duration::from_secs(1);

/// One scenario at a time: each starts a whole stack of its own on two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A tier taken down `at` into the sale and brought back `down` later.
#[derive(Debug, Clone, Copy)]
struct Fault {
    tier: Tier,
    how: How,
    at: Duration,
    down: Duration,
}

fn kill(tier: Tier, at: u64, down: u64) -> Fault {
    Fault {
        tier,
        how: How::Kill,
        at: Duration::from_secs(at),
        down: Duration::from_secs(down),
    }
}

/// What a scenario tolerates of Redis losing acknowledged writes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Loss {
    /// Nothing answered 201 may be lost.
    Never,
    /// Sales answered in Redis's last unsynced second may be lost: counted and reported.
    Counted,
}

/// When a tier was down during the sale, from the start of the burst.
#[derive(Debug, Clone, Copy)]
struct Window {
    tier: Tier,
    down: Duration,
    up: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn consumers_killed() {
    run(
        "consumers killed 3 s",
        "everysec",
        &[kill(Tier::Consumers, 3, 3)],
        Loss::Never,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn rabbitmq_killed() {
    run(
        "RabbitMQ killed 5 s",
        "everysec",
        &[kill(Tier::Rabbit, 3, 5)],
        Loss::Never,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn mariadb_killed() {
    run(
        "MariaDB killed 10 s",
        "everysec",
        &[kill(Tier::MariaDb, 3, 10)],
        Loss::Never,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn dynamodb_killed() {
    run(
        "DynamoDB Local killed 5 s",
        "everysec",
        &[kill(Tier::Dynamo, 3, 5)],
        Loss::Never,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn api_killed() {
    run("api killed 2 s", "everysec", &[kill(Tier::Api, 3, 2)], Loss::Never).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn redis_shut_down() {
    let shutdown = Fault {
        how: How::Shutdown,
        ..kill(Tier::Redis, 3, 2)
    };
    run("Redis shut down 2 s", "everysec", &[shutdown], Loss::Never).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn redis_killed_fsync_always() {
    run(
        "Redis killed 2 s (always)",
        "always",
        &[kill(Tier::Redis, 3, 2)],
        Loss::Never,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn redis_killed_fsync_everysec() {
    run(
        "Redis killed 2 s (everysec)",
        "everysec",
        &[kill(Tier::Redis, 3, 2)],
        Loss::Counted,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills servers for minutes: scripts/test.sh runs it as a step of its own"]
async fn all_in_one_burst() {
    // Overlapping where the stack allows it; the api comes back while MariaDB and Redis run
    // (it needs both to start), and Redis dies last, once the SQL consumer can drain again
    // (its rebuild waits for the read model to be quiet).
    let faults = [
        kill(Tier::Consumers, 2, 3),
        kill(Tier::Dynamo, 3, 5),
        kill(Tier::Rabbit, 6, 5),
        kill(Tier::Api, 12, 2),
        kill(Tier::MariaDb, 15, 10),
        kill(Tier::Redis, 28, 2),
    ];
    run("all in one burst (always)", "always", &faults, Loss::Never).await;
}

/// Runs one scenario and fails unless its conditions held.
async fn run(name: &str, appendfsync: &'static str, faults: &[Fault], loss: Loss) {
    let _one_at_a_time = SERIAL.lock().await;
    let mut fleet = Fleet::start(appendfsync).await;
    let workload = Workload {
        venue: "Venue1".to_owned(),
        event: "Event1".to_owned(),
        zones: 20,
        rows: 5,
        cols: 30,
        duplicates: 0.1,
        seed: 14,
    };
    let length = faults.iter().map(|f| f.at + f.down).max().unwrap_or_default() + AFTER;
    let addr = fleet.addr;
    let (answers, windows) = tokio::join!(
        burst::burst(addr, &workload, CLIENTS, length),
        inject(&mut fleet, faults),
    );
    let sold: HashSet<String> = answers
        .iter()
        .filter_map(|a| match &a.reply {
            burst::Reply::Sold(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let stored = drain(&fleet, &workload.event, &sold).await;
    let dlq = dead_lettered(&fleet).await;
    let tally = tally(&answers, &stored, dlq);
    println!("{name:<30} {tally}");
    let mut violations = check(&tally, &answers, &windows, loss);
    // The operator's tool must agree: Redis, both stores, the outbox and the DLQs.
    let settings = StackSettings::load(&fleet.env.env(&[])).unwrap();
    let audit = audit(&settings, Some(&workload.event), false).await.unwrap();
    if audit.problems > 0 {
        violations.push(format!("the audit disagrees:\n{}", audit.text()));
    }
    assert!(
        violations.is_empty(),
        "{name}: {}\nfirst lost tickets: {:?}\nlogs in {}",
        violations.join("; "),
        &tally.lost[..tally.lost.len().min(5)],
        fleet.logs()
    );
}

/// Takes the tiers down and back at their times; returns when each was down.
async fn inject(fleet: &mut Fleet, faults: &[Fault]) -> Vec<Window> {
    enum Step {
        Down(usize),
        Up(usize),
    }
    let mut steps: Vec<(Duration, Step)> = faults
        .iter()
        .enumerate()
        .flat_map(|(i, f)| [(f.at, Step::Down(i)), (f.at + f.down, Step::Up(i))])
        .collect();
    steps.sort_by_key(|(at, _)| *at);
    let start = Instant::now();
    let mut windows: Vec<Window> = faults
        .iter()
        .map(|f| Window {
            tier: f.tier,
            down: Duration::ZERO,
            up: Duration::ZERO,
        })
        .collect();
    for (at, step) in steps {
        tokio::time::sleep_until(start + at).await;
        match step {
            Step::Down(i) => {
                windows[i].down = start.elapsed();
                fleet.stop(faults[i].tier, faults[i].how).await;
            }
            Step::Up(i) => {
                fleet.start_again(faults[i].tier).await;
                windows[i].up = start.elapsed();
            }
        }
    }
    windows
}

/// Waits until the outbox and the stores' queues are empty and the stores hold every ticket
/// answered 201 (or, when some never arrive, have not changed for a while), then reads the
/// event's tickets from both stores.
async fn drain(fleet: &Fleet, event: &str, sold: &HashSet<String>) -> Stored {
    let settings = fleet.env.settings(&[]);
    let queues = fleet.env.topology().queues;
    let deadline = Instant::now() + DRAIN_MAX;
    let mut last = None;
    let mut unchanged = 0;
    loop {
        let stored = Stored::of(
            event,
            &fleet.env.sql_tickets().await,
            fleet.env.dynamo_tickets().await.into_values(),
        );
        let counts = (stored.mysql.len(), stored.dynamodb.len());
        unchanged = if last == Some(counts) { unchanged + 1 } else { 0 };
        last = Some(counts);
        let (outbox, _) = fleet.env.outbox(event).await;
        let ready: u32 = infra::amqp::depths(&settings.amqp, &queues)
            .await
            .map_or(u32::MAX, |d| d.iter().map(|d| d.messages).sum());
        let ids = |tickets: &[(String, tally::SeatKey)]| -> HashSet<String> {
            tickets.iter().map(|(id, _)| id.clone()).collect()
        };
        let covered = sold.is_subset(&ids(&stored.mysql)) && sold.is_subset(&ids(&stored.dynamodb));
        let settled = (covered && unchanged >= 1) || unchanged >= 5;
        if (outbox == 0 && ready == 0 && settled) || Instant::now() > deadline {
            return stored;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Messages in both stores' dead-letter queues.
async fn dead_lettered(fleet: &Fleet) -> u32 {
    let settings = fleet.env.settings(&[]);
    let dlqs: Vec<String> = fleet
        .env
        .topology()
        .queues
        .iter()
        .map(|q| Topology::dead_letter_queue(q))
        .collect();
    let depths = infra::amqp::depths(&settings.amqp, &dlqs).await.unwrap();
    depths.iter().map(|d| d.messages).sum()
}

/// The scenario's conditions, each broken one as a sentence.
fn check(tally: &Tally, answers: &[burst::Answer], windows: &[Window], loss: Loss) -> Vec<String> {
    let mut violations = Vec::new();
    if tally.oversold > 0 {
        violations.push(format!("{} seats hold two tickets", tally.oversold));
    }
    if tally.unexplained > 0 {
        violations.push(format!("{} tickets stored without explanation", tally.unexplained));
    }
    if tally.dlq > 0 {
        violations.push(format!("{} messages dead-lettered", tally.dlq));
    }
    match loss {
        Loss::Never => {
            if !tally.lost.is_empty() {
                violations.push(format!("{} sold tickets lost", tally.lost.len()));
            }
            if tally.duplicated > 0 {
                violations.push(format!("{} seats answered 201 twice", tally.duplicated));
            }
        }
        Loss::Counted => {
            let unexplained = tally.duplicated - tally.resold_after_loss;
            if unexplained > 0 {
                violations.push(format!("{unexplained} seats answered 201 twice without a lost sale"));
            }
        }
    }
    // 503 is the answer while Redis is away (down, then rebuilding): from its going down to
    // the first sale after its return; any other 5xx, or one outside that, is a failure.
    let redis_away: Vec<(Duration, Duration)> = windows
        .iter()
        .filter(|w| w.tier == Tier::Redis)
        .map(|w| {
            let resumed = answers
                .iter()
                .filter(|a| a.at > w.up && matches!(a.reply, burst::Reply::Sold(_)))
                .map(|a| a.at)
                .min()
                .unwrap_or(Duration::MAX - SLACK);
            (w.down, resumed + SLACK)
        })
        .collect();
    let stray: Vec<_> = tally
        .server_errors
        .iter()
        .filter(|(at, status, _)| *status != 503 || !redis_away.iter().any(|(from, to)| from <= at && at <= to))
        .collect();
    if !stray.is_empty() {
        violations.push(format!(
            "{} answers 5xx outside Redis's absence, e.g. {:?}",
            stray.len(),
            &stray[..stray.len().min(3)]
        ));
    }
    violations
}
