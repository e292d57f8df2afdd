//! The consumers' drain rate against the raw batched write rate of the same store, measured
//! in one run (issue: "at least 0.8 of raw").
//!
//! Everything happens under names of its own (`drain-<id>` queues and tables, database
//! `drain_<id>`), removed afterwards, so it can run beside a live stack. Each store is
//! measured in rounds, every round on an empty table:
//!
//! - raw: the tickets written with no consumer at all. MySQL: plain multi-row `INSERT`s of
//!   `batch` tickets (the consumer's own statement, without `IGNORE`, transaction and
//!   read-back), `concurrency` at a time. DynamoDB: `BatchWriteItem`s of 25 tickets,
//!   `concurrency` at a time.
//! - store: the consumer's `Store::write` called on batches of `batch` tickets from memory,
//!   `concurrency` at a time: what the store side of the consumer costs (the transaction and
//!   read-back; DynamoDB's seat claims), without the broker.
//! - drain: the tickets published to a fresh queue, then the real consumer loop (in this
//!   process, `CONSUMER_BATCH_SIZE` = `batch`, `CONSUMER_CONCURRENCY` = `concurrency`) timed
//!   from its first stored batch until it has stored them all; the store is counted after.
//!
//! The figures are the medians of the rounds: the machine is shared, single runs are noisy.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::Select;
use consumers::dynamodb::DynamoDbStore;
use consumers::mysql::MysqlStore;
use consumers::runner::Runner;
use consumers::store::{Conflict, Store};
use domain::catalog::row;
use domain::{Price, Ticket};
use futures_util::{stream, StreamExt, TryStreamExt};
use infra::amqp::{DYNAMODB_QUEUE, MYSQL_QUEUE};
use infra::config::{Env, Settings};
use infra::contract::{self, TicketEvent};
use lapin::options::ConfirmSelectOptions;
use mysql_async::prelude::Queryable;
use serde::Serialize;
use tokio::sync::watch;

/// The pause between publishing and starting the consumer.
const SETTLE: Duration = Duration::from_secs(3);

/// A store the drain benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DrainStore {
    /// The SQL consumer against multi-row `INSERT`s.
    Mysql,
    /// The NoSQL consumer against `BatchWriteItem`s.
    Dynamodb,
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct DrainOptions {
    /// The stores, in order.
    pub stores: Vec<DrainStore>,
    /// Tickets per round for MySQL.
    pub mysql_tickets: usize,
    /// Tickets per round for DynamoDB (DynamoDB Local is two orders of magnitude slower).
    pub dynamodb_tickets: usize,
    /// Tickets per batch.
    pub batch: usize,
    /// Batches in flight: raw requests, store calls, consumer workers.
    pub concurrency: usize,
    /// Rounds per store; the medians are reported.
    pub rounds: usize,
}

/// One store's figures, tickets per second.
#[derive(Debug, Serialize)]
pub struct DrainFigures {
    /// `mysql` or `dynamodb`.
    pub store: &'static str,
    /// Tickets written each way, per round.
    pub tickets: usize,
    /// Raw batched writes, each round.
    pub raw: Vec<f64>,
    /// The consumer's store calls without the broker, each round.
    pub store_path: Vec<f64>,
    /// The consumer from a full queue, each round.
    pub drain: Vec<f64>,
}

impl DrainFigures {
    /// Median of the raw rounds.
    pub fn raw_per_sec(&self) -> f64 {
        median(&self.raw)
    }

    /// Median of the store-path rounds.
    pub fn store_per_sec(&self) -> f64 {
        median(&self.store_path)
    }

    /// Median of the drain rounds.
    pub fn drain_per_sec(&self) -> f64 {
        median(&self.drain)
    }

