//! Reading variables: the [`Env`] a program reads from, the checks every value passes, and
//! [`SecretUrl`], a URL that never shows its password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// A variable that is set but unusable; the process stops with this message.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

/// A variable's value by name, or `None` when it is not set.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where variables come from: the process environment, or a lookup of a test's own.
pub struct Env(Lookup);

impl Env {
    /// The value of `name`, if it is set.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    /// A secret with no rules of its own, e.g. a password handed to a command; `None` when
    /// unset or empty.
    pub fn optional_secret(&self, name: &str) -> Option<SecretString> {
        self.var(name).filter(|v| !v.is_empty()).map(SecretString::from)
    }

    /// The process environment.
    pub fn process() -> Self {
        Self(Box::new(|name| std::env::var(name).ok()))
    }

    /// Variables from `lookup`, so tests configure without touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Box::new(lookup))
    }
}

/// A URL that may carry a password: shown (`Debug`, `Display`) with the password masked, so
/// logging a setting never leaks it; [`SecretUrl::expose`] gives the URL to a client.
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    /// Wraps `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The URL itself, password included: only for the client that connects with it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(self.expose()))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact(self.expose()))
    }
}

/// The error for variable `name`, set to `value`, which is unusable because of `reason`.
pub(super) fn invalid(name: &'static str, value: String, reason: impl ToString) -> ConfigError {
    ConfigError {
        name,
        value,
        reason: reason.to_string(),
    }
}

/// Typed reads for the sections: each takes the variable's name and its default (as text, as
/// the README shows it), and names the variable in its error.
impl Env {
    pub(super) fn get(&self, name: &str, default: &str) -> String {
        self.var(name).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn parse<T: FromStr>(&self, name: &'static str, default: &str) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        let value = self.get(name, default);
        value.trim().parse().map_err(|e| invalid(name, value, e))
    }

    pub(super) fn parse_in<T>(
        &self,
        name: &'static str,
        default: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Debug,
        T::Err: fmt::Display,
    {
        let parsed: T = self.parse(name, default)?;
        if range.contains(&parsed) {
            Ok(parsed)
        } else {
            Err(invalid(name, self.get(name, default), format!("must be in {range:?}")))
        }
    }

    pub(super) fn millis(&self, name: &'static str, default: &str) -> Result<Duration, ConfigError> {
        self.parse_in(name, default, 1..=3_600_000u64)
            .map(Duration::from_millis)
    }

    pub(super) fn non_empty(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.get(name, default);
        if value.trim().is_empty() {
            return Err(invalid(name, value, "must not be empty"));
        }
        Ok(value)
    }

    /// A secret of at least `min_len` bytes that has no default: the program does not start
    /// without it. Its value never appears in an error.
    pub(super) fn secret(&self, name: &'static str, min_len: usize) -> Result<SecretString, ConfigError> {
        match self.var(name) {
            Some(value) if value.len() >= min_len => Ok(SecretString::from(value)),
            Some(_) => Err(invalid(
                name,
                "(hidden)".into(),
                format!("must be at least {min_len} bytes"),
            )),
            None => Err(invalid(
                name,
                String::new(),
                format!("is required: at least {min_len} random bytes, e.g. `openssl rand -hex 32`"),
            )),
        }
    }

    pub(super) fn key_prefix(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.non_empty(name, default)?;
        if value.contains(['{', '}', ' ']) {
            return Err(invalid(
                name,
                value,
                "must not contain braces or spaces (keys carry hash tags)",
            ));
        }
        Ok(value)
    }

    /// A comma-separated list of URLs with one of `schemes`, an item without a scheme taking
    /// `scheme` (`host:port` is `scheme://host:port`); `default` when unset. The error shows
    /// the list with passwords masked.
    pub(super) fn urls(
        &self,
        name: &'static str,
        default: &str,
        scheme: &str,
        schemes: &[&str],
    ) -> Result<Vec<SecretUrl>, ConfigError> {
        let value = self.get(name, default);
        let masked = || value.split(',').map(redact).collect::<Vec<_>>().join(",");
        let mut list = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let url = if item.contains("://") {
                item.to_owned()
            } else {
                format!("{scheme}://{item}")
            };
            let valid = url.split_once("://").is_some_and(|(s, rest)| {
                let authority = rest.split(['/', '?']).next().unwrap_or_default();
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                schemes.contains(&s) && !host.is_empty()
            });
            if !valid {
                let reason = format!("`{}` is not a {} URL or host:port", redact(item), schemes.join(" or "));
                return Err(invalid(name, masked(), reason));
            }
            list.push(SecretUrl::new(url));
        }
        Ok(list)
    }

    /// A comma-separated list of `host:port`; empty when unset.
    pub(super) fn host_ports(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        let value = self.get(name, "");
        let mut list = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let valid = item
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
            if !valid {
                let reason = format!("`{item}` is not host:port");
                return Err(invalid(name, value.clone(), reason));
            }
            list.push(item.to_owned());
        }
        Ok(list)
    }

    /// A name of `lengths` characters of A-Z, a-z, 0-9, '_', '-', '.': what DynamoDB tables
    /// (3 to 255) and Kafka topics (1 to 249) accept alike.
    pub(super) fn name(
        &self,
        name: &'static str,
        default: &str,
        lengths: std::ops::RangeInclusive<usize>,
    ) -> Result<String, ConfigError> {
        let value = self.get(name, default);
        let valid = lengths.contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            let reason = format!(
                "must be {} to {} characters of A-Z, a-z, 0-9, '_', '-', '.'",
                lengths.start(),
                lengths.end()
            );
            return Err(invalid(name, value, reason));
        }
        Ok(value)
    }

    pub(super) fn url(&self, name: &'static str, default: &str, schemes: &[&str]) -> Result<SecretUrl, ConfigError> {
        let value = self.get(name, default);
        match value.split_once("://") {
            Some((scheme, rest)) if schemes.contains(&scheme) && !rest.is_empty() => Ok(SecretUrl::new(value)),
            _ => Err(invalid(
                name,
                redact(&value),
                format!("must be a URL with scheme {}", schemes.join(" or ")),
            )),
        }
    }
}

/// `scheme://user:secret@host/...` with the password replaced, for logs and errors.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{user}{masked}@{host}")
        }
        None => authority.to_owned(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_leaves_urls_without_passwords_alone() {
        assert_eq!(
            redact("mysql://root@db:3306/ticketing"),
            "mysql://root@db:3306/ticketing"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("redis://:pw@h"), "redis://:***@h");
    }
}
