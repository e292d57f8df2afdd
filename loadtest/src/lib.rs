//! The contention benchmark: the original JMeter workload (every seat of an event once plus
//! duplicates, shuffled) fired over keep-alive connections; throughput, an HDR latency
//! histogram and status counts; then a check of every invariant from the stores.
//!
//! `main.rs` is the CLI; `scripts/bench.sh` runs it with the baselines and writes
//! `BENCHMARKS.md`.

pub mod checkout;
pub mod drain;
pub mod fire;
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
}

/// Fires `workload` at `addr` over `connections` connections, then, if `verify` is given,
/// waits up to that long for the stores and checks them.
pub async fn purchase_run(
    addr: SocketAddr,
    workload: &Workload,
    connections: usize,
    verify: Option<(&Settings, Duration)>,
    progress: bool,
) -> anyhow::Result<Outcome> {
    let requests = workload.requests();
    let bodies: Vec<_> = requests.iter().map(|seat| workload.body(*seat)).collect();
    let measured = fire(
        addr,
        "/api/v1/tickets",
        Requests::Post(Arc::new(bodies)),
        connections,
        progress,
    )
    .await?;
    let verdict = match verify {
        Some((settings, timeout)) => Some(verify::verify(settings, workload, &requests, &measured, timeout).await?),
        None => None,
    };
    Ok(Outcome { measured, verdict })
}
