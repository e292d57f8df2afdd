//! Wipes all sales on a stack (seat state and outbox in Redis, the queues, the tickets in
//! both stores, the replay topic when there is one) and reloads the catalog: `api reset` and `scripts/reset.sh`. For tests and
//! benchmarks, never production: there is no undo.

use anyhow::Context;
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions, QueuePurgeOptions};
use mysql_async::prelude::Queryable;
use redis::AsyncCommands;

use crate::amqp::{self, Topology};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::{dynamodb, seats, sql};

/// What a reset removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Redis keys deleted.
    pub redis_keys: usize,
    /// Messages purged from all queues, DLQs included.
    pub messages: u64,
    /// Tickets deleted from MySQL.
    pub mysql_tickets: u64,
}

/// Wipes everything sold under the configured key prefix, exchange and database.
pub async fn reset(settings: &Settings) -> anyhow::Result<Report> {
    let mut report = Report {
        redis_keys: delete_keys(settings).await?,
        ..Report::default()
    };

    let connection = amqp::connect(&settings.amqp, "ticketing-reset")
        .await
        .context("Failed to connect to RabbitMQ")?;
    let channel = connection.create_channel().await?;
    let topology = Topology::new(&settings.amqp);
    topology
        .declare(&channel)
        .await
        .context("Failed to declare the topology")?;
    for queue in topology.all_queues() {
        report.messages += u64::from(
            channel
                .queue_purge(queue.as_str().into(), QueuePurgeOptions::default())
                .await
                .with_context(|| format!("Failed to purge {queue}"))?,
        );
    }
    connection.close(0, "reset done".into()).await.ok();

    let catalog = Catalog::load(settings.catalog_path.as_deref())?;
    let mysql = sql::connect(&settings.mysql).await?;
    sql::migrate(&mysql).await?;
    sql::upsert_catalog(&mysql, &catalog).await?;
    let mut conn = mysql.get_conn().await?;
    conn.query_drop("DELETE FROM ticket")
        .await
        .context("Failed to delete the MySQL tickets")?;
    report.mysql_tickets = conn.affected_rows();
    drop(conn);
    mysql.disconnect().await.ok();

    // Dropping and recreating is the only bulk delete DynamoDB has.
    let client = dynamodb::connect(&settings.dynamodb).await;
    dynamodb::delete_tables(&client, &settings.dynamodb).await?;
    dynamodb::ensure_tables(&client, &settings.dynamodb).await?;

    // The replay topic holds the same sales; a replay after a reset must not bring them back.
    if settings.kafka.enabled() {
        crate::kafka::delete_topic(&settings.kafka)
            .await
            .context("Failed to delete the replay topic")?;
    }

    Ok(report)
}

/// Deletes every Redis key under the configured prefix; returns how many.
async fn delete_keys(settings: &Settings) -> anyhow::Result<usize> {
    let mut redis = seats::connect(&settings.redis)
        .await
        .context("Failed to connect to Redis")?;
    let pattern = seats::all_keys_pattern(&settings.redis.key_prefix);
    let keys: Vec<String> = {
        let mut iter = redis
            .scan_match::<_, String>(&pattern)
            .await
            .context("Failed to scan Redis keys")?;
        let mut keys = Vec::new();
        while let Some(key) = futures_util::StreamExt::next(&mut iter).await {
            keys.push(key.context("Failed to scan Redis keys")?);
        }
        keys
    };
    for chunk in keys.chunks(500) {
        let _: () = redis.unlink(chunk).await.context("Failed to delete Redis keys")?;
    }
    Ok(keys.len())
}

/// Removes everything named by `settings`, not just its contents: the Redis keys under the
/// prefix, the queues and the exchange, the database and the DynamoDB tables. For throwaway
/// namespaces of tests and benchmarks (never the names of a stack in use); best effort,
/// since it also runs after failures.
pub async fn remove_all(settings: &Settings) {
    delete_keys(settings).await.ok();
    if let Ok(connection) = amqp::connect(&settings.amqp, "ticketing-cleanup").await {
        if let Ok(channel) = connection.create_channel().await {
            let topology = Topology::new(&settings.amqp);
            for queue in topology.all_queues() {
                channel
                    .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                    .await
                    .ok();
            }
            channel
                .exchange_delete(topology.exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await
                .ok();
        }
        connection.close(200, "cleaned up".into()).await.ok();
    }
    sql::drop_database(&settings.mysql).await.ok();
    let dynamodb = dynamodb::connect(&settings.dynamodb).await;
    dynamodb::delete_tables(&dynamodb, &settings.dynamodb).await.ok();
}
