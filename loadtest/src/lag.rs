//! Read-model freshness: how long after its 201 a ticket can be read from MySQL, the store
//! the query API answers from. Every `every`-th sale of a run is sampled as it is answered,
//! and a task polls MySQL for the sampled tickets while the run goes on, so the lag measured
//! is the one a buyer sees during the burst, not after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde::Serialize;
use tokio::sync::watch;

/// How often the sampled tickets are looked for.
const POLL: Duration = Duration::from_millis(50);

/// Takes every `every`-th sale as a sample, with the moment its 201 arrived.
#[derive(Debug)]
pub struct Sampler {
    every: usize,
    seen: AtomicUsize,
    fresh: Mutex<Vec<(String, Instant)>>,
}

impl Sampler {
    /// A sampler keeping one sale in `every`.
    pub fn new(every: usize) -> Arc<Self> {
        Arc::new(Self {
            every: every.max(1),
            seen: AtomicUsize::new(0),
            fresh: Mutex::new(Vec::new()),
        })
    }

    /// Called with each sale's ticket id as its 201 arrives.
    pub fn offer(&self, ticket_id: &str) {
        if self.seen.fetch_add(1, Ordering::Relaxed).is_multiple_of(self.every) {
            if let Ok(mut fresh) = self.fresh.lock() {
                fresh.push((ticket_id.to_owned(), Instant::now()));
            }
        }
    }

    fn take(&self) -> Vec<(String, Instant)> {
        self.fresh
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

/// The lags measured, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Lags {
    /// Sampled sales.
    pub samples: usize,
    /// Of those, never seen in MySQL within the time allowed.
    pub missing: usize,
    /// Median lag.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Longest.
    pub max_ms: f64,
}

/// Polls `pool` for the samples of `sampler` until `done` turns true and every sample was
/// found, or `timeout` after `done`.
pub async fn watch(
    sampler: Arc<Sampler>,
    pool: mysql_async::Pool,
    mut done: watch::Receiver<bool>,
    timeout: Duration,
) -> anyhow::Result<Lags> {
    let mut waiting: HashMap<String, Instant> = HashMap::new();
    let mut lags: Vec<Duration> = Vec::new();
    let mut finished_at: Option<Instant> = None;
    loop {
        waiting.extend(sampler.take());
        if !waiting.is_empty() {
            let ids: Vec<&String> = waiting.keys().collect();
            let marks = vec!["?"; ids.len()].join(",");
            let found: Vec<String> = pool
                .get_conn()
                .await?
                .exec(
                    format!("SELECT ticket_id FROM ticket WHERE ticket_id IN ({marks})"),
                    ids,
                )
                .await?;
            let now = Instant::now();
            for id in found {
                if let Some(sold_at) = waiting.remove(&id) {
                    lags.push(now - sold_at);
                }
            }
        }
        if finished_at.is_none() && *done.borrow() {
            finished_at = Some(Instant::now());
        }
        if let Some(at) = finished_at {
            let all_found = waiting.is_empty() && sampler.fresh.lock().map(|f| f.is_empty()).unwrap_or(true);
            if all_found || at.elapsed() > timeout {
                break;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = done.changed(), if finished_at.is_none() => {}
        }
    }
    lags.sort();
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let at = |q: f64| lags.get(((lags.len() as f64 * q).ceil() as usize).saturating_sub(1));
    Ok(Lags {
        samples: lags.len() + waiting.len(),
        missing: waiting.len(),
        p50_ms: ms(at(0.5)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(lags.last()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sale_in_every_n_is_sampled_from_the_first() {
        let sampler = Sampler::new(3);
        for i in 0..7 {
            sampler.offer(&format!("t{i}"));
        }
        let taken: Vec<String> = sampler.take().into_iter().map(|(id, _)| id).collect();
        assert_eq!(taken, ["t0", "t3", "t6"]);
        assert!(sampler.take().is_empty(), "taken once");
    }
}
