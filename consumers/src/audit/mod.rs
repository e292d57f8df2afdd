//! `consumers audit`: whether Redis, MySQL, DynamoDB, the outbox and the queues agree, per
//! event, and with `--repair` what can be mended.
//!
//! For each event it reads the stores first (every ticket of the event in MySQL and, through
//! the event index, in DynamoDB; the tickets in both dead-letter queues, taken without
//! acknowledging them so that they go back when the channel closes), then Redis in one
//! transaction (the sold bitmaps, the counters, the outbox). In that order a sale made while
//! it reads is in Redis's snapshot and possibly not yet in the stores: so findings that a
//! ticket in flight can cause (a ticket missing from a store, a seat lost, a counter) are
//! read again after [`SETTLE`], twice, and only those seen every time are reported.
//! [`compare`] says what each finding means.
//!
//! `--repair` re-publishes a ticket one store holds and the other lacks to the other store's
//! queue (its consumer stores it as any other; not a ticket of a seat with two), and, where a stored seat is not sold in
//! Redis or a counter disagrees, rebuilds the event's seat state from the stores' seats
//! (`infra::seat_state::rebuild`: it only adds sold seats). It never invents a ticket: a lost
//! seat or a seat with two tickets is reported for a person to settle (a refund), and a
//! dead-lettered ticket waits for `consumers redrive` once its cause is fixed.

pub mod compare;

use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::{Catalog, Event, Ticket, Venue};
use futures_util::future::try_join_all;
use infra::amqp::Topology;
use infra::config::{AmqpSettings, DynamoDbSettings};
use infra::contract::TicketEvent;
use infra::mysql::{decode_ticket, TicketRow, TICKET_COLUMNS};
use infra::redis::EventKeys;
use lapin::options::{BasicGetOptions, ConfirmSelectOptions};
use lapin::types::AMQPValue;
use mysql_async::prelude::Queryable;
use serde::Serialize;

pub use compare::{compare, Findings, Observed, Store};

use crate::config::StackSettings;

/// How long the audit waits before reading again what tickets in flight could explain.
pub const SETTLE: Duration = Duration::from_secs(2);
/// How many times it reads in all when something looks wrong.
const READS: usize = 3;

/// The audit of one event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAudit {
    /// The event.
    pub event_id: String,
    /// Seats sold in Redis.
    pub sold_in_redis: usize,
    /// Tickets of the event in MySQL.
    pub mysql: usize,
    /// Tickets of the event in DynamoDB.
    pub dynamodb: usize,
    /// Tickets waiting in the outbox.
    pub outbox: usize,
    /// Tickets in the dead-letter queues.
    pub dead_lettered: usize,
    /// What is wrong.
    pub findings: Findings,
    /// What `--repair` did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repaired: Option<Repairs>,
}

/// What a repair did for one event.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repairs {
    /// Tickets re-published to the SQL consumer's queue.
    pub republished_to_mysql: usize,
    /// Tickets re-published to the NoSQL consumer's queue.
    pub republished_to_dynamodb: usize,
    /// Whether the seat state was rebuilt from the stores; the seats it holds sold after.
    pub seat_state_rebuilt: Option<i64>,
}

/// The whole audit.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Each event audited.
    pub events: Vec<EventAudit>,
    /// Everything wrong, over all events.
    pub problems: usize,
}

