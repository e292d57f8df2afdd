//! The consumers' drain rate against the raw batched write rate of the same store, measured
//! in one run (issue: "at least 0.8 of raw").
//!
//! Everything happens under names of its own (`drain-<id>` queues and tables, database
//! `drain_<id>`), removed afterwards, so it can run beside a live stack.
//!
//! - raw MySQL: plain multi-row `INSERT`s of `batch` tickets, `concurrency` at a time;
//! - raw DynamoDB: `BatchWriteItem`s of 25 tickets, `concurrency` at a time;
//! - drain: the same tickets published to a fresh queue, then the real consumer (in this
//!   process, `CONSUMER_BATCH_SIZE` = `batch`, `CONSUMER_CONCURRENCY` = `concurrency`) timed
//!   from its start until the store holds them all.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_dynamodb::types::{PutRequest, Select, WriteRequest};
use consumers::startup::{run, Which};
use futures_util::{stream, StreamExt, TryStreamExt};
use infra::amqp::{DYNAMODB_QUEUE, MYSQL_QUEUE};
use infra::catalog::{row, Price};
use infra::config::Settings;
use infra::ticket::{Ticket, TicketEvent};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::BasicProperties;
use mysql_async::prelude::Queryable;
use serde::Serialize;
use tokio::sync::watch;

/// One store's figures.
#[derive(Debug, Serialize)]
pub struct DrainFigures {
    /// `mysql` or `dynamodb`.
    pub store: &'static str,
    /// Tickets written each way.
    pub tickets: usize,
    /// Raw batched writes, tickets per second.
    pub raw_per_sec: f64,
    /// The consumer from a full queue, tickets per second.
    pub drain_per_sec: f64,
    /// `drain_per_sec / raw_per_sec`.
    pub ratio: f64,
}

