//! The `api` command line: `api [serve]` runs the server, `api healthcheck` asks a running
//! one whether it is alive (for container health checks).

use std::process::ExitCode;

use anyhow::Context;
use api::auth::request::Registration;
use api::auth::Role;
use api::config::ApiSettings;
use api::startup::Application;
use clap::{Parser, Subcommand};
use infra::config::{Env, HttpSettings, MysqlSettings};
use secrecy::ExposeSecret;

// glibc's allocator was a sixth of the purchase path's CPU in profiles; mimalloc's
// thread-local free lists take most of that away.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The ticketing api: purchases committed by one Redis Lua script, queries, and the outbox
/// relay to RabbitMQ. Configured by environment variables (README, "Configuration").
#[derive(Debug, Parser)]
#[command(name = "api", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and run the outbox relay until SIGTERM or Ctrl-C (the default).
    Serve,
    /// Exit 0 if the api on this host answers `/api/v1/health` (on API_BIND's port) within 2 s.
    Healthcheck,
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create an account. The password is read from USER_PASSWORD, else from the first line
    /// of standard input; there is never a default one.
    Create {
        /// Its email.
        #[arg(long)]
        email: String,
        /// Its display name.
        #[arg(long, default_value = "Admin")]
        name: String,
        /// An admin account (the default is a buyer).
        #[arg(long)]
        admin: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::process();
    if let Err(e) = infra::telemetry::init_from(&env) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    match execute(cli.command.unwrap_or(Command::Serve), &env).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "api stopped on an error");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, env: &Env) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let settings = ApiSettings::load(env)?;
            tracing::debug!(?settings, "configuration");
            let app = Application::build(settings).await.context("Failed to start the api")?;
            app.run_until(infra::shutdown::signal()).await
        }
        Command::Healthcheck => {
            let http = HttpSettings::load(env)?;
            infra::probe::http_ok(http.bind.port(), "/api/v1/health").await
        }
        Command::Users {
            command: UsersCommand::Create { email, name, admin },
        } => create_user(env, &email, &name, admin).await,
    }
}

/// `api users create`: prints `{"userId": ...}`.
async fn create_user(env: &Env, email: &str, name: &str, admin: bool) -> anyhow::Result<()> {
    let password = match env.optional_secret("USER_PASSWORD") {
        Some(password) => password.expose_secret().to_owned(),
        None => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("Failed to read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let registration = Registration::new(email, password, name).map_err(anyhow::Error::msg)?;
    let pool = infra::mysql::connect(&MysqlSettings::load(env)?).await?;
    infra::mysql::migrate(&pool).await?;
    let role = if admin { Role::Admin } else { Role::Buyer };
    let user = api::auth::create_account(&pool, registration, role)
        .await
        .context("Failed to create the account")?;
    pool.disconnect().await.ok();
    println!("{}", serde_json::json!({"userId": user.user_id, "role": role.as_str()}));
    tracing::info!(user_id = %user.user_id, role = role.as_str(), "account created");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_refuses_what_it_does_not_know() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["api"]).unwrap().command.is_none());
        assert!(matches!(
            Cli::try_parse_from(["api", "healthcheck"]).unwrap().command,
            Some(Command::Healthcheck)
        ));
        for bad in [
            vec!["api", "reset"],
            vec!["api", "serve", "--port", "1"],
            vec!["api", "--bogus"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}
