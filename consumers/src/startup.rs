//! Connecting the stores and running the consumers until shutdown.

use std::time::Duration;

use futures_util::future::OptionFuture;
use infra::amqp::{queue_name, DYNAMODB_QUEUE, MYSQL_QUEUE};
use infra::config::Settings;
use infra::retry::backoff;
use infra::shutdown::Stop;
use infra::{dynamodb, sql};
use tokio::sync::watch;

use crate::dynamodb::DynamoDbStore;
use crate::mysql::MysqlStore;
use crate::runner::Runner;

/// Which consumers a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Both.
    All,
    /// The SQL consumer only.
    Mysql,
    /// The NoSQL consumer only.
    Dynamodb,
}

impl std::str::FromStr for Which {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "all" => Ok(Self::All),
            "mysql" => Ok(Self::Mysql),
            "dynamodb" => Ok(Self::Dynamodb),
            other => anyhow::bail!("unknown consumer `{other}`; expected all, mysql or dynamodb"),
        }
    }
}

/// Runs the chosen consumers until `shutdown` turns true. Each store starts on its own: one
/// that is down at start is waited for (with backoff), as it would be mid-run, without
/// holding up the other.
pub async fn run(settings: Settings, which: Which, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    // Joined rather than spawned: dropping this future stops everything it started.
    let mysql = matches!(which, Which::All | Which::Mysql).then(|| run_mysql(settings.clone(), shutdown.clone()));
    let dynamodb =
        matches!(which, Which::All | Which::Dynamodb).then(|| run_dynamodb(settings.clone(), shutdown.clone()));
    futures_util::future::join(OptionFuture::from(mysql), OptionFuture::from(dynamodb)).await;
    Ok(())
}

/// The SQL consumer.
pub async fn run_mysql(settings: Settings, shutdown: watch::Receiver<bool>) {
    let mut stop = Stop::new(shutdown.clone(), Duration::ZERO);
    let ready = until_ready("mysql", &mut stop, settings.consumer.backoff_max, || async {
        let pool = sql::connect(&settings.mysql).await?;
        sql::migrate(&pool).await?;
        Ok(pool)
    });
    if let Some(pool) = ready.await {
        let queue = queue_name(&settings.amqp, MYSQL_QUEUE);
        Runner::new(MysqlStore::new(pool), queue, settings.amqp, settings.consumer)
            .run(shutdown)
            .await;
    }
}

/// The NoSQL consumer.
pub async fn run_dynamodb(settings: Settings, shutdown: watch::Receiver<bool>) {
    let mut stop = Stop::new(shutdown.clone(), Duration::ZERO);
    let client = dynamodb::connect(&settings.dynamodb).await;
    let ready = until_ready("dynamodb", &mut stop, settings.consumer.backoff_max, || async {
        dynamodb::ensure_tables(&client, &settings.dynamodb).await
    });
    if ready.await.is_some() {
        let store = DynamoDbStore::new(client, &settings.dynamodb);
        let queue = queue_name(&settings.amqp, DYNAMODB_QUEUE);
        Runner::new(store, queue, settings.amqp, settings.consumer)
            .run(shutdown)
            .await;
    }
}

/// Succeeds if the broker answers and every queue of the topology exists.
pub async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    let connection = infra::amqp::connect(&settings.amqp, "ticketing-consumer-healthcheck").await?;
    let channel = connection.create_channel().await?;
    let passive = lapin::options::QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    for queue in infra::amqp::Topology::new(&settings.amqp).all_queues() {
        channel
            .queue_declare(queue.as_str().into(), passive, lapin::types::FieldTable::default())
            .await
            .map_err(|e| anyhow::anyhow!("queue {queue}: {e}"))?;
    }
    connection.close(200, "healthy".into()).await.ok();
    Ok(())
}

/// Retries `connect` with backoff until it succeeds, or returns `None` on shutdown.
async fn until_ready<T, F, Fut>(store: &str, stop: &mut Stop, max: Duration, mut connect: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut retry = backoff(Duration::from_millis(200), max);
    loop {
        match connect().await {
            Ok(value) => return Some(value),
            Err(e) => tracing::warn!(store, error = format!("{e:#}"), "store unavailable at start; retrying"),
        }
        if stop.requested() {
            return None;
        }
        stop.sleep(retry.next().unwrap_or(max)).await;
    }
}
