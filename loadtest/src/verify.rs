//! After a run: wait for the consumers to drain, then check every invariant from the stores
//! themselves. Assumes the event had no sales before the run (`scripts/reset.sh`).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Select};
use infra::config::Settings;
use mysql_async::prelude::Queryable;

use crate::cpu::{Processes, Sample};
use crate::fire::Measured;
use crate::workload::{Seat, Workload};

/// What the check found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Every broken invariant, as a sentence. Empty means all held.
    pub violations: Vec<String>,
    /// From the end of the load until both stores held every sold ticket.
    pub drain: Option<Duration>,
    /// Tickets of the event in MySQL.
    pub mysql: usize,
    /// Tickets of the event in DynamoDB.
    pub dynamodb: usize,
    /// The CPU time of the processes asked for, and when, at the moment both stores held
    /// every ticket.
    pub drained_cpu: Option<(Sample, Instant)>,
}

/// Checks the answers of a run, then the stores.
pub async fn verify(
    settings: &Settings,
    workload: &Workload,
    requests: &[Seat],
    measured: &Measured,
    drain_timeout: Duration,
    cpu: Option<&Processes>,
) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict::default();
    let mut violation = |text: String| verdict.violations.push(text);
    let status = |code: u16| measured.statuses.get(&code).copied().unwrap_or(0);
    let others: u64 = measured
        .statuses
        .iter()
        .filter(|(c, _)| !matches!(c, 201 | 409))
        .map(|(_, n)| n)
        .sum();
    if others > 0 || measured.failed > 0 {
        violation(format!(
            "{others} answers other than 201/409 ({:?}) and {} without answer",
            measured.statuses, measured.failed
        ));
    }
    let mut sold_seats: HashMap<Seat, usize> = HashMap::new();
    for (index, _) in &measured.sold {
        *sold_seats.entry(requests[*index]).or_default() += 1;
    }
    if let Some((seat, n)) = sold_seats.iter().find(|(_, n)| **n > 1) {
        violation(format!("seat {seat:?} was sold {n} times"));
    }
    if sold_seats.len() as u64 != workload.seats() {
        violation(format!("{} of {} seats were sold", sold_seats.len(), workload.seats()));
    }
    let expected_conflicts = requests.len() as u64 - workload.seats();
    if status(409) != expected_conflicts {
        violation(format!(
            "{} answers were 409, expected requests - seats = {expected_conflicts}",
            status(409)
        ));
    }

    let sold: HashSet<&str> = measured.sold.iter().map(|(_, id)| id.as_str()).collect();
    let mysql = mysql_async::Pool::new(settings.mysql.url.expose());
    let dynamodb = infra::dynamodb::connect(&settings.dynamodb).await;
    let started = Instant::now();
    // Counting a store's tickets reads a whole index, which costs the store more than the
    // writes being waited for would (DynamoDB Local above all; and a queue looks empty early,
    // since the consumer holds whole batches unacknowledged). So a sample of the sold
    // tickets is looked up by key until all are there, and only then are the stores counted:
    // the wait barely adds to the CPU time it measures.
    let sample: Vec<&str> = sold
        .iter()
        .step_by((sold.len() / DRAIN_SAMPLE).max(1))
        .copied()
        .collect();
    let (mut mysql_done, mut sample_stored) = (false, false);
    loop {
        if !mysql_done && mysql_has(&mysql, &sample).await? {
            verdict.mysql = mysql_count(&mysql, &workload.event).await?;
            mysql_done = verdict.mysql >= sold.len();
        }
        if mysql_done {
            sample_stored = sample_stored || dynamodb_has(&dynamodb, settings, &sample).await?;
            if sample_stored {
                verdict.dynamodb = dynamodb_count(&dynamodb, settings, &workload.event).await?;
                if verdict.dynamodb >= sold.len() {
                    verdict.drain = Some(started.elapsed());
                    verdict.drained_cpu = cpu.map(|procs| (procs.sample(), Instant::now()));
                    break;
                }
            }
        }
        if started.elapsed() > drain_timeout {
            verdict.mysql = mysql_count(&mysql, &workload.event).await?;
            verdict.dynamodb = dynamodb_count(&dynamodb, settings, &workload.event).await?;
            verdict.violations.push(format!(
                "after {drain_timeout:?}: {} of {} tickets in MySQL, {} in DynamoDB",
                verdict.mysql,
                sold.len(),
                verdict.dynamodb
            ));
            break;
        }
        let pause = if sample_stored { 1000 } else { 250 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }

    let rows: Vec<(String, u32, String, u32)> = mysql
        .get_conn()
        .await?
        .exec(
            "SELECT ticket_id, zone_id, row_label, col_label FROM ticket WHERE event_id = ?",
            (&workload.event,),
        )
        .await?;
    let mysql_ids: HashSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let mysql_seats: HashSet<(u32, &str, u32)> = rows.iter().map(|r| (r.1, r.2.as_str(), r.3)).collect();
    compare("MySQL", &sold, &mysql_ids, rows.len(), &mut verdict.violations);
    if mysql_seats.len() != rows.len() {
        verdict.violations.push(format!(
            "MySQL holds {} tickets for {} seats",
            rows.len(),
            mysql_seats.len()
        ));
    }
    let items = dynamodb_ids(&dynamodb, settings, &workload.event).await?;
    let dynamodb_ids: HashSet<&str> = items.iter().map(String::as_str).collect();
    compare("DynamoDB", &sold, &dynamodb_ids, items.len(), &mut verdict.violations);
    mysql.disconnect().await.ok();
    Ok(verdict)
}