    /// The target's figure: median drain over median raw.
    pub fn ratio(&self) -> f64 {
        self.drain_per_sec() / self.raw_per_sec()
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Measures each of `options.stores`.
pub async fn drain_bench(base: &Settings, options: &DrainOptions) -> anyhow::Result<Vec<DrainFigures>> {
    let id = format!("{:08x}", fastrand::u32(..));
    let url = base.mysql.url.expose();
    let server = url.rsplit_once('/').map_or(url, |(server, _)| server);
    let overrides: HashMap<&str, String> = HashMap::from([
        ("REDIS_KEY_PREFIX", format!("drain-{id}")),
        ("AMQP_EXCHANGE", format!("drain-{id}.ticket.events")),
        ("AMQP_QUEUE_PREFIX", format!("drain-{id}.")),
        ("MYSQL_URL", format!("{server}/drain_{id}")),
        ("DYNAMODB_TABLE", format!("drain-{id}-tickets")),
        ("DYNAMODB_SEATS_TABLE", format!("drain-{id}-seats")),
        ("CONSUMER_BATCH_SIZE", options.batch.to_string()),
        ("CONSUMER_CONCURRENCY", options.concurrency.to_string()),
        ("CONSUMER_PREFETCH", (options.batch * 2).to_string()),
    ]);
    let settings = Settings::load(&Env::from_lookup(move |name| {
        overrides.get(name).cloned().or_else(|| std::env::var(name).ok())
    }))?;
    let result = async {
        let mut figures = Vec::with_capacity(options.stores.len());
        for &store in &options.stores {
            let tickets = sample(match store {
                DrainStore::Mysql => options.mysql_tickets,
                DrainStore::Dynamodb => options.dynamodb_tickets,
            });
            let target = Target::connect(store, &settings).await?;
            figures.push(target.measure(&settings, &tickets, options).await?);
        }
        anyhow::Ok(figures)
    }
    .await;
    consumers::reset::remove_all(&(&settings).into()).await;
    result
}

/// `n` tickets for distinct seats: Event1's 78,000 seats of Venue1, then the same seats
/// under further event ids (the benchmark's database has no catalog to match).
pub fn sample(n: usize) -> Vec<Ticket> {
    (0..n as u32)
        .map(|i| {
            let (event, seat) = (i / 78_000 + 1, i % 78_000);
            let (zone, seat) = (seat / 780 + 1, seat % 780);
            Ticket::issue(
                "Venue1",
                &format!("Event{event}"),
                zone,
                row::label(seat / 30 + 1),
                seat % 30 + 1,
                Price::from_cents(4000),
            )
        })
        .collect()
}

/// A store under measurement.
enum Target {
    Mysql(mysql_async::Pool),
    Dynamodb(aws_sdk_dynamodb::Client),
}

impl Target {
    async fn connect(store: DrainStore, settings: &Settings) -> anyhow::Result<Self> {
        Ok(match store {
            DrainStore::Mysql => {
                let pool = infra::mysql::connect(&settings.mysql).await?;
                infra::mysql::migrate(&pool).await?;
                Self::Mysql(pool)
            }
            DrainStore::Dynamodb => Self::Dynamodb(infra::dynamodb::connect(&settings.dynamodb).await),
        })
    }

    fn queue(&self) -> &'static str {
        match self {
            Self::Mysql(_) => MYSQL_QUEUE,
            Self::Dynamodb(_) => DYNAMODB_QUEUE,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Mysql(_) => "mysql",
            Self::Dynamodb(_) => "dynamodb",
        }
    }

    async fn measure(
        &self,
        settings: &Settings,
        tickets: &[Ticket],
        options: &DrainOptions,
    ) -> anyhow::Result<DrainFigures> {
        let rate = |n: usize, took: Duration| n as f64 / took.as_secs_f64();
        let mut figures = DrainFigures {
            store: self.name(),
            tickets: tickets.len(),
            raw: Vec::new(),
            store_path: Vec::new(),
            drain: Vec::new(),
        };
        for round in 1..=options.rounds {
            self.empty(settings).await?;
            figures
                .raw
                .push(rate(tickets.len(), self.raw(settings, tickets, options).await?));
            self.empty(settings).await?;
            let took = match self {
                Self::Mysql(pool) => store_path(MysqlStore::new(pool.clone()), tickets, options).await?,
                Self::Dynamodb(client) => {
                    store_path(DynamoDbStore::new(client.clone(), &settings.dynamodb), tickets, options).await?
                }
            };
            figures.store_path.push(rate(tickets.len(), took));
            self.empty(settings).await?;
            let (drained, took) = self.drain(settings, tickets).await?;
            figures.drain.push(rate(drained, took));
            let stored = self.count(settings).await?;
            anyhow::ensure!(
                stored == tickets.len(),
                "{} holds {stored} tickets after the drain, not {}",
                self.name(),
                tickets.len()
            );
            tracing::info!(
                store = self.name(),
                round,
                raw = figures.raw[round - 1].round(),
                store_path = figures.store_path[round - 1].round(),
                drain = figures.drain[round - 1].round(),
                "drain round"
            );
        }
        if let Self::Mysql(pool) = self {
            pool.clone().disconnect().await.ok();
        }
        Ok(figures)
    }

    /// Leaves the store's tables empty: TRUNCATE rather than DELETE for MySQL, so no purge
    /// of deleted rows runs during the next measurement.
    async fn empty(&self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Mysql(pool) => pool.get_conn().await?.query_drop("TRUNCATE TABLE ticket").await?,
            Self::Dynamodb(client) => {
                infra::dynamodb::delete_tables(client, &settings.dynamodb).await?;
                infra::dynamodb::ensure_tables(client, &settings.dynamodb).await?;
            }
        }
        Ok(())
    }

