//! Failed logins per email, counted in Redis so that every api instance sees the same count:
//! after [`MAX_FAILURES`] within [`WINDOW`] of the first, logins for that email answer 429
//! until the window ends. A successful login clears the count.

use std::time::Duration;

use infra::redis::Conn;
use sha2::{Digest, Sha256};

/// Failed logins allowed per email and window.
pub const MAX_FAILURES: u64 = 5;
/// The window, from the first failure.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The failed-login counters under one key prefix.
#[derive(Clone)]
pub struct Limiter {
    redis: Conn,
    prefix: String,
}

impl Limiter {
    /// Counters in `redis` under `key_prefix`.
    pub fn new(redis: Conn, key_prefix: &str) -> Self {
        Self {
            redis,
            prefix: key_prefix.to_owned(),
        }
    }

    /// How long `email` must wait before it may try again, if it has failed too often.
    pub async fn blocked(&self, email: &str) -> redis::RedisResult<Option<Duration>> {
        let key = self.key(email);
        let (failures, ttl_ms): (Option<u64>, i64) = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut self.redis.clone())
            .await?;
        Ok((failures.unwrap_or(0) >= MAX_FAILURES).then(|| Duration::from_millis(ttl_ms.max(1000) as u64)))
    }

    /// Counts a failed login of `email`; the first starts the window.
    pub async fn failed(&self, email: &str) -> redis::RedisResult<()> {
        let key = self.key(email);
        redis::pipe()
            .atomic()
            .incr(&key, 1)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(WINDOW.as_millis() as u64)
            .arg("NX")
            .ignore()
            .query_async(&mut self.redis.clone())
            .await
    }

    /// Clears the count of `email` after a successful login.
    pub async fn succeeded(&self, email: &str) -> redis::RedisResult<()> {
        redis::cmd("DEL")
            .arg(self.key(email))
            .query_async(&mut self.redis.clone())
            .await
    }

    /// The email is hashed: addresses do not appear in Redis.
    fn key(&self, email: &str) -> String {
        let digest = Sha256::digest(email.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:login-failures:{hex}", self.prefix)
    }
}