/// Every sold ticket is in the store exactly once, and nothing else is.
fn compare(store: &str, sold: &HashSet<&str>, stored: &HashSet<&str>, rows: usize, violations: &mut Vec<String>) {
    let missing = sold.difference(stored).count();
    let unknown = stored.difference(sold).count();
    if missing > 0 || unknown > 0 || rows != stored.len() {
        violations.push(format!(
            "{store}: {missing} sold tickets missing, {unknown} tickets never answered 201, {} stored twice",
            rows - stored.len()
        ));
    }
}

/// Sold tickets looked up in DynamoDB to tell whether its consumer is done.
const DRAIN_SAMPLE: usize = 200;

/// Whether every ticket of `ids` is in the MySQL read model (by primary key).
async fn mysql_has(pool: &mysql_async::Pool, ids: &[&str]) -> anyhow::Result<bool> {
    let marks = vec!["?"; ids.len()].join(",");
    let found: Option<u64> = pool
        .get_conn()
        .await
        .context("Failed to connect to MySQL")?
        .exec_first(
            format!("SELECT COUNT(*) FROM ticket WHERE ticket_id IN ({marks})"),
            ids.to_vec(),
        )
        .await?;
    Ok(found.unwrap_or(0) as usize == ids.len())
}

/// Whether every ticket of `ids` is in the DynamoDB tickets table (batched gets by key).
async fn dynamodb_has(client: &aws_sdk_dynamodb::Client, settings: &Settings, ids: &[&str]) -> anyhow::Result<bool> {
    for chunk in ids.chunks(100) {
        let keys = chunk
            .iter()
            .map(|id| HashMap::from([("ticketId".to_owned(), AttributeValue::S((*id).to_owned()))]));
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys.collect()))
            .projection_expression("ticketId")
            .build()?;
        let output = client
            .batch_get_item()
            .request_items(&settings.dynamodb.table, request)
            .send()
            .await
            .context("Failed to look tickets up in DynamoDB")?;
        let found = output
            .responses()
            .and_then(|r| r.get(&settings.dynamodb.table))
            .map_or(0, Vec::len);
        let unprocessed = output.unprocessed_keys().is_some_and(|u| !u.is_empty());
        if found < chunk.len() || unprocessed {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn mysql_count(pool: &mysql_async::Pool, event: &str) -> anyhow::Result<usize> {
    let count: Option<u64> = pool
        .get_conn()
        .await
        .context("Failed to connect to MySQL")?
        .exec_first("SELECT COUNT(*) FROM ticket WHERE event_id = ?", (event,))
        .await?;
    Ok(count.unwrap_or(0) as usize)
}

/// Counts the tickets of `event` through the event index.
async fn dynamodb_count(client: &aws_sdk_dynamodb::Client, settings: &Settings, event: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    query_event(client, settings, event, Select::Count, |page| {
        count += page.count() as usize
    })
    .await?;
    Ok(count)
}

/// The ticket ids of `event`, through the event index.
async fn dynamodb_ids(
    client: &aws_sdk_dynamodb::Client,
    settings: &Settings,
    event: &str,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    query_event(client, settings, event, Select::SpecificAttributes, |page| {
        ids.extend(
            page.items()
                .iter()
                .filter_map(|i| i.get("ticketId")?.as_s().ok().cloned()),
        );
    })
    .await?;
    Ok(ids)
}

/// The tickets of `event` with their buyer and order, through the event index.
pub async fn dynamodb_tickets(
    client: &aws_sdk_dynamodb::Client,
    settings: &Settings,
    event: &str,
) -> anyhow::Result<HashMap<String, (Option<String>, Option<String>)>> {
    let mut tickets = HashMap::new();
    query_event(client, settings, event, Select::AllAttributes, |page| {
        for item in page.items() {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            if let Some(id) = text("ticketId") {
                tickets.insert(id, (text("buyerId"), text("orderId")));
            }
        }
    })
    .await?;
    Ok(tickets)
}

/// Runs a query of the event index over every page, handing each page to `each`.
async fn query_event(
    client: &aws_sdk_dynamodb::Client,
    settings: &Settings,
    event: &str,
    select: Select,
    mut each: impl FnMut(&QueryOutput),
) -> anyhow::Result<()> {
    let mut start = None;
    loop {
        let mut query = client
            .query()
            .table_name(&settings.dynamodb.table)
            .index_name(infra::dynamodb::EVENT_INDEX)
            .key_condition_expression("eventId = :e")
            .expression_attribute_values(":e", AttributeValue::S(event.to_owned()))
            .set_exclusive_start_key(start);
        query = match select {
            Select::Count => query.select(Select::Count),
            Select::AllAttributes => query,
            _ => query.projection_expression("ticketId"),
        };
        let page = query.send().await.context("Failed to query DynamoDB")?;
        each(&page);
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(());
        }
    }
}
