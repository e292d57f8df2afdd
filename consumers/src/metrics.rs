//! The consumers' metrics port (`CONSUMER_METRICS_BIND`): what the runner records
//! (`consumer_batch_duration_seconds` and `consumer_tickets_total` per store), and
//! `queue_messages`, the messages ready in each served store's queue and dead-letter queue,
//! sampled every [`SAMPLE_EVERY`].

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use infra::amqp::{queue_name, Topology};
use infra::config::AmqpSettings;
use metrics::gauge;
use tokio::sync::watch;

use crate::startup::StoreName;

/// How often the queues' depths are read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Serves the metrics on `bind` and samples the queues of `stores` until `shutdown` turns
/// true. Fails only if `bind` cannot be bound.
pub async fn serve(
    bind: SocketAddr,
    amqp: AmqpSettings,
    stores: Vec<StoreName>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    infra::metrics::handle();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("Failed to bind the metrics port {bind} (CONSUMER_METRICS_BIND)"))?;
    tracing::info!(address = %listener.local_addr()?, "metrics listening");
    let sampler = sample_queues(amqp, stores, shutdown.clone());
    tokio::join!(infra::metrics::serve(listener, shutdown), sampler);
    Ok(())
}

async fn sample_queues(amqp: AmqpSettings, stores: Vec<StoreName>, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SAMPLE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let queues: Vec<(&'static str, &'static str, String)> = stores
        .iter()
        .flat_map(|store| {
            let work = queue_name(&amqp, store.queue());
            let dlq = Topology::dead_letter_queue(&work);
            [(store.label(), "work", work), (store.label(), "dlq", dlq)]
        })
        .collect();
    let names: Vec<String> = queues.iter().map(|(_, _, name)| name.clone()).collect();
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        match infra::amqp::depths(&amqp, &names).await {
            Ok(depths) => {
                for ((store, kind, _), depth) in queues.iter().zip(depths) {
                    gauge!("queue_messages", "store" => *store, "queue" => *kind).set(f64::from(depth.messages));
                }
            }
            // The broker is down: the gauges keep their last value; the logs say why.
            Err(e) => tracing::debug!(error = format!("{e:#}"), "queue depths unknown"),
        }
    }
}