/// Measures both stores with `tickets` tickets written in batches of `batch`,
/// `concurrency` batches at a time.
pub async fn drain_bench(
    base: &Settings,
    tickets: usize,
    batch: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<DrainFigures>> {
    let id = format!("{:08x}", fastrand::u32(..));
    let database = base
        .mysql
        .url
        .rsplit_once('/')
        .map_or(base.mysql.url.as_str(), |(server, _)| server);
    let overrides: HashMap<&str, String> = HashMap::from([
        ("REDIS_KEY_PREFIX", format!("drain-{id}")),
        ("AMQP_EXCHANGE", format!("drain-{id}.ticket.events")),
        ("AMQP_QUEUE_PREFIX", format!("drain-{id}.")),
        ("MYSQL_URL", format!("{database}/drain_{id}")),
        ("DYNAMODB_TABLE", format!("drain-{id}-tickets")),
        ("DYNAMODB_SEATS_TABLE", format!("drain-{id}-seats")),
        ("CONSUMER_BATCH_SIZE", batch.to_string()),
        ("CONSUMER_CONCURRENCY", concurrency.to_string()),
        ("CONSUMER_PREFETCH", (batch * 2).to_string()),
    ]);
    let settings = Settings::from_lookup(|name| overrides.get(name).cloned().or_else(|| std::env::var(name).ok()))?;
    let all = sample(tickets);
    let result = async {
        let mysql = mysql_figures(&settings, &all, batch, concurrency).await?;
        let dynamodb = dynamodb_figures(&settings, &all, concurrency).await?;
        anyhow::Ok(vec![mysql, dynamodb])
    }
    .await;
    infra::reset::remove_all(&settings).await;
    result
}

/// `n` tickets for distinct seats of Event1 (up to 78,000).
fn sample(n: usize) -> Vec<Ticket> {
    (0..n as u32)
        .map(|i| {
            let (zone, seat) = (i / 780 + 1, i % 780);
            Ticket::issue(
                "Venue1",
                "Event1",
                zone,
                row::label(seat / 30 + 1),
                seat % 30 + 1,
                Price::from_cents(4000),
            )
        })
        .collect()
}

async fn mysql_figures(
    settings: &Settings,
    tickets: &[Ticket],
    batch: usize,
    concurrency: usize,
) -> anyhow::Result<DrainFigures> {
    let pool = infra::sql::connect(&settings.mysql).await?;
    infra::sql::migrate(&pool).await?;
    let started = Instant::now();
    stream::iter(tickets.chunks(batch))
        .map(|chunk| {
            let pool = pool.clone();
            async move {
                let mut conn = pool.get_conn().await?;
                // The consumer's own statement and values, without IGNORE and its read-back.
                let statement = consumers::mysql::insert_statement(chunk.len(), false);
                conn.exec_drop(statement, consumers::mysql::insert_params(chunk))
                    .await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await?;
    let raw = started.elapsed();
    pool.get_conn().await?.query_drop("DELETE FROM ticket").await?;

    publish(settings, tickets, MYSQL_QUEUE).await?;
    let drain = time_consumer(
        settings,
        Which::Mysql,
        || async {
            let count: Option<u64> = pool
                .get_conn()
                .await?
                .query_first("SELECT COUNT(*) FROM ticket")
                .await?;
            anyhow::Ok(count.unwrap_or(0) as usize)
        },
        tickets.len(),
        Duration::from_millis(20),
    )
    .await?;
    pool.disconnect().await.ok();
    Ok(figures("mysql", tickets.len(), raw, drain))
}

async fn dynamodb_figures(settings: &Settings, tickets: &[Ticket], concurrency: usize) -> anyhow::Result<DrainFigures> {
    let client = infra::dynamodb::connect(&settings.dynamodb).await;
    infra::dynamodb::ensure_tables(&client, &settings.dynamodb).await?;
    let table = settings.dynamodb.table.clone();
    let started = Instant::now();
    stream::iter(tickets.chunks(25))
        .map(|chunk| {
            let (client, table) = (client.clone(), table.clone());
            async move {
                let mut pending: Vec<WriteRequest> = chunk
                    .iter()
                    .map(|t| {
                        let item = consumers::dynamodb::ticket_item(t);
                        Ok(WriteRequest::builder()
                            .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                            .build())
                    })
                    .collect::<anyhow::Result<_>>()?;
                while !pending.is_empty() {
                    let output = client.batch_write_item().request_items(&table, pending).send().await?;
                    pending = output
                        .unprocessed_items()
                        .and_then(|u| u.get(&table))
                        .cloned()
                        .unwrap_or_default();
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await?;
    let raw = started.elapsed();
    infra::dynamodb::delete_tables(&client, &settings.dynamodb).await?;
    infra::dynamodb::ensure_tables(&client, &settings.dynamodb).await?;

    publish(settings, tickets, DYNAMODB_QUEUE).await?;
    let drain = time_consumer(
        settings,
        Which::Dynamodb,
        || count_items(&client, &table),
        tickets.len(),
        Duration::from_millis(250),
    )
    .await?;
    Ok(figures("dynamodb", tickets.len(), raw, drain))
}

fn figures(store: &'static str, tickets: usize, raw: Duration, (drained, drain): (usize, Duration)) -> DrainFigures {
    let raw_per_sec = tickets as f64 / raw.as_secs_f64();
    let drain_per_sec = drained as f64 / drain.as_secs_f64();
    DrainFigures {
        store,
        tickets,
        raw_per_sec,
        drain_per_sec,
        ratio: drain_per_sec / raw_per_sec,
    }
}

/// Items in `table`, every page counted.
async fn count_items(client: &aws_sdk_dynamodb::Client, table: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        count += page.count() as usize;
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(count);
        }
    }
}

/// Declares the topology, then publishes the events of `tickets` straight to the queue
/// `base` (not through the fanout exchange: only the store being measured gets them).
async fn publish(settings: &Settings, tickets: &[Ticket], base: &str) -> anyhow::Result<()> {
    let queue = infra::amqp::queue_name(&settings.amqp, base);
    let connection = infra::amqp::connect(&settings.amqp, "drain-bench").await?;
    let channel = connection.create_channel().await?;
    infra::amqp::Topology::new(&settings.amqp).declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    for ticket in tickets {
        let body = TicketEvent::to_json(ticket)?;
        let properties = BasicProperties::default()
            .with_message_id(ticket.ticket_id.to_string().into())
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        channel
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions::default(),
                body.as_bytes(),
                properties,
            )
            .await?;
    }
    channel.wait_for_confirms().await?;
    connection.close(200, "published".into()).await.ok();
    Ok(())
}

/// Runs one consumer until `count` reaches `expected`, polling every `poll`. Returns how
/// many tickets it stored from the first poll that saw one, and in what time: the steady
/// drain, without the consumer's connecting and schema checks at start.
async fn time_consumer<F, Fut>(
    settings: &Settings,
    which: Which,
    mut count: F,
    expected: usize,
    poll: Duration,
) -> anyhow::Result<(usize, Duration)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let (stop, rx) = watch::channel(false);
    let started = Instant::now();
    let consumer = tokio::spawn(run(settings.clone(), which, rx));
    let deadline = started + Duration::from_secs(600);
    let mut first: Option<(Instant, usize)> = None;
    let result = loop {
        let stored = count().await.context("Failed to count stored tickets")?;
        if stored > 0 && first.is_none() {
            first = Some((Instant::now(), stored));
        }
        if stored >= expected {
            break Ok(match first {
                Some((at, already)) if already < expected => (expected - already, at.elapsed()),
                _ => (expected, started.elapsed()),
            });
        }
        if Instant::now() > deadline {
            break Err(anyhow::anyhow!(
                "the {which:?} consumer stored {stored} of {expected} in 10 minutes"
            ));
        }
        tokio::time::sleep(poll).await;
    };
    stop.send_replace(true);
    consumer.await??;
    result
}
