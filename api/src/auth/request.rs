//! The bodies of `POST /api/v1/auth/register` and `POST /api/v1/auth/login`.

use crate::input::{self, InvalidInput};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted: enough for any passphrase, and a bound on the work of hashing.
pub const MAX_PASSWORD: usize = 256;
/// Longest email (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Lower-cased.
    pub email: String,
    /// As typed; only its hash is kept.
    pub password: String,
    /// Display name.
    pub name: String,
}

/// A sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Lower-cased.
    pub email: String,
    /// As typed.
    pub password: String,
}

/// Parses a registration: a plausible email, a password of [`MIN_PASSWORD`] to
/// [`MAX_PASSWORD`] characters, a name of 1 to 100.
pub fn registration(body: &[u8]) -> Result<Registration, InvalidInput> {
    let map = input::parse_object(body)?;
    let object = input::fields(&map);
    let email = object.string_that("email", EMAIL, is_email)?;
    let password = object.string_that("password", &password_rule(), is_password)?;
    let name = object.string("name", 1, 100)?;
    Ok(Registration {
        email: email.to_lowercase(),
        password: password.to_owned(),
        name: name.trim().to_owned(),
    })
}

impl Registration {
    /// The same rules for an account made on the command line (`api users create`).
    pub fn new(email: &str, password: String, name: &str) -> Result<Self, String> {
        if !is_email(email) {
            return Err(format!("--email must be {EMAIL}"));
        }
        if !is_password(&password) {
            return Err(format!("the password must be {}", password_rule()));
        }
        if !(1..=100).contains(&name.trim().chars().count()) {
            return Err("--name must be 1 to 100 characters".into());
        }
        Ok(Self {
            email: email.to_lowercase(),
            password,
            name: name.trim().to_owned(),
        })
    }
}

const EMAIL: &str = "an email address such as ada@example.com";

fn password_rule() -> String {
    format!("a string of {MIN_PASSWORD} to {MAX_PASSWORD} characters")
}

fn is_password(password: &str) -> bool {
    (MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count())
}

/// Parses a sign-in: any email and password of sane length (a wrong one is a 401, not a 400,
/// so the answer does not tell which rule an account's password follows).
pub fn credentials(body: &[u8]) -> Result<Credentials, InvalidInput> {
    let map = input::parse_object(body)?;
    let object = input::fields(&map);
    Ok(Credentials {
        email: object.string("email", 1, MAX_EMAIL)?.to_lowercase(),
        password: object.string("password", 1, MAX_PASSWORD)?.to_owned(),
    })
}

/// One `@` with something before it, a dotted domain after it, no blanks or control
/// characters, at most [`MAX_EMAIL`] bytes: the shape of an address, not a proof that it
/// receives mail.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL
        && (1..=64).contains(&local.len())
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn register(value: serde_json::Value) -> Result<Registration, InvalidInput> {
        registration(&serde_json::to_vec(&value).unwrap())
    }

    #[test]
    fn a_registration_needs_an_email_a_long_password_and_a_name() {
        let ok = register(json!({"email": "Ada@Example.com", "password": "0123456789", "name": " Ada "})).unwrap();
        assert_eq!((ok.email.as_str(), ok.name.as_str()), ("ada@example.com", "Ada"));
        let cases = [
            (json!({"email": "ada", "password": "0123456789", "name": "A"}), "email"),
            (
                json!({"email": "ada@localhost", "password": "0123456789", "name": "A"}),
                "email",
            ),
            (
                json!({"email": "a b@example.com", "password": "0123456789", "name": "A"}),
                "email",
            ),
            (
                json!({"email": format!("{}@example.com", "a".repeat(10_000)), "password": "0123456789", "name": "A"}),
                "email",
            ),
            (json!({"email": 5, "password": "0123456789", "name": "A"}), "email"),
            (
                json!({"email": "ada@example.com", "password": "012345678", "name": "A"}),
                "password",
            ),
            (
                json!({"email": "ada@example.com", "password": "0123456789", "name": ""}),
                "name",
            ),
            (json!({"email": "ada@example.com", "password": "0123456789"}), "name"),
        ];
        for (body, field) in cases {
            let err = register(body.clone()).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{body}");
        }
    }
}
