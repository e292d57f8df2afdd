//! The contention benchmark: the original JMeter workload (every seat of an event once plus
//! duplicates, shuffled) fired over keep-alive connections; throughput, an HDR latency
//! histogram and status counts; then a check of every invariant from the stores.
//!
//! `main.rs` is the CLI; `scripts/bench.sh` runs it with the baselines and writes
//! `BENCHMARKS.md`.

pub mod checkout;
pub mod cpu;
pub mod designs;
pub mod drain;
pub mod fire;
pub mod lag;
pub mod report;
pub mod verify;
pub mod workload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use infra::config::Settings;

pub use fire::{fire, Measured, Requests};
pub use report::Summary;
pub use verify::Verdict;
pub use workload::Workload;

/// A purchase run and what the stores said about it.
#[derive(Debug)]
pub struct Outcome {
    /// The load.
    pub measured: Measured,
    /// The check; `None` when not asked for.
    pub verdict: Option<Verdict>,
    /// CPU per sold ticket of each process, from the start of the load until both stores
    /// held every ticket; `None` unless processes were given and the stores drained.
    pub cpu: Option<cpu::PerTicket>,
    /// How long after their 201 sampled tickets could be read from MySQL; with `verify`.
    pub lag: Option<lag::Lags>,
}

/// Tickets sampled for the read-model lag of a run, at most.
const LAG_SAMPLES: usize = 400;

/// Fires `workload` at `addr` over `connections` connections, then, if `verify` is given,
/// waits up to that long for the stores and checks them. With `cpu`, the CPU time of those
/// processes is read at the start of the load and when the stores have drained.
pub async fn purchase_run(
    addr: SocketAddr,
    workload: &Workload,
    connections: usize,
    verify: Option<(&Settings, Duration)>,
    progress: bool,
    cpu: Option<&cpu::Processes>,
) -> anyhow::Result<Outcome> {
    let requests = workload.requests();
    let bodies: Vec<_> = requests.iter().map(|seat| workload.body(*seat)).collect();
    // While the load runs, a watcher looks for sampled sales in MySQL.
    let (done, watcher) = match verify {
        Some((settings, timeout)) => {
            let sampler = lag::Sampler::new(workload.seats() as usize / LAG_SAMPLES);
            let (done, finished) = tokio::sync::watch::channel(false);
            let pool = mysql_async::Pool::new(settings.mysql.url.expose());
            let watcher = tokio::spawn(lag::watch(sampler.clone(), pool, finished, timeout));
            (Some(done), Some((sampler, watcher)))
        }
        None => (None, None),
    };
    let started = (cpu.map(cpu::Processes::sample), std::time::Instant::now());
    let measured = fire(
        addr,
        "/api/v1/tickets",
        Requests::Post(Arc::new(bodies), watcher.as_ref().map(|(sampler, _)| sampler.clone())),
        connections,
        progress,
    )
    .await?;
    if let Some(done) = done {
        let _ = done.send(true);
    }
    let verdict = match verify {
        Some((settings, timeout)) => {
            Some(verify::verify(settings, workload, &requests, &measured, timeout, cpu).await?)
        }
        None => None,
    };
    let lag = match watcher {
        Some((_, task)) => Some(task.await??),
        None => None,
    };
    let cpu = match (cpu, &started.0, verdict.as_ref().and_then(|v| v.drained_cpu.as_ref())) {
        (Some(procs), Some(before), Some((after, at))) => Some(procs.per_ticket(
            before,
            after,
            measured.sold.len() as u64,
            at.duration_since(started.1).as_secs_f64(),
        )),
        _ => None,
    };
    Ok(Outcome {
        measured,
        verdict,
        cpu,
        lag,
    })
}
