//! `api [serve]` runs the server; `api reset` wipes all sales (see `scripts/reset.sh`);
//! `api healthcheck` exits 0 if the local server answers its health check (for containers).

use std::process::ExitCode;

use anyhow::Context;
use api::startup::Application;
use infra::config::Settings;

// glibc's allocator was a sixth of the purchase path's CPU in profiles; mimalloc's
// thread-local free lists take most of that away.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    infra::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "api stopped on an error");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    tracing::debug!(?settings, "configuration");
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {
            let app = Application::build(settings).await.context("Failed to start the api")?;
            app.run_until(infra::shutdown::signal()).await
        }
        Some("reset") => {
            let report = infra::reset::reset(&settings).await?;
            tracing::info!(?report, "all sales wiped, catalog reloaded");
            Ok(())
        }
        Some("healthcheck") => infra::probe::http_ok(settings.http.bind.port(), "/api/v1/health").await,
        Some(other) => anyhow::bail!("unknown command `{other}`; usage: api [serve|reset|healthcheck]"),
    }
}
