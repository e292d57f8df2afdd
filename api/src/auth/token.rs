//! Access tokens: JWTs signed with HS256 (`JWT_SECRET`), carrying the user id (`sub`), the
//! role and an expiry (`exp`, `JWT_TTL_SECS` after issue). Only HS256 is accepted, and a
//! token is valid until the second of its `exp`, with no leeway.

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use infra::config::AuthSettings;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds, checks out and buys seats; sees its own tickets.
    Buyer,
    /// And the admin operations.
    Admin,
}

impl Role {
    /// As stored in MySQL and carried in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buyer => "buyer",
            Self::Admin => "admin",
        }
    }
}

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

/// Signs and checks tokens with one secret.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

/// A token just issued.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

impl Tokens {
    /// Tokens signed with `settings.jwt_secret`, valid for `settings.jwt_ttl`.
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).context("JWT_SECRET is not a usable HS256 key")?,
            decoding: DecodingKey::from_secret(secret).context("JWT_SECRET is not a usable HS256 key")?,
            validation,
            ttl_secs: settings.jwt_ttl.as_secs(),
        })
    }

    /// A token for `user` in `role`.
    pub fn issue(&self, user: Uuid, role: Role) -> anyhow::Result<Issued> {
        let now = now();
        let claims = Claims {
            sub: user,
            role,
            iat: now,
            exp: now + self.ttl_secs,
        };
        let access_token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(Issued {
            access_token,
            token_type: "Bearer",
            expires_in: self.ttl_secs,
        })
    }

    /// The claims of `token`, if it is well-formed, signed with our secret and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::SecretString;

    use super::*;

    fn tokens(secret: &str) -> Tokens {
        Tokens::new(&AuthSettings {
            jwt_secret: SecretString::from(secret.to_owned()),
            jwt_ttl: Duration::from_secs(3600),
            require_auth: false,
        })
        .unwrap()
    }

    #[test]
    fn a_token_verifies_with_its_secret_only_and_not_once_expired() {
        let ours = tokens("0123456789abcdef0123456789abcdef");
        let user = Uuid::now_v7();
        let issued = ours.issue(user, Role::Admin).unwrap();
        assert_eq!((issued.token_type, issued.expires_in), ("Bearer", 3600));
        let claims = ours.verify(&issued.access_token).unwrap();
        assert_eq!((claims.sub, claims.role), (user, Role::Admin));

        let theirs = tokens("fedcba9876543210fedcba9876543210");
        assert!(theirs.verify(&issued.access_token).is_err(), "another secret");

        let expired = Claims {
            sub: user,
            role: Role::Buyer,
            iat: now() - 7200,
            exp: now() - 1,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &ours.encoding).unwrap();
        assert!(ours.verify(&token).is_err(), "expired");

        let unsigned = format!("{}.", issued.access_token.rsplit_once('.').unwrap().0);
        assert!(ours.verify(&unsigned).is_err(), "no signature");
        assert!(ours.verify("not.a.jwt").is_err());
    }
}
