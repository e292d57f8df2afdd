//! `consumers reset`: wipes all sales on a stack (seat state and outbox in Redis, the queues,
//! the tickets in both stores, the replay topic when there is one), reloads the catalog and
//! marks every event's (empty) seat state verified, so the api sells at once without
//! rebuilding it from the stores; `scripts/reset.sh` runs it with the stack stopped. For tests and benchmarks, never
//! production: there is no undo.
//!
//! It lives with the consumers because this binary already links every store; the api, which
//! never touches DynamoDB, does not link its SDK for a wipe.

use anyhow::Context;
use domain::Catalog;
use infra::amqp::{self, Topology};
use infra::config::{MysqlSettings, RedisSettings};
use infra::{dynamodb, kafka, mysql};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use mysql_async::prelude::Queryable;

use crate::config::StackSettings;

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

/// Wipes everything sold under the configured key prefix, exchange, database, tables and
/// topic, then reloads the catalog.
pub async fn reset(settings: &StackSettings) -> anyhow::Result<Report> {
    let catalog = settings.catalog.catalog()?;
    let report = Report {
        redis_keys: delete_keys(&settings.redis).await?,
        messages: amqp::purge_all(&settings.amqp).await?,
        mysql_tickets: reload_mysql(&settings.mysql, &catalog).await?,
    };
    // Dropping and recreating is the only bulk delete DynamoDB has.
    let client = dynamodb::connect(&settings.dynamodb).await;
    dynamodb::delete_tables(&client, &settings.dynamodb).await?;
    dynamodb::ensure_tables(&client, &settings.dynamodb).await?;
    // The replay topic holds the same sales; a replay after a reset must not bring them back.
    if settings.kafka.enabled() {
        kafka::delete_topic(&settings.kafka)
            .await
            .context("Failed to delete the replay topic")?;
    }
    // Every store is empty now, and so is the seat state: nothing to rebuild.
    let events: Vec<String> = catalog.events().map(|e| e.event_id.clone()).collect();
    let redis = infra::redis::connect(&settings.redis)
        .await
        .context("Failed to connect to Redis")?;
    infra::redis::mark_verified(&redis, &settings.redis.key_prefix, &events)
        .await
        .context("Failed to mark the seat state verified")?;
    Ok(report)
}

/// Deletes the MySQL tickets and writes the catalog again; returns how many tickets went.
async fn reload_mysql(settings: &MysqlSettings, catalog: &Catalog) -> anyhow::Result<u64> {
    let pool = mysql::connect(settings).await?;
    mysql::migrate(&pool).await?;
    mysql::upsert_catalog(&pool, catalog).await?;
    let mut conn = pool.get_conn().await?;
    conn.query_drop("DELETE FROM ticket")
        .await
        .context("Failed to delete the MySQL tickets")?;
    let deleted = conn.affected_rows();
    drop(conn);
    pool.disconnect().await.ok();
    Ok(deleted)
}

/// Deletes every Redis key under the configured prefix; returns how many.
async fn delete_keys(settings: &RedisSettings) -> anyhow::Result<usize> {
    let mut redis = infra::redis::connect(settings)
        .await
        .context("Failed to connect to Redis")?;
    infra::redis::delete_prefixed(&mut redis, &settings.key_prefix)
        .await
        .context("Failed to delete the Redis keys")
}

/// Removes everything named by `settings`, not just its contents: the Redis keys under the
/// prefix, the queues and the exchange, the database and the DynamoDB tables. For throwaway
/// namespaces of tests and benchmarks (never the names of a stack in use); best effort,
/// since it also runs after failures.
pub async fn remove_all(settings: &StackSettings) {
    delete_keys(&settings.redis).await.ok();
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
            // Closed before the connection: a channel dropped while it is up closes itself
            // in the background, racing the connection's close.
            channel.close(200, "cleaned up".into()).await.ok();
        }
        connection.close(200, "cleaned up".into()).await.ok();
    }
    mysql::drop_database(&settings.mysql).await.ok();
    let dynamodb = dynamodb::connect(&settings.dynamodb).await;
    dynamodb::delete_tables(&dynamodb, &settings.dynamodb).await.ok();
    if settings.kafka.enabled() {
        kafka::delete_topic(&settings.kafka).await.ok();
    }
}
