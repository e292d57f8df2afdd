//! Rebuilding an event's seat state from the stores when Redis came back empty or behind (a
//! new node, a lost disk, a `FLUSHALL`, a restart from an AOF up to a second old).
//!
//! Redis decides sales and the stores follow, so a Redis that lost sales would sell their
//! seats again. Every script that sells or holds first compares the event's verification
//! mark with `LASTSAVE` (`infra::redis`) and refuses when they differ: the api answers 503
//! for that event and rebuilds its seat state here, once per event at a time across every
//! api instance (the `rebuilding` key):
//!
//! 1. it waits until the SQL consumer's queue has nothing ready and the event's tickets in
//!    MySQL have stopped changing for [`QUIET`], so that tickets the relay published before
//!    the loss have landed in the read model;
//! 2. it reads every seat of the event that MySQL holds;
//! 3. one script (`infra::seat_state::rebuild`) ORs them into the zones' sold bitmaps,
//!    never clearing a bit, sets the counters from the bitmaps, and marks the event verified.
//!
//! It runs for every event of the catalog at start, for an event whenever a script refuses
//! to sell it, and for any event found unverified by the api's once-a-second watch (Redis
//! restarted while nobody bought). Holds Redis lost are gone: their checkouts answer 410 and
//! the charge is refunded.
//!
//! What no rebuild can bring back: sales whose outbox entries were lost with Redis before the
//! relay published them (with `appendfsync everysec`, at most about the last second). Their
//! tickets reach no store, so their seats can be sold again without a seat ever holding two
//! tickets; the relay makes sure of the last part by never publishing entries of an event
//! whose mark is not verified (`relay::outbox`). The broker down at the same moment as Redis
//! loses data is the one case the quiet wait cannot see: tickets waiting in an unreachable
//! queue are not known yet.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Context;
use infra::redis::EventKeys;
use mysql_async::prelude::Queryable;
use redis::AsyncCommands;
use tokio::time::Instant;

use crate::state::AppState;

/// How long the event's tickets in MySQL must not change before its seats are read.
pub const QUIET: Duration = Duration::from_millis(250);
/// How long a rebuild waits for the stores to become quiet before it gives up (and is tried
/// again at the next refused sale).
const QUIET_MAX: Duration = Duration::from_secs(60);
/// How long one instance may hold an event's rebuild before another may take it over.
const LOCK_TTL: Duration = Duration::from_secs(120);

/// Which events this api instance is rebuilding now.
#[derive(Debug, Default)]
pub struct Rebuilds(std::sync::Mutex<HashSet<String>>);

impl Rebuilds {
    /// Claims `event_id` for this instance; false when it is being rebuilt already.
    fn start(&self, event_id: &str) -> bool {
        self.0.lock().is_ok_and(|mut set| set.insert(event_id.to_owned()))
    }

    fn finish(&self, event_id: &str) {
        if let Ok(mut set) = self.0.lock() {
            set.remove(event_id);
        }
    }
}

/// How often a running api looks for events whose seat state is no longer verified.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Verifies the seat state of every event of the catalog, rebuilding what needs it: at
/// start, before the first sale. Each event's failure is logged; its sales refuse (503) and
/// retry the rebuild until it succeeds.
pub async fn verify_all(state: &AppState) {
    let pending = match unverified(state).await {
        Ok(pending) => pending,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the seat state's marks; events are verified on their first sale");
            return;
        }
    };
    if pending.is_empty() {
        return;
    }
    tracing::warn!(
        events = pending.len(),
        "seat state not verified: rebuilding it from the stores"
    );
    futures_util::future::join_all(pending.iter().map(|event| run(state, event))).await;
}

/// While the api runs: every [`WATCH_EVERY`], rebuilds in the background each event whose
/// mark no longer matches (Redis restarted or lost data), so that an event nobody tries to
/// buy is rebuilt too and the relay publishes the outbox entries it holds back for it.
/// Returns when `stop` turns true.
pub async fn watch(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(WATCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        match unverified(&state).await {
            Ok(pending) => pending.iter().for_each(|event| trigger(&state, event)),
            // Redis is down: the sales answer 503 meanwhile; the marks are read again later.
            Err(e) => tracing::debug!(error = %e, "seat state marks unreadable"),
        }
    }
}

/// The events of the catalog whose seat state is not verified.
async fn unverified(state: &AppState) -> redis::RedisResult<Vec<String>> {
    let events: Vec<String> = state.catalog().events().map(|e| e.event_id.clone()).collect();
    let verified = verified(state, &events).await?;
    Ok(events
        .into_iter()
        .zip(verified)
        .filter(|(_, ok)| !ok)
        .map(|(event, _)| event)
        .collect())
}

