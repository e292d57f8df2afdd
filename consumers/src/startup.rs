//! Connecting the stores and running the consumers until shutdown.

use std::time::Duration;

use futures_util::future::OptionFuture;
use infra::amqp::{queue_name, DYNAMODB_QUEUE, MYSQL_QUEUE};
use infra::config::AmqpSettings;
use infra::retry::backoff;
use infra::shutdown::Stop;
use infra::{dynamodb, mysql};
use tokio::sync::watch;

use crate::config::ConsumersSettings;
use crate::dynamodb::DynamoDbStore;
use crate::mysql::MysqlStore;
use crate::runner::Runner;

/// Which stores a process or a replay serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// Both.
    All,
    /// The MySQL read model only.
    Mysql,
    /// The DynamoDB write model only.
    Dynamodb,
}

impl Which {
    /// Whether the MySQL read model is among them.
    pub fn mysql(self) -> bool {
        matches!(self, Self::All | Self::Mysql)
    }

    /// Whether the DynamoDB write model is among them.
    pub fn dynamodb(self) -> bool {
        matches!(self, Self::All | Self::Dynamodb)
    }
}

/// One store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreName {
    /// The MySQL read model.
    Mysql,
    /// The DynamoDB write model.
    Dynamodb,
}

impl StoreName {
    /// Its name in logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Mysql => "mysql",
            Self::Dynamodb => "dynamodb",
        }
    }

    /// The base name of its queue.
    pub fn queue(self) -> &'static str {
        match self {
            Self::Mysql => MYSQL_QUEUE,
            Self::Dynamodb => DYNAMODB_QUEUE,
        }
    }
}

/// Runs the chosen consumers until `shutdown` turns true. Each store starts on its own: one
/// that is down at start is waited for (with backoff), as it would be mid-run, without
/// holding up the other.
pub async fn run(settings: ConsumersSettings, which: Which, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    // Joined rather than spawned: dropping this future stops everything it started.
    let mysql = which.mysql().then(|| run_mysql(settings.clone(), shutdown.clone()));
    let dynamodb = which
        .dynamodb()
        .then(|| run_dynamodb(settings.clone(), shutdown.clone()));
    let stores = [
        (which.mysql(), StoreName::Mysql),
        (which.dynamodb(), StoreName::Dynamodb),
    ]
    .into_iter()
    .filter_map(|(served, store)| served.then_some(store))
    .collect();
    if settings.consumer.metrics_bind.is_some() {
        // Before anything is counted.
        infra::metrics::handle();
    }
    let metrics = settings
        .consumer
        .metrics_bind
        .map(|bind| crate::metrics::serve(bind, settings.amqp.clone(), stores, shutdown.clone()));
    let (_, _, served) = futures_util::future::join3(
        OptionFuture::from(mysql),
        OptionFuture::from(dynamodb),
        OptionFuture::from(metrics),
    )
    .await;
    served.transpose().map(drop)
}

/// The SQL consumer.
pub async fn run_mysql(settings: ConsumersSettings, shutdown: watch::Receiver<bool>) {
    let mut stop = Stop::new(shutdown.clone(), Duration::ZERO);
    let ready = until_ready("mysql", &mut stop, settings.consumer.backoff_max, || async {
        let pool = mysql::connect(&settings.mysql).await?;
        mysql::migrate(&pool).await?;
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
pub async fn run_dynamodb(settings: ConsumersSettings, shutdown: watch::Receiver<bool>) {
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
pub async fn healthcheck(settings: &AmqpSettings) -> anyhow::Result<()> {
    let connection = infra::amqp::connect(settings, "ticketing-consumer-healthcheck").await?;
    let channel = connection.create_channel().await?;
    let passive = lapin::options::QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    for queue in infra::amqp::Topology::new(settings).all_queues() {
        channel
            .queue_declare(queue.as_str().into(), passive, lapin::types::FieldTable::default())
            .await
            .map_err(|e| anyhow::anyhow!("queue {queue}: {e}"))?;
    }
    connection.close(200, "healthy".into()).await.ok();
    Ok(())
}

/// Retries `connect` with backoff until it succeeds, or returns `None` on shutdown, also in
/// the middle of an attempt (a store that accepts connections but does not answer yet, such
/// as a JVM still starting, would otherwise hold the shutdown up for its client's timeouts).
async fn until_ready<T, F, Fut>(store: &str, stop: &mut Stop, max: Duration, mut connect: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut retry = backoff(Duration::from_millis(200), max);
    loop {
        let attempt = tokio::select! {
            attempt = connect() => attempt,
            () = stop.wait() => return None,
        };
        match attempt {
            Ok(value) => return Some(value),
            Err(e) => tracing::warn!(store, error = format!("{e:#}"), "store unavailable at start; retrying"),
        }
        if stop.requested() {
            return None;
        }
        stop.sleep(retry.next().unwrap_or(max)).await;
    }
}