impl Report {
    /// A summary for people: one line per event, then one per kind of finding.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let f = &e.findings;
            out.push_str(&format!(
                "{}: {} sold in Redis, {} in MySQL, {} in DynamoDB, {} in the outbox, {} dead-lettered: {}\n",
                e.event_id,
                e.sold_in_redis,
                e.mysql,
                e.dynamodb,
                e.outbox,
                e.dead_lettered,
                if f.problems() == 0 {
                    "ok".to_owned()
                } else {
                    format!("{} problems", f.problems())
                }
            ));
            let mut line = |n: usize, what: &str| {
                if n > 0 {
                    out.push_str(&format!("  {n} {what}\n"));
                }
            };
            line(
                f.missing_in_mysql.len(),
                "tickets in DynamoDB missing from MySQL (--repair re-publishes them)",
            );
            line(
                f.missing_in_dynamodb.len(),
                "tickets in MySQL missing from DynamoDB (--repair re-publishes them)",
            );
            line(
                f.lost.len(),
                "seats sold in Redis with a ticket nowhere (lost sales: refund or re-issue by hand)",
            );
            line(
                f.not_sold_in_redis.len(),
                "stored seats Redis would sell again (--repair rebuilds the seat state)",
            );
            line(
                f.seats_with_two_tickets.len(),
                "seats with two tickets (settle by hand: one buyer is refunded)",
            );
            line(
                f.counters.len(),
                "counters that disagree with the sold seats (--repair rebuilds them)",
            );
            line(
                f.dead_lettered.len(),
                "tickets dead-lettered (fix the cause, then consumers redrive)",
            );
            line(f.outbox_undecodable.len(), "outbox entries that do not decode");
            if let Some(r) = &e.repaired {
                out.push_str(&format!(
                    "  repaired: {} re-published to MySQL, {} to DynamoDB{}\n",
                    r.republished_to_mysql,
                    r.republished_to_dynamodb,
                    r.seat_state_rebuilt
                        .map_or(String::new(), |sold| format!(", seat state rebuilt ({sold} sold)"))
                ));
            }
        }
        out.push_str(&format!("{} problems\n", self.problems));
        out
    }
}

/// Audits `event` (every event of the catalog when `None`), repairing what it can with
/// `repair`.
pub async fn audit(settings: &StackSettings, event: Option<&str>, repair: bool) -> anyhow::Result<Report> {
    let catalog = settings.catalog.catalog()?;
    let events: Vec<String> = match event {
        Some(event) => vec![event_and_venue(&catalog, event)?.0.event_id.clone()],
        None => catalog.events().map(|e| e.event_id.clone()).collect(),
    };
    let sources = Sources::connect(settings).await?;
    let mut audits = Vec::new();
    for event_id in events {
        audits.push(audit_event(&sources, &catalog, &event_id, repair).await?);
    }
    let problems = audits.iter().map(|a| a.findings.problems()).sum();
    Ok(Report {
        events: audits,
        problems,
    })
}

/// The connections an audit reads through.
struct Sources<'a> {
    settings: &'a StackSettings,
    redis: infra::redis::Conn,
    mysql: mysql_async::Pool,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl<'a> Sources<'a> {
    async fn connect(settings: &'a StackSettings) -> anyhow::Result<Self> {
        Ok(Self {
            settings,
            redis: infra::redis::connect(&settings.redis)
                .await
                .context("Failed to connect to Redis")?,
            mysql: infra::mysql::connect(&settings.mysql).await?,
            dynamodb: infra::dynamodb::connect(&settings.dynamodb).await,
        })
    }
}

async fn audit_event(
    sources: &Sources<'_>,
    catalog: &Catalog,
    event_id: &str,
    repair: bool,
) -> anyhow::Result<EventAudit> {
    let mut observed = read(sources, catalog, event_id).await?;
    let mut findings = compare(&observed);
    for _ in 1..READS {
        if !findings.may_be_in_flight() {
            break;
        }
        tokio::time::sleep(SETTLE).await;
        observed = read(sources, catalog, event_id).await?;
        findings.keep_lasting(&compare(&observed));
    }
    let repaired = if repair {
        Some(mend(sources, catalog, event_id, &observed, &findings).await?)
    } else {
        None
    };
    Ok(EventAudit {
        event_id: event_id.to_owned(),
        sold_in_redis: observed.sold_in_redis.len(),
        mysql: observed.mysql.len(),
        dynamodb: observed.dynamodb.len(),
        outbox: observed.outbox.len(),
        dead_lettered: observed.dead_lettered.len(),
        findings,
        repaired,
    })
}