    async fn raw(&self, settings: &Settings, tickets: &[Ticket], options: &DrainOptions) -> anyhow::Result<Duration> {
        match self {
            Self::Mysql(pool) => {
                timed(tickets, options.batch, options.concurrency, |chunk| async move {
                    let mut conn = pool.get_conn().await?;
                    let statement = consumers::mysql::insert_statement(chunk.len(), false);
                    conn.exec_drop(statement, consumers::mysql::insert_params(chunk))
                        .await?;
                    Ok(())
                })
                .await
            }
            Self::Dynamodb(client) => {
                let table = settings.dynamodb.table.as_str();
                timed(tickets, 25, options.concurrency, |chunk| async move {
                    consumers::dynamodb::put_tickets(client, table, chunk).await
                })
                .await
            }
        }
    }

    /// Publishes the tickets, then runs the consumer until it has stored them.
    async fn drain(&self, settings: &Settings, tickets: &[Ticket]) -> anyhow::Result<(usize, Duration)> {
        let queue = publish(settings, tickets, self.queue()).await?;
        // The broker goes on writing a large publish to its log for a second or two after the
        // last confirm; the drain is timed once that work no longer competes with it.
        tokio::time::sleep(SETTLE).await;
        match self {
            Self::Mysql(pool) => time_consumer(settings, MysqlStore::new(pool.clone()), queue, tickets.len()).await,
            Self::Dynamodb(client) => {
                let store = DynamoDbStore::new(client.clone(), &settings.dynamodb);
                time_consumer(settings, store, queue, tickets.len()).await
            }
        }
    }

    async fn count(&self, settings: &Settings) -> anyhow::Result<usize> {
        match self {
            Self::Mysql(pool) => {
                let count: Option<u64> = pool
                    .get_conn()
                    .await?
                    .query_first("SELECT COUNT(*) FROM ticket")
                    .await?;
                Ok(count.unwrap_or(0) as usize)
            }
            Self::Dynamodb(client) => count_items(client, &settings.dynamodb.table).await,
        }
    }
}

