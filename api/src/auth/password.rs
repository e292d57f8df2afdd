//! Passwords, hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, one
//! lane, a random 16-byte salt per password) into a PHC string. Hashing takes tens of
//! milliseconds of CPU on purpose, so it runs on the blocking pool, never on a request
//! thread.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// The PHC string of `password`.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await
    .context("the password hasher stopped")?
}

/// Whether `password` matches `hash`. With no hash (an unknown account) a dummy one is
/// checked, so that the answer takes as long for an unknown email as for a wrong password.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy().to_owned());
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        Ok(known && matches)
    })
    .await
    .context("the password hasher stopped")?
}

/// A hash of a password no one knows, made once.
fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = argon2::password_hash::generate_salt();
        Argon2::default()
            .hash_password_with_salt(b"no account has this password", &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let first = hash("correct horse battery".into()).await.unwrap();
        let second = hash("correct horse battery".into()).await.unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "a salt of its own each time");
        assert!(!first.contains("correct horse"));
        assert!(verify("correct horse battery".into(), Some(first.clone()))
            .await
            .unwrap());
        assert!(!verify("correct horse batterY".into(), Some(first)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap(), "no account, no match");
    }
}
