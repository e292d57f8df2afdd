//! `consumers [all|mysql|dynamodb]`: runs both consumers, or one (separately deployable and
//! scalable). SIGTERM or Ctrl-C finishes the batches in flight, then exits.
//! `consumers redrive <mysql|dynamodb> [--limit N]` moves dead-lettered messages back.
//! `consumers replay [all|mysql|dynamodb]` rebuilds the stores from the replay topic; it exits
//! 1 if the topic held anything the stores refused.
//! `consumers healthcheck` exits 0 if the broker answers and the queues exist (for containers).

use std::process::ExitCode;

use anyhow::Context;
use consumers::startup::{run, Which};
use infra::config::Settings;
use tokio::sync::watch;

// glibc's allocator was a sixth of the purchase path's CPU in profiles; mimalloc's
// thread-local free lists take most of that away.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    infra::telemetry::init();
    let result = async {
        let settings = Settings::from_env()?;
        let command = std::env::args().nth(1);
        match command.as_deref() {
            Some("healthcheck") => return consumers::startup::healthcheck(&settings).await,
            Some("redrive") => return redrive(&settings).await,
            Some("replay") => return replay(&settings).await,
            _ => {}
        }
        let which: Which = command.as_deref().unwrap_or("all").parse()?;
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

async fn replay(settings: &Settings) -> anyhow::Result<()> {
    let which: Which = std::env::args().nth(2).as_deref().unwrap_or("all").parse()?;
    let report = consumers::replay::replay(settings, which).await?;
    println!("{}", serde_json::to_string(&report)?);
    anyhow::ensure!(
        report.clean(),
        "the topic held records the stores refused; see the ERROR lines above"
    );
    Ok(())
}

async fn redrive(settings: &Settings) -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let base = match args.first().map(String::as_str) {
        Some("mysql") => infra::amqp::MYSQL_QUEUE,
        Some("dynamodb") => infra::amqp::DYNAMODB_QUEUE,
        _ => anyhow::bail!("usage: consumers redrive <mysql|dynamodb> [--limit N]"),
    };
    let limit = match args.get(1).map(String::as_str) {
        Some("--limit") => args
            .get(2)
            .context("--limit needs a number")?
            .parse()
            .context("--limit needs a number")?,
        Some(other) => anyhow::bail!("unexpected argument `{other}`"),
        None => u64::MAX,
    };
    let queue = infra::amqp::queue_name(&settings.amqp, base);
    let moved = consumers::redrive::redrive(&settings.amqp, &queue, limit).await?;
    tracing::info!(queue, moved, "dead-lettered messages moved back");
    Ok(())
}
