//! The checkout workload: buyers registered up front, each holding 2 to 4 neighbouring seats
//! of one zone under heavy overlap and checking out, a share of them paying with a declined
//! card first and a share abandoning their hold; then the check from the stores.
//!
//! A buyer whose seats are taken (`409 seats_unavailable`) picks another selection, up to
//! [`ATTEMPTS`] times. Each buyer is one task; `connections` of them run at once. Requests go
//! through one HTTP client per task, with keep-alive.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use infra::config::Settings;
use mysql_async::prelude::Queryable;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

/// Selections a buyer tries before giving up.
pub const ATTEMPTS: usize = 20;
const PASSWORD: &str = "correct horse battery staple";

/// The workload's shape.
#[derive(Debug, Clone)]
pub struct CheckoutOptions {
    /// Base URL of the api.
    pub url: String,
    /// Buyers.
    pub buyers: usize,
    /// Buyers at work at once.
    pub connections: usize,
    /// The venue, event and zone they all want.
    pub venue: String,
    /// The event.
    pub event: String,
    /// The zone.
    pub zone: u32,
    /// The first rows of the zone they choose from (few rows: heavy overlap).
    pub rows: u32,
    /// Seats per row.
    pub cols: u32,
    /// Share of buyers who pay with a declined card first.
    pub declined: f64,
    /// Share of buyers who hold and walk away (release).
    pub abandoned: f64,
    /// Random seed.
    pub seed: u64,
}

/// What the workload measured.
#[derive(Debug, Serialize)]
pub struct CheckoutFigures {
    /// Buyers.
    pub buyers: usize,
    /// `POST /api/v1/holds` answered, held or refused.
    pub hold_requests: u64,
    /// Of them, held.
    pub held: u64,
    /// Hold requests per second over the run.
    pub holds_per_sec: f64,
    /// Hold latency p50 / p99, ms.
    pub hold_ms: (f64, f64),
    /// Checkouts answered 201.
    pub checkouts: u64,
    /// Checkouts per second over the run.
    pub checkouts_per_sec: f64,
    /// Checkout latency p50 / p99, ms (successful ones).
    pub checkout_ms: (f64, f64),
    /// Declined payments (402), as planned.
    pub declined: u64,
    /// Holds released unpaid, as planned.
    pub abandoned: u64,
    /// Answers that were none of the planned ones (5xx, unexpected 4xx).
    pub unexpected: Vec<String>,
    /// The run, seconds.
    pub seconds: f64,
}

/// An order a buyer got.
#[derive(Debug, Clone)]
pub struct Order {
    /// The buyer's id.
    pub buyer: String,
    /// The order's id.
    pub order_id: String,
    /// Its tickets' ids.
    pub tickets: Vec<String>,
    /// Its seats: zone, row, column.
    pub seats: Vec<(u32, String, u32)>,
}

#[derive(Default)]
struct Tally {
    hold_requests: u64,
    held: u64,
    declined: u64,
    abandoned: u64,
    unexpected: Vec<String>,
    orders: Vec<Order>,
    hold_latency: Option<Histogram<u64>>,
    checkout_latency: Option<Histogram<u64>>,
}

