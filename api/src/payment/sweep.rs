//! The payment sweeper: refunds charges whose hold lapsed unsold. A checkout refunds such a
//! charge itself; this catches the ones an api left behind by dying (or losing Redis) between
//! the charge and the sale. It is tidying, not correctness: a lapsed hold can never be sold,
//! whether or not its charge was refunded yet.

use std::time::Duration;

use infra::redis::Conn;
use redis::AsyncCommands;

use super::simulated::SimulatedGateway;
use super::PaymentGateway;
use crate::holds::store::{HoldId, HoldStore, State, RETENTION};

/// How often the sweeper looks.
pub const EVERY: Duration = Duration::from_secs(30);

/// One pass over the ledger: refunds every standing charge whose hold is no longer held and
/// was not sold by it. Returns how many it refunded.
pub async fn sweep(
    redis: &Conn,
    prefix: &str,
    holds: &HoldStore,
    gateway: &dyn PaymentGateway,
) -> redis::RedisResult<usize> {
    let pattern = SimulatedGateway::ledger_pattern(prefix);
    let entries = infra::redis::keys_matching(&mut redis.clone(), &pattern).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut refunded = 0;
    for entry in entries {
        let fields: std::collections::HashMap<String, String> = redis.clone().hgetall(&entry).await?;
        let (Some(charge), Some(hold)) = (fields.get("charge"), fields.get("hold")) else {
            continue;
        };
        if fields.get("status").map(String::as_str) != Some("charged") {
            continue;
        }
        let Some(hold_id) = HoldId::parse(hold) else { continue };
        let charged_at: i64 = fields.get("at").and_then(|a| a.parse().ok()).unwrap_or(0);
        let stray = match holds.get(&hold_id).await? {
            Some(record) => match record.state {
                State::Sold => record.charge.as_deref() != Some(charge.as_str()),
                State::Released => true,
                State::Held => record.expires_ms <= now,
            },
            // A sold hold's record outlives its sale by RETENTION: missing sooner, it never sold.
            None => now - charged_at < RETENTION.as_millis() as i64,
        };
        if stray {
            match gateway.refund(charge).await {
                Ok(()) => {
                    refunded += 1;
                    tracing::info!(charge, hold, "refunded the charge of a lapsed hold");
                }
                Err(e) => tracing::warn!(charge, hold, error = %e, "refund failed; retried next pass"),
            }
        }
    }
    Ok(refunded)
}

/// Sweeps every [`EVERY`] until `stop` turns true.
pub async fn run(state: crate::state::AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let swept = sweep(&state.redis(), state.key_prefix(), state.hold_store(), state.gateway()).await;
        if let Err(e) = swept {
            tracing::warn!(error = %e, "the payment sweep failed; it runs again later");
        }
    }
}