/// Starts rebuilding `event_id` in the background, unless this instance is at it already:
/// after a script refused to sell it.
pub fn trigger(state: &AppState, event_id: &str) {
    let state = state.clone();
    let event_id = event_id.to_owned();
    tokio::spawn(async move { run(&state, &event_id).await });
}

/// Rebuilds `event_id` once (if no other rebuild of it runs in this instance), logging the
/// outcome.
async fn run(state: &AppState, event_id: &str) {
    if !state.rebuilds().start(event_id) {
        return;
    }
    match rebuild(state, event_id).await {
        Ok(Some(sold)) => tracing::warn!(event_id, sold, "seat state rebuilt from the stores and verified"),
        Ok(None) => {}
        Err(e) => tracing::warn!(
            event_id,
            error = format!("{e:#}"),
            "rebuilding the seat state failed; sales of the event wait"
        ),
    }
    state.rebuilds().finish(event_id);
}

/// Whether each event's seat state is verified.
async fn verified(state: &AppState, events: &[String]) -> redis::RedisResult<Vec<bool>> {
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    infra::redis::verified(&state.redis(), state.key_prefix(), &events).await
}

/// Rebuilds the seat state of `event_id` from MySQL and marks it verified; `None` when there
/// was nothing to do (verified meanwhile, or another instance is at it).
async fn rebuild(state: &AppState, event_id: &str) -> anyhow::Result<Option<i64>> {
    let (event, venue) =
        crate::query::params::event_and_venue(state, None, event_id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = EventKeys::new(state.key_prefix(), &event.event_id);
    let mut redis = state.redis();
    let locked: bool = redis::cmd("SET")
        .arg(keys.rebuilding())
        .arg(std::process::id())
        .arg("NX")
        .arg("PX")
        .arg(LOCK_TTL.as_millis() as u64)
        .query_async::<Option<String>>(&mut redis)
        .await?
        .is_some();
    if !locked {
        return Ok(None);
    }
    let result = async {
        if verified(state, std::slice::from_ref(&event.event_id)).await?.first() == Some(&true) {
            return Ok(None);
        }
        wait_quiet(state, &event.event_id).await?;
        let seats = stored_seats(state, &event.event_id).await?;
        let sold = infra::seat_state::rebuild(&mut redis, &keys, venue, &seats).await?;
        anyhow::Ok(Some(sold))
    }
    .await;
    let _: redis::RedisResult<()> = redis.del(keys.rebuilding()).await;
    result
}

/// Waits until the SQL consumer's queue has nothing ready (when the broker answers) and the
/// event's tickets in MySQL have not changed for [`QUIET`].
async fn wait_quiet(state: &AppState, event_id: &str) -> anyhow::Result<()> {
    let queue = infra::amqp::queue_name(state.amqp(), infra::amqp::MYSQL_QUEUE);
    let deadline = Instant::now() + QUIET_MAX;
    let mut last = None;
    loop {
        let ready = match infra::amqp::depths(state.amqp(), std::slice::from_ref(&queue)).await {
            Ok(depths) => depths.first().map_or(0, |d| d.messages),
            // No queue yet, or no broker: nothing can be delivered to MySQL from it now.
            Err(e) => {
                tracing::debug!(error = format!("{e:#}"), "queue depth unknown during a rebuild");
                0
            }
        };
        let count: Option<u64> = state
            .mysql()
            .get_conn()
            .await?
            .exec_first("SELECT COUNT(*) FROM ticket WHERE event_id = ?", (event_id,))
            .await?;
        if ready == 0 && last == Some(count) {
            return Ok(());
        }
        last = Some(count);
        anyhow::ensure!(
            Instant::now() < deadline,
            "tickets kept arriving for {QUIET_MAX:?}; the rebuild is tried again at the next sale"
        );
        tokio::time::sleep(QUIET).await;
    }
}

/// Every seat of `event_id` that MySQL holds a ticket for: (zone, row label, column).
async fn stored_seats(state: &AppState, event_id: &str) -> anyhow::Result<Vec<(u32, String, u32)>> {
    state
        .mysql()
        .get_conn()
        .await?
        .exec(
            "SELECT zone_id, row_label, col_label FROM ticket WHERE event_id = ?",
            (event_id,),
        )
        .await
        .context("Failed to read the event's seats from MySQL")
}