/// Runs `write` on chunks of `size` tickets, `concurrency` at a time; returns the time taken.
async fn timed<'a, F, Fut>(tickets: &'a [Ticket], size: usize, concurrency: usize, write: F) -> anyhow::Result<Duration>
where
    F: Fn(&'a [Ticket]) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + 'a,
{
    let started = Instant::now();
    stream::iter(tickets.chunks(size))
        .map(write)
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await?;
    Ok(started.elapsed())
}

/// The consumer's store called straight on batches of tickets.
async fn store_path<S: Store>(store: S, tickets: &[Ticket], options: &DrainOptions) -> anyhow::Result<Duration> {
    let store = &store;
    timed(tickets, options.batch, options.concurrency, |chunk| async move {
        let conflicts = store.write(chunk).await?;
        anyhow::ensure!(conflicts.is_empty(), "the sample's seats are distinct");
        Ok(())
    })
    .await
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

/// Tickets per message, as the relay batches an event's outbox entries in a burst.
const TICKETS_PER_MESSAGE: usize = 250;

/// Declares the topology, then publishes the events of `tickets` straight to the queue
/// `base` (not through the fanout exchange: only the store being measured gets them), in
/// batch messages as the relay sends them, and returns the queue's name.
async fn publish(settings: &Settings, tickets: &[Ticket], base: &str) -> anyhow::Result<String> {
    let queue = infra::amqp::queue_name(&settings.amqp, base);
    let connection = infra::amqp::connect(&settings.amqp, "drain-bench").await?;
    let channel = connection.create_channel().await?;
    infra::amqp::Topology::new(&settings.amqp).declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    for chunk in tickets.chunks(TICKETS_PER_MESSAGE) {
        let events = chunk.iter().map(TicketEvent::to_json).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = chunk.iter().map(|t| t.ticket_id.to_string()).collect();
        let body = contract::batch_body(events.iter().map(|e| e.as_bytes()));
        let id = contract::batch_message_id(ids.iter().map(String::as_str));
        infra::amqp::publish(&channel, "", &queue, &id, &body, chunk.len()).await?;
    }
    channel.wait_for_confirms().await?;
    connection.close(200, "published".into()).await.ok();
    Ok(queue)
}

/// Counts the tickets its store reports stored: the drain is timed on this counter, so no
/// query against the store (a `COUNT(*)`, a `Scan`) competes with the consumer for it.
struct Counted<S> {
    store: S,
    stored: Arc<AtomicUsize>,
}

impl<S: Store> Store for Counted<S> {
    fn name(&self) -> &'static str {
        self.store.name()
    }

    async fn reset(&self) -> anyhow::Result<()> {
        self.store.reset().await
    }

    async fn write(&self, tickets: &[Ticket]) -> anyhow::Result<Vec<Conflict>> {
        let conflicts = self.store.write(tickets).await?;
        self.stored
            .fetch_add(tickets.len() - conflicts.len(), Ordering::Relaxed);
        Ok(conflicts)
    }
}

/// Runs the consumer of `store` on `queue` until it has stored `expected` tickets. Returns
/// how many it stored from the first batch on, and in what time: the steady drain, without
/// connecting to the broker. Redelivered batches would count twice, so the caller checks the
/// store itself afterwards.
async fn time_consumer<S: Store>(
    settings: &Settings,
    store: S,
    queue: String,
    expected: usize,
) -> anyhow::Result<(usize, Duration)> {
    let stored = Arc::new(AtomicUsize::new(0));
    let store = Counted {
        store,
        stored: stored.clone(),
    };
    let (stop, rx) = watch::channel(false);
    let runner = Runner::new(store, queue, settings.amqp.clone(), settings.consumer.clone());
    let consumer = tokio::spawn(runner.run(rx));
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut first: Option<(Instant, usize)> = None;
    let result = loop {
        let now = stored.load(Ordering::Relaxed);
        if now > 0 && first.is_none() {
            first = Some((Instant::now(), now));
        }
        if now >= expected {
            break Ok(match first {
                Some((at, already)) if already < expected => (expected - already, at.elapsed()),
                _ => (expected, Duration::ZERO),
            });
        }
        if Instant::now() > deadline {
            break Err(anyhow::anyhow!("the consumer stored {now} of {expected} in 10 minutes"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    stop.send_replace(true);
    consumer.await?;
    result
}
