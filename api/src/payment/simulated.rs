//! A payment gateway that moves no money, for local stacks, tests and load tests. It accepts
//! Stripe's test card tokens:
//!
//! | token | outcome |
//! |---|---|
//! | `tok_visa`, `tok_mastercard` | charged |
//! | `tok_chargeDeclined` | declined: "Your card was declined." (402) |
//! | `tok_chargeDeclinedInsufficientFunds` | declined: "Your card has insufficient funds." (402) |
//! | `tok_chargeDeclinedProcessingError` | fails like a gateway outage (503) |
//! | anything else | no such card (400) |
//!
//! Its ledger is in Redis, as a real provider keeps its own: one hash per idempotency key
//! (`{prefix}:payments:{key digest}`: charge id, amount in cents, hold, when, status `charged`
//! or `refunded`), so every api instance sees the same charges, and tests and the load test's
//! check can read every charge and refund. A charge id names its entry (`ch_{digest}_{n}`).
//! `PAYMENT_LATENCY_MS` delays every call.

use std::time::Duration;

use futures_util::future::BoxFuture;
use infra::redis::Conn;
use sha2::{Digest, Sha256};

use super::{Charge, PaymentError, PaymentGateway};

/// The simulated gateway.
#[derive(Clone)]
pub struct SimulatedGateway {
    redis: Conn,
    prefix: String,
    latency: Duration,
}

impl SimulatedGateway {
    /// A gateway keeping its ledger in `redis` under `key_prefix`.
    pub fn new(redis: Conn, key_prefix: &str, latency: Duration) -> Self {
        Self {
            redis,
            prefix: key_prefix.to_owned(),
            latency,
        }
    }

    /// The digest naming the ledger entry of an idempotency key.
    fn digest(idempotency_key: &str) -> String {
        let digest = Sha256::digest(idempotency_key.as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The ledger entry of digest `digest`.
    fn entry(&self, digest: &str) -> String {
        format!("{}:payments:{digest}", self.prefix)
    }

    /// The pattern matching every ledger entry under `prefix`.
    pub fn ledger_pattern(prefix: &str) -> String {
        format!("{prefix}:payments:*")
    }

    async fn take(&self, charge: &Charge) -> Result<String, PaymentError> {
        tokio::time::sleep(self.latency).await;
        match charge.token.as_str() {
            "tok_visa" | "tok_mastercard" => {}
            "tok_chargeDeclined" => return Err(PaymentError::Declined("Your card was declined.".into())),
            "tok_chargeDeclinedInsufficientFunds" => {
                return Err(PaymentError::Declined("Your card has insufficient funds.".into()))
            }
            "tok_chargeDeclinedProcessingError" => {
                return Err(PaymentError::Unavailable("a processing error occurred".into()))
            }
            _ => return Err(PaymentError::InvalidToken),
        }
        let digest = Self::digest(&charge.idempotency_key);
        let id = format!("ch_{digest}_{}", uuid::Uuid::now_v7().simple());
        let standing: String = redis::Script::new(LEDGER_CHARGE)
            .key(self.entry(&digest))
            .arg(&id)
            .arg(charge.amount.cents())
            .arg(&charge.hold_id)
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(unavailable)?;
        Ok(standing)
    }

    async fn give_back(&self, charge_id: &str) -> Result<(), PaymentError> {
        tokio::time::sleep(self.latency).await;
        let digest = charge_id
            .strip_prefix("ch_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(digest, _)| digest)
            .ok_or_else(|| PaymentError::Unavailable(format!("no charge {charge_id}")))?;
        let refunded: i64 = redis::Script::new(LEDGER_REFUND)
            .key(self.entry(digest))
            .arg(charge_id)
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(unavailable)?;
        if refunded == 0 {
            return Err(PaymentError::Unavailable(format!("no charge {charge_id}")));
        }
        Ok(())
    }
}

/// Records a charge under its idempotency key unless one stands (a refunded one does not:
/// taking it again is a new payment); returns the id of the charge that stands.
/// KEYS[1] ledger entry; ARGV charge id, cents, hold.
const LEDGER_CHARGE: &str = r"
if redis.call('HGET', KEYS[1], 'status') == 'charged' then
    return redis.call('HGET', KEYS[1], 'charge')
end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'charge', ARGV[1], 'amount', ARGV[2], 'hold', ARGV[3], 'status', 'charged',
    'at', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
return ARGV[1]
";

/// Marks charge ARGV[1] refunded if it is the one in KEYS[1]; 1 if so (or already), else 0.
const LEDGER_REFUND: &str = r"
if redis.call('HGET', KEYS[1], 'charge') ~= ARGV[1] then
    return 0
end
redis.call('HSET', KEYS[1], 'status', 'refunded')
return 1
";

fn unavailable(e: redis::RedisError) -> PaymentError {
    PaymentError::Unavailable(e.to_string())
}

impl PaymentGateway for SimulatedGateway {
    fn charge<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<String, PaymentError>> {
        Box::pin(self.take(charge))
    }

    fn refund<'a>(&'a self, charge_id: &'a str) -> BoxFuture<'a, Result<(), PaymentError>> {
        Box::pin(self.give_back(charge_id))
    }
}
