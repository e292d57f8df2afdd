//! The tracing subscriber, set up once per process.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{Env, LogSettings};

/// Installs the subscriber that `env`'s `RUST_LOG` and `LOG_FORMAT` describe: the first step
/// of every program's `main` (which reports an error on stderr: there is no log yet).
pub fn init_from(env: &Env) -> anyhow::Result<()> {
    init(&LogSettings::load(env)?)
}

/// Installs the global subscriber: `RUST_LOG`'s filter, text or one JSON object per line
/// (`LOG_FORMAT=json`) for log shippers. A filter that does not parse is an error, reported
/// before anything else runs. A second call (tests) keeps the first subscriber.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&settings.filter)
        .map_err(|e| anyhow::anyhow!("configuration variable RUST_LOG={:?} is invalid: {e}", settings.filter))?;
    let builder = fmt().with_env_filter(filter).with_target(true);
    let _ = if settings.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    Ok(())
}
