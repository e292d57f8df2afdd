//! The relay on an OS thread of its own, with its own runtime, at a lower CPU priority than
//! request handling.
//!
//! In a sale burst the relay and the broker it feeds compete with the purchase path for the
//! same cores. A buyer waits on the purchase path; nobody waits on the relay: its backlog
//! sits in the outbox and clears as soon as the burst eases. So the thread runs at nice 10:
//! the kernel gives request handling the CPU first, and the relay all the CPU that is left.

use std::time::Duration;

use anyhow::Context;
use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
use tokio::sync::{oneshot, watch};

use super::{LinkHealth, Relay};
use crate::config::ApiSettings;

/// `Crossplatform(22)` is niceness 10 under the normal Linux scheduler.
const PRIORITY: u8 = 22;

/// A running relay thread.
pub struct RelayThread {
    handle: std::thread::JoinHandle<()>,
}

impl RelayThread {
    /// Starts the relay of the outbox streams of `event_ids`, connected (to Redis) and with its
    /// consumer groups created before this returns; it runs until `stop` turns true, then
    /// flushes for at most `grace`.
    pub async fn start(
        settings: ApiSettings,
        event_ids: Vec<String>,
        health: LinkHealth,
        topic_health: LinkHealth,
        stop: watch::Receiver<bool>,
        grace: Duration,
    ) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = oneshot::channel::<anyhow::Result<()>>();
        let handle = std::thread::Builder::new().name("outbox-relay".into()).spawn(move || {
            lower_priority();
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                let connected = async {
                    let mut relay = Relay::connect(&settings, event_ids, health, topic_health)
                        .await
                        .context("Failed to connect the relay to Redis")?;
                    relay
                        .ensure_groups()
                        .await
                        .context("Failed to create the outbox consumer groups")?;
                    anyhow::Ok(relay)
                };
                match connected.await {
                    Ok(relay) => {
                        let _ = ready_tx.send(Ok(()));
                        relay.run(stop, grace).await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
        ready_rx.await.context("the relay thread ended before it started")??;
        Ok(Self { handle })
    }

    /// Waits until the relay has flushed and stopped.
    pub async fn join(self) -> anyhow::Result<()> {
        let handle = self.handle;
        tokio::task::spawn_blocking(move || handle.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the relay thread panicked"))
    }
}

fn lower_priority() {
    let lowered = ThreadPriorityValue::try_from(PRIORITY)
        .map_err(|e| e.to_string())
        .and_then(|value| {
            set_current_thread_priority(ThreadPriority::Crossplatform(value)).map_err(|e| format!("{e:?}"))
        });
    if let Err(e) = lowered {
        tracing::warn!(error = e, "the relay runs at normal priority");
    }
}