/// Reads the event: the stores and the DLQs first, Redis last.
async fn read(sources: &Sources<'_>, catalog: &Catalog, event_id: &str) -> anyhow::Result<Observed> {
    let (event, venue) = event_and_venue(catalog, event_id)?;
    let mysql = mysql_tickets(&sources.mysql, event_id).await?;
    let dynamodb = dynamodb_tickets(&sources.dynamodb, &sources.settings.dynamodb, event_id).await?;
    let dead_lettered = dead_lettered(&sources.settings.amqp, event_id).await?;
    let keys = EventKeys::new(&sources.settings.redis.key_prefix, &event.event_id);
    let snapshot = infra::seat_state::snapshot(&mut sources.redis.clone(), &keys, venue).await?;
    let (outbox, outbox_undecodable) = snapshot.outbox.iter().cloned().partition::<Vec<_>, _>(Result::is_ok);
    Ok(Observed {
        sold_in_redis: infra::seat_state::seats_of(venue, &snapshot.bitmaps),
        counters: snapshot.counter_mismatches(venue),
        outbox: outbox.into_iter().flatten().collect(),
        outbox_undecodable: outbox_undecodable.into_iter().filter_map(Result::err).collect(),
        mysql,
        dynamodb,
        dead_lettered,
    })
}

fn event_and_venue<'c>(catalog: &'c Catalog, event_id: &str) -> anyhow::Result<(&'c Event, &'c Venue)> {
    let event = catalog
        .event(event_id)
        .with_context(|| format!("no event {event_id:?} in the catalog"))?;
    let venue = catalog
        .venue(&event.venue_id)
        .with_context(|| format!("no venue {:?} in the catalog", event.venue_id))?;
    Ok((event, venue))
}

async fn mysql_tickets(pool: &mysql_async::Pool, event_id: &str) -> anyhow::Result<Vec<Ticket>> {
    let rows: Vec<TicketRow> = pool
        .get_conn()
        .await?
        .exec(
            format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE event_id = ?"),
            (event_id,),
        )
        .await
        .context("Failed to read the event's tickets from MySQL")?;
    rows.into_iter().map(decode_ticket).collect()
}