/// Registers the buyers, runs the workload and returns its figures and the orders.
pub async fn run(options: &CheckoutOptions) -> anyhow::Result<(CheckoutFigures, Vec<Order>)> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.connections)
        .build()?;
    let tokens = register(&client, options).await?;
    let tally = Arc::new(Mutex::new(Tally {
        hold_latency: Some(histogram()),
        checkout_latency: Some(histogram()),
        ..Tally::default()
    }));
    let started = Instant::now();
    let work = futures_util::stream::iter(tokens.into_iter().enumerate())
        .map(|(i, (buyer, token))| {
            let (client, options, tally) = (client.clone(), options.clone(), tally.clone());
            async move { buyer_task(&client, &options, i, &buyer, &token, &tally).await }
        })
        .buffer_unordered(options.connections);
    use futures_util::StreamExt;
    let results: Vec<anyhow::Result<()>> = work.collect().await;
    let seconds = started.elapsed().as_secs_f64();
    for result in results {
        result?;
    }
    let tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow::anyhow!("a buyer task outlived the run"))?
        .into_inner();
    let percentiles = |h: &Option<Histogram<u64>>| {
        h.as_ref().map_or((f64::NAN, f64::NAN), |h| {
            (
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
            )
        })
    };
    let figures = CheckoutFigures {
        buyers: options.buyers,
        hold_requests: tally.hold_requests,
        held: tally.held,
        holds_per_sec: tally.hold_requests as f64 / seconds,
        hold_ms: percentiles(&tally.hold_latency),
        checkouts: tally.orders.len() as u64,
        checkouts_per_sec: tally.orders.len() as f64 / seconds,
        checkout_ms: percentiles(&tally.checkout_latency),
        declined: tally.declined,
        abandoned: tally.abandoned,
        unexpected: tally.unexpected,
        seconds,
    };
    Ok((figures, tally.orders))
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// Registers and signs in every buyer; their ids and tokens.
async fn register(client: &reqwest::Client, options: &CheckoutOptions) -> anyhow::Result<Vec<(String, String)>> {
    use futures_util::StreamExt;
    let run = format!("{:08x}", fastrand::u32(..));
    futures_util::stream::iter(0..options.buyers)
        .map(|i| {
            let email = format!("load-{run}-{i}@example.com");
            async move {
                let account = json!({"email": email, "password": PASSWORD, "name": format!("Buyer {i}")});
                let registered: Value = post(client, &options.url, "/api/v1/auth/register", &account, None)
                    .await?
                    .1;
                let user = registered["userId"]
                    .as_str()
                    .context("register answered no userId")?
                    .to_owned();
                let (_, token) = post(client, &options.url, "/api/v1/auth/login", &account, None).await?;
                let token = token["accessToken"]
                    .as_str()
                    .context("login answered no token")?
                    .to_owned();
                anyhow::Ok((user, token))
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = client.post(format!("{url}{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.with_context(|| format!("POST {path}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

/// One buyer: hold a selection (another one while seats are taken), then pay, or walk away.
async fn buyer_task(
    client: &reqwest::Client,
    options: &CheckoutOptions,
    index: usize,
    buyer: &str,
    token: &str,
    tally: &Mutex<Tally>,
) -> anyhow::Result<()> {
    let mut rng = fastrand::Rng::with_seed(options.seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let declines = rng.f64() < options.declined;
    let abandons = !declines && rng.f64() < options.abandoned;
    for _ in 0..ATTEMPTS {
        let size = rng.u32(2..=4);
        let row = rng.u32(1..=options.rows);
        let first = rng.u32(1..=options.cols - size + 1);
        let seats: Vec<(u32, String, u32)> = (first..first + size)
            .map(|c| (options.zone, domain::catalog::row::label(row), c))
            .collect();
        let body = json!({"venueId": options.venue, "eventId": options.event,
            "seats": seats.iter().map(|(z, r, c)| json!({"zoneId": z, "row": r, "column": c})).collect::<Vec<_>>()});
        let at = Instant::now();
        let (status, hold) = post(client, &options.url, "/api/v1/holds", &body, Some(token)).await?;
        let elapsed = at.elapsed();
        let mut t = tally.lock().await;
        t.hold_requests += 1;
        record(&mut t.hold_latency, elapsed);
        match status {
            201 => t.held += 1,
            409 if hold["code"] == "seats_unavailable" => continue,
            other => {
                t.unexpected.push(format!("hold: {other} {hold}"));
                return Ok(());
            }
        }
        drop(t);
        let hold_id = hold["holdId"].as_str().context("a hold without id")?.to_owned();
        let checkout = format!("/api/v1/holds/{hold_id}/checkout");
        if abandons {
            let response = client
                .delete(format!("{}/api/v1/holds/{hold_id}", options.url))
                .bearer_auth(token)
                .send()
                .await?;
            let mut t = tally.lock().await;
            match response.status().as_u16() {
                204 => t.abandoned += 1,
                other => t.unexpected.push(format!("release: {other}")),
            }
            return Ok(());
        }
        if declines {
            let (status, answer) = post(
                client,
                &options.url,
                &checkout,
                &json!({"paymentToken": "tok_chargeDeclined"}),
                Some(token),
            )
            .await?;
            let mut t = tally.lock().await;
            match status {
                402 => t.declined += 1,
                other => t.unexpected.push(format!("declined card: {other} {answer}")),
            }
        }
        let at = Instant::now();
        let (status, order) = post(
            client,
            &options.url,
            &checkout,
            &json!({"paymentToken": "tok_visa"}),
            Some(token),
        )
        .await?;
        let elapsed = at.elapsed();
        let mut t = tally.lock().await;
        if status != 201 {
            t.unexpected.push(format!("checkout: {status} {order}"));
            return Ok(());
        }
        record(&mut t.checkout_latency, elapsed);
        let tickets = order["tickets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["ticketId"].as_str().map(str::to_owned))
            .collect();
        t.orders.push(Order {
            buyer: buyer.to_owned(),
            order_id: order["orderId"].as_str().unwrap_or_default().to_owned(),
            tickets,
            seats,
        });
        return Ok(());
    }
    Ok(())
}

fn record(histogram: &mut Option<Histogram<u64>>, elapsed: Duration) {
    if let Some(h) = histogram {
        h.saturating_record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).max(1));
    }
}

/// The check from the stores, once they hold every order's tickets (or `timeout` passed):
/// no seat sold twice, every order's tickets in both stores with its buyer and order, no
/// ticket of the event that no order answered (a declined or abandoned hold left none), one
/// standing charge per order in the gateway's ledger and every other charge refunded.
pub async fn verify(
    settings: &Settings,
    event: &str,
    orders: &[Order],
    timeout: Duration,
) -> anyhow::Result<Vec<String>> {
    let mut violations = Vec::new();
    let mut answered = HashSet::new();
    for seat in orders.iter().flat_map(|o| &o.seats) {
        if !answered.insert(seat) {
            violations.push(format!("seat {seat:?} was in two orders"));
        }
    }
    let expected: HashMap<&str, (&str, &str)> = orders
        .iter()
        .flat_map(|o| {
            o.tickets
                .iter()
                .map(move |t| (t.as_str(), (o.buyer.as_str(), o.order_id.as_str())))
        })
        .collect();
    let pool = mysql_async::Pool::new(settings.mysql.url.expose());
    let mut conn = pool.get_conn().await?;
    let deadline = Instant::now() + timeout;
    let rows: Vec<SoldRow> = loop {
        let rows: Vec<SoldRow> = conn
            .exec(
                "SELECT ticket_id, buyer_id, order_id, zone_id, row_label, col_label FROM ticket WHERE event_id = ?",
                (event,),
            )
            .await?;
        if rows.len() >= expected.len() || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    drop(conn);
    pool.disconnect().await.ok();
    let mut seats = HashSet::new();
    for (ticket, buyer, order, zone, row, column) in &rows {
        if !seats.insert((*zone, row.clone(), *column)) {
            violations.push(format!("seat {zone}/{row}{column} sold twice in MySQL"));
        }
        match expected.get(ticket.as_str()) {
            Some((b, o)) if buyer.as_deref() == Some(*b) && order.as_deref() == Some(*o) => {}
            Some(_) => violations.push(format!("ticket {ticket} in MySQL with the wrong buyer or order")),
            None => violations.push(format!("ticket {ticket} in MySQL that no checkout answered")),
        }
    }
    if rows.len() != expected.len() {
        violations.push(format!(
            "{} tickets in MySQL, {} sold by checkouts",
            rows.len(),
            expected.len()
        ));
    }
    // DynamoDB's consumer may trail MySQL's: wait for it too, until the same deadline.
    let dynamodb = infra::dynamodb::connect(&settings.dynamodb).await;
    let items = loop {
        let items = crate::verify::dynamodb_tickets(&dynamodb, settings, event).await?;
        if items.len() >= expected.len() || Instant::now() > deadline {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for ticket in expected.keys() {
        match items.get(*ticket) {
            Some((buyer, order))
                if buyer.as_deref() == expected.get(ticket).map(|e| e.0)
                    && order.as_deref() == expected.get(ticket).map(|e| e.1) => {}
            Some(_) => violations.push(format!("ticket {ticket} in DynamoDB with the wrong buyer or order")),
            None => violations.push(format!("ticket {ticket} missing from DynamoDB")),
        }
    }
    if items.len() != expected.len() {
        violations.push(format!(
            "{} tickets in DynamoDB, {} sold by checkouts",
            items.len(),
            expected.len()
        ));
    }
    let (charged, refunded) = ledger(settings).await?;
    if charged != orders.len() {
        violations.push(format!(
            "{charged} standing charges for {} orders ({refunded} refunded)",
            orders.len()
        ));
    }
    Ok(violations)
}

/// A ticket of the read model: id, buyer, order, zone, row, column.
type SoldRow = (String, Option<String>, Option<String>, u32, String, u32);

/// Standing and refunded charges in the simulated gateway's ledger.
async fn ledger(settings: &Settings) -> anyhow::Result<(usize, usize)> {
    use redis::AsyncCommands;
    let mut redis = infra::redis::connect(&settings.redis).await?;
    let keys: Vec<String> = redis.keys(format!("{}:payments:*", settings.redis.key_prefix)).await?;
    let (mut charged, mut refunded) = (0, 0);
    for key in keys {
        let status: Option<String> = redis.hget(&key, "status").await?;
        match status.as_deref() {
            Some("charged") => charged += 1,
            Some("refunded") => refunded += 1,
            _ => {}
        }
    }
    Ok((charged, refunded))
}
