//! The `consumers` command line: the consumers themselves, and the operations on what they
//! keep (redrive, replay, reset). Each subcommand loads only the configuration it uses.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use consumers::audit::audit;
use consumers::config::{ConsumersSettings, StackSettings};
use consumers::replay::replay;
use consumers::reset::reset;
use consumers::startup::{healthcheck, run, StoreName, Which};
use infra::amqp::redrive;
use infra::config::{AmqpSettings, Env};
use tokio::sync::watch;

// glibc's allocator was a sixth of the purchase path's CPU in profiles; mimalloc's
// thread-local free lists take most of that away.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SQL and NoSQL consumers of the ticket events: MySQL holds the read model, DynamoDB the
/// write model. Configured by environment variables (README, "Configuration").
#[derive(Debug, Parser)]
#[command(name = "consumers", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run both consumers until SIGTERM or Ctrl-C (the default).
    All,
    /// Run the SQL consumer (the MySQL read model) only.
    Mysql,
    /// Run the NoSQL consumer (the DynamoDB write model) only.
    Dynamodb,
    /// Move dead-lettered messages back to their store's queue, once their cause is fixed.
    ///
    /// Moves at most the messages the DLQ holds when it starts, so a message that is still
    /// poison, dead-lettered again by a running consumer, is not moved a second time.
    Redrive {
        /// Whose DLQ.
        #[arg(value_enum)]
        store: StoreName,
        /// Move at most this many.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Rebuild the stores from the replay topic (KAFKA_BOOTSTRAP), from its earliest offset.
    ///
    /// Idempotent: replaying twice changes nothing. Prints a JSON report and exits 1 if the
    /// topic held records the stores refused.
    Replay {
        /// Which stores to rebuild.
        #[arg(value_enum, default_value_t = Which::All)]
        stores: Which,
    },
    /// Compare, per event, the seats sold in Redis, the tickets in MySQL and DynamoDB, the
    /// outbox and the dead-letter queues; report what disagrees.
    ///
    /// Prints a summary (or, with --json, the report as JSON) and exits 1 when anything is
    /// wrong. With --repair it also re-publishes a ticket one store has and the other lacks
    /// and rebuilds the seat state where a stored seat is not sold in Redis or a counter
    /// disagrees; it never invents a ticket. Run it again to see the repair land.
    Audit {
        /// One event only.
        #[arg(long)]
        event: Option<String>,
        /// Mend what can be mended.
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Wipe all sales (seat state, outbox, queues, both stores, the replay topic) and reload
    /// the catalog. For tests and benchmarks: there is no undo.
    Reset,
    /// Exit 0 if the broker answers and every queue exists (the container health check).
    Healthcheck,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::process();
    if let Err(e) = infra::telemetry::init_from(&env) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    match execute(cli.command.unwrap_or(Command::All), &env).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "consumers stopped on an error");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, env: &Env) -> anyhow::Result<()> {
    match command {
        Command::All => consume(env, Which::All).await,
        Command::Mysql => consume(env, Which::Mysql).await,
        Command::Dynamodb => consume(env, Which::Dynamodb).await,
        Command::Redrive { store, limit } => {
            let amqp = AmqpSettings::load(env)?;
            let queue = infra::amqp::queue_name(&amqp, store.queue());
            let moved = redrive(&amqp, &queue, limit).await?;
            tracing::info!(queue, moved, "dead-lettered messages moved back");
            Ok(())
        }
        Command::Replay { stores } => {
            let report = replay(&ConsumersSettings::load(env)?, stores).await?;
            println!("{}", serde_json::to_string(&report)?);
            anyhow::ensure!(
                report.clean(),
                "the topic held records the stores refused; see the ERROR lines above"
            );
            Ok(())
        }
        Command::Audit { event, repair, json } => {
            let report = audit(&StackSettings::load(env)?, event.as_deref(), repair).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
            }
            anyhow::ensure!(report.problems == 0, "the audit found {} problems", report.problems);
            Ok(())
        }
        Command::Reset => {
            let report = reset(&StackSettings::load(env)?).await?;
            tracing::info!(?report, "all sales wiped, catalog reloaded");
            Ok(())
        }
        Command::Healthcheck => healthcheck(&AmqpSettings::load(env)?).await,
    }
}

/// Runs `which` consumers until SIGTERM or Ctrl-C, then lets them finish their batches.
async fn consume(env: &Env, which: Which) -> anyhow::Result<()> {
    let settings = ConsumersSettings::load(env)?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        infra::shutdown::signal().await;
        tracing::info!("shutting down: finishing the batches in flight");
        tx.send_replace(true);
    });
    run(settings, which, rx).await
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_refuses_what_it_does_not_know() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["consumers"]).unwrap().command.is_none());
        assert!(matches!(
            Cli::try_parse_from(["consumers", "redrive", "mysql", "--limit", "5"])
                .unwrap()
                .command,
            Some(Command::Redrive {
                store: StoreName::Mysql,
                limit: Some(5)
            })
        ));
        assert!(matches!(
            Cli::try_parse_from(["consumers", "audit", "--event", "Event1", "--repair"])
                .unwrap()
                .command,
            Some(Command::Audit { event: Some(e), repair: true, json: false }) if e == "Event1"
        ));
        for bad in [
            vec!["consumers", "audit", "--event"],
            vec!["consumers", "mysqll"],
            vec!["consumers", "redrive"],
            vec!["consumers", "redrive", "mysql", "--limit"],
            vec!["consumers", "redrive", "mysql", "--limit", "x"],
            vec!["consumers", "mysql", "--bogus"],
            vec!["consumers", "replay", "postgres"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}