async fn dynamodb_tickets(
    client: &aws_sdk_dynamodb::Client,
    settings: &DynamoDbSettings,
    event_id: &str,
) -> anyhow::Result<Vec<Ticket>> {
    let mut tickets = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(&settings.table)
            .index_name(infra::dynamodb::EVENT_INDEX)
            .key_condition_expression("eventId = :e")
            .expression_attribute_values(":e", AttributeValue::S(event_id.to_owned()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("Failed to read the event's tickets from DynamoDB")?;
        for item in page.items() {
            tickets.push(crate::dynamodb::ticket_from_item(item)?);
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(tickets);
        }
    }
}

/// The tickets of `event_id` in both dead-letter queues, with the reason each message gives.
/// The messages are taken unacknowledged and go back to their queue when the channel closes.
async fn dead_lettered(settings: &AmqpSettings, event_id: &str) -> anyhow::Result<Vec<(Store, Ticket, String)>> {
    let topology = Topology::new(settings);
    let connection = infra::amqp::connect(settings, "ticketing-audit")
        .await
        .context("Failed to connect to RabbitMQ")?;
    let channel = connection.create_channel().await?;
    let mut found = Vec::new();
    for (store, queue) in [Store::Mysql, Store::Dynamodb].into_iter().zip(&topology.queues) {
        let dlq = Topology::dead_letter_queue(queue);
        while let Some(message) = channel
            .basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: false })
            .await?
        {
            let reason = message
                .delivery
                .properties
                .headers()
                .as_ref()
                .and_then(|h| match h.inner().get(infra::amqp::REASON_HEADER) {
                    Some(AMQPValue::LongString(reason)) => {
                        Some(String::from_utf8_lossy(reason.as_bytes()).into_owned())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| "no reason given".to_owned());
            for item in infra::contract::decode_message(&message.delivery.data).unwrap_or_default() {
                if let Ok(ticket) = item.ticket {
                    if ticket.event_id == event_id {
                        found.push((store, ticket, reason.clone()));
                    }
                }
            }
            if message.message_count == 0 {
                break;
            }
        }
    }
    // Unacknowledged: closing hands every message back to its queue.
    connection.close(200, "audited".into()).await.ok();
    Ok(found)
}

/// Mends what can be mended of `findings`.
async fn mend(
    sources: &Sources<'_>,
    catalog: &Catalog,
    event_id: &str,
    observed: &Observed,
    findings: &Findings,
) -> anyhow::Result<Repairs> {
    let mut repairs = Repairs::default();
    let topology = Topology::new(&sources.settings.amqp);
    // A seat with two tickets is for a person to settle: neither is copied to the other store.
    let disputed: std::collections::HashSet<&uuid::Uuid> = findings.seats_with_two_tickets.values().flatten().collect();
    let pick = |tickets: &[Ticket], ids: &std::collections::BTreeSet<uuid::Uuid>| -> Vec<Ticket> {
        tickets
            .iter()
            .filter(|t| ids.contains(&t.ticket_id) && !disputed.contains(&t.ticket_id))
            .cloned()
            .collect()
    };
    let to_mysql = pick(&observed.dynamodb, &findings.missing_in_mysql);
    let to_dynamodb = pick(&observed.mysql, &findings.missing_in_dynamodb);
    repairs.republished_to_mysql = republish(&sources.settings.amqp, &topology.queues[0], &to_mysql).await?;
    repairs.republished_to_dynamodb = republish(&sources.settings.amqp, &topology.queues[1], &to_dynamodb).await?;
    if !findings.not_sold_in_redis.is_empty() || !findings.counters.is_empty() {
        let (event, venue) = event_and_venue(catalog, event_id)?;
        let keys = EventKeys::new(&sources.settings.redis.key_prefix, &event.event_id);
        let seats: Vec<_> = observed
            .mysql
            .iter()
            .chain(&observed.dynamodb)
            .map(|t| (t.zone_id, t.row.clone(), t.column))
            .collect();
        let sold = infra::seat_state::rebuild(&mut sources.redis.clone(), &keys, venue, &seats).await?;
        repairs.seat_state_rebuilt = Some(sold);
    }
    Ok(repairs)
}

/// Publishes `tickets` straight to `queue` (through the default exchange), in batch messages
/// the consumers read like the relay's, and waits for the broker's confirms.
async fn republish(settings: &AmqpSettings, queue: &str, tickets: &[Ticket]) -> anyhow::Result<usize> {
    if tickets.is_empty() {
        return Ok(0);
    }
    let connection = infra::amqp::connect(settings, "ticketing-audit-repair").await?;
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let mut confirms = Vec::new();
    for chunk in tickets.chunks(100) {
        let events = chunk.iter().map(TicketEvent::to_json).collect::<Result<Vec<_>, _>>()?;
        let body = infra::contract::batch_body(events.iter().map(String::as_bytes));
        let ids: Vec<String> = chunk.iter().map(|t| t.ticket_id.to_string()).collect();
        let message_id = infra::contract::batch_message_id(ids.iter().map(String::as_str));
        confirms.push(infra::amqp::publish(&channel, "", queue, &message_id, &body, chunk.len()).await?);
    }
    for confirm in try_join_all(confirms).await? {
        anyhow::ensure!(confirm.is_ack(), "the broker refused a re-published message");
    }
    connection.close(200, "repaired".into()).await.ok();
    Ok(tickets.len())
}
