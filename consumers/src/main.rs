//! `consumers [all|mysql|dynamodb]`: runs both consumers, or one (separately deployable and
//! scalable). SIGTERM or Ctrl-C finishes the batches in flight, then exits.

use std::process::ExitCode;

use consumers::startup::{run, Which};
use infra::config::Settings;
use tokio::sync::watch;

#[tokio::main]
async fn main() -> ExitCode {
    infra::telemetry::init();
    let result = async {
        let which: Which = std::env::args().nth(1).as_deref().unwrap_or("all").parse()?;
        let settings = Settings::from_env()?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            infra::shutdown::signal().await;
            tracing::info!("shutting down: finishing the batches in flight");
            tx.send_replace(true);
        });
        run(settings, which, rx).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "consumers stopped on an error");
            ExitCode::FAILURE
        }
    }
}
