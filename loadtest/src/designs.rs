//! Designs of the DynamoDB write model compared on DynamoDB Local, all keeping the conflict
//! check (a second ticket for a seat is refused atomically, never overwrites the first):
//!
//! - `transact`: the seat claims as conditional puts in `TransactWriteItems` of 100, then the
//!   tickets with `BatchWriteItem` of 25 (the store's first design).
//! - `claims`: the seat claims as conditional `PutItem`s, many in flight, then the tickets
//!   with `BatchWriteItem` of 25: the same two tables, no transaction.
//! - `seat-items`: one table keyed by seat whose item is the ticket (the claim and the
//!   ticket are one item), a conditional `PutItem` each, many in flight, with indexes by
//!   ticket id and by event for the lookups.
//!
//! Each runs on fresh tables of its own with the same tickets, written in batches as the
//! consumer writes them; the figures are the tickets written per second and the CPU time
//! DynamoDB Local spent per ticket, read from `/proc`. AWS bills a standard write of up to
//! 1 KB as one write unit, a transactional one as two, and each index the item lands in as
//! one more: that is the cost per ticket of each design on AWS.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use consumers::dynamodb::{put_tickets, seat_key, ticket_item, DynamoDbStore};
use consumers::store::Store;
use domain::Ticket;
use futures_util::{stream, StreamExt, TryStreamExt};
use infra::config::{DynamoDbSettings, Settings};
use serde::Serialize;

use crate::cpu::Processes;

/// Tickets per store write, as the consumer batches them.
const BATCH: usize = 250;
/// Conditional puts in flight at once.
const IN_FLIGHT: usize = 16;

/// A design of the write model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Design {
    /// Claims in transactions, then batched tickets.
    Transact,
    /// Claims as parallel conditional puts, then batched tickets.
    Claims,
    /// The ticket is the seat's item: one conditional put per ticket.
    SeatItems,
    /// The ticket is the seat's item, the conditional puts in transactions of 100.
    SeatTransact,
    /// No conflict check at all: the tickets with `BatchWriteItem` only. The floor any
    /// design with a check is measured against, not a design.
    Unchecked,
}

impl Design {
    /// AWS write units per ticket (items under 1 KB): claim, ticket, and index writes.
    pub fn write_units(self) -> u32 {
        match self {
            // 2 for the transactional claim, 1 for the ticket, 1 for the event index.
            Self::Transact => 4,
            // 1 for the claim, 1 for the ticket, 1 for the event index.
            Self::Claims => 3,
            // 1 for the item, 1 for each of the two indexes.
            Self::SeatItems => 3,
            // 2 for the transactional item, 1 for each of the two indexes.
            Self::SeatTransact => 4,
            // 1 for the ticket, 1 for the event index.
            Self::Unchecked => 2,
        }
    }
}

/// What one design measured.
#[derive(Debug, Clone, Serialize)]
pub struct DesignFigures {
    /// The design.
    pub design: Design,
    /// Tickets offered, rivals included.
    pub tickets: usize,
    /// Wall-clock time of the writes.
    pub seconds: f64,
    /// Tickets offered per second.
    pub per_sec: f64,
    /// µs of DynamoDB Local's CPU per ticket.
    pub dynamodb_cpu_us: Option<f64>,
    /// µs of this process's CPU per ticket (the client side).
    pub client_cpu_us: Option<f64>,
    /// AWS write units per ticket.
    pub write_units: u32,
    /// Second tickets for a seat refused (each run offers some on purpose).
    pub conflicts: usize,
}

/// Runs every design in `designs` on `tickets` distinct seats plus a few rivals; `dynamodb`
/// is DynamoDB Local's pid.
pub async fn compare(
    settings: &Settings,
    designs: &[Design],
    tickets: usize,
    dynamodb: u32,
    ticks_per_sec: u64,
) -> anyhow::Result<Vec<DesignFigures>> {
    let client = infra::dynamodb::connect(&settings.dynamodb).await;
    let processes = Processes::parse(&format!("dynamodb={dynamodb}"), ticks_per_sec)?;
    let mut figures = Vec::new();
    for design in designs {
        let names = Tables::new(*design);
        names.create(&client, &settings.dynamodb).await?;
        let mut batch = crate::drain::sample(tickets);
        // One rival per hundred tickets: the conflict check must keep working.
        let rivals: Vec<Ticket> = batch
            .iter()
            .step_by(100)
            .map(|t| Ticket::issue(&t.venue_id, &t.event_id, t.zone_id, t.row.clone(), t.column, t.price))
            .collect();
        let expected_conflicts = if *design == Design::Unchecked { 0 } else { rivals.len() };
        batch.extend(rivals);
        let before = processes.sample();
        let started = Instant::now();
        let conflicts = names.write(&client, &settings.dynamodb, &batch).await?;
        let seconds = started.elapsed().as_secs_f64();
        let account = processes.per_ticket(&before, &processes.sample(), batch.len() as u64, seconds);
        names.drop(&client).await;
        anyhow::ensure!(
            conflicts == expected_conflicts,
            "{design:?}: {conflicts} conflicts refused, {expected_conflicts} expected"
        );
        figures.push(DesignFigures {
            design: *design,
            tickets: batch.len(),
            seconds,
            per_sec: batch.len() as f64 / seconds,
            dynamodb_cpu_us: account.processes["dynamodb"],
            client_cpu_us: account.processes["load generator"],
            write_units: design.write_units(),
            conflicts,
        });
    }
    Ok(figures)
}

/// The tables of one design's run, named after it.
struct Tables {
    design: Design,
    tickets: String,
    seats: String,
}

impl Tables {
    fn new(design: Design) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            design,
            tickets: format!("designs-{id}-tickets"),
            seats: format!("designs-{id}-seats"),
        }
    }

    fn settings(&self, base: &DynamoDbSettings) -> DynamoDbSettings {
        DynamoDbSettings {
            table: self.tickets.clone(),
            seats_table: self.seats.clone(),
            ..base.clone()
        }
    }

    async fn create(&self, client: &Client, base: &DynamoDbSettings) -> anyhow::Result<()> {
        match self.design {
            Design::Transact | Design::Claims | Design::Unchecked => {
                infra::dynamodb::ensure_tables(client, &self.settings(base)).await
            }
            Design::SeatItems | Design::SeatTransact => create_seat_items(client, &self.seats).await,
        }
    }

    async fn drop(&self, client: &Client) {
        for table in [&self.tickets, &self.seats] {
            let _ = client.delete_table().table_name(table.as_str()).send().await;
        }
    }

    /// Writes `tickets` in consumer batches; returns how many were refused as conflicts.
    async fn write(&self, client: &Client, base: &DynamoDbSettings, tickets: &[Ticket]) -> anyhow::Result<usize> {
        let mut conflicts = 0;
        for batch in tickets.chunks(BATCH) {
            conflicts += match self.design {
                Design::Transact => {
                    let store = DynamoDbStore::new(client.clone(), &self.settings(base));
                    store.write(batch).await?.len()
                }
                Design::Claims => {
                    let refused = conditional_puts(client, &self.seats, batch, |t| {
                        HashMap::from([
                            ("seatKey".to_owned(), s(&seat_key(t))),
                            ("ticketId".to_owned(), s(&t.ticket_id.to_string())),
                        ])
                    })
                    .await?;
                    let stored: Vec<&Ticket> = batch.iter().filter(|t| !refused.contains(&t.ticket_id)).collect();
                    put_tickets(client, &self.tickets, stored.iter().copied()).await?;
                    refused.len()
                }
                Design::SeatItems => conditional_puts(client, &self.seats, batch, seat_item).await?.len(),
                Design::SeatTransact => {
                    let seats = DynamoDbSettings {
                        table: self.seats.clone(),
                        seats_table: self.seats.clone(),
                        ..base.clone()
                    };
                    let store = DynamoDbStore::new(client.clone(), &seats);
                    let items = batch.iter().map(|t| (t, seat_item(t))).collect();
                    store.put_if_seat_free(&self.seats, items).await?.len()
                }
                Design::Unchecked => {
                    put_tickets(client, &self.tickets, batch).await?;
                    0
                }
            };
        }
        Ok(conflicts)
    }
}

/// The ticket's item keyed by its seat.
fn seat_item(ticket: &Ticket) -> HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    let mut item = ticket_item(ticket);
    item.insert("seatKey".to_owned(), s(&seat_key(ticket)));
    item
}

fn s(text: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(text.to_owned())
}

/// Puts `item(ticket)` into `table` for every ticket, [`IN_FLIGHT`] at a time, each on
/// condition that its seat is free or already the ticket's; returns the tickets refused.
async fn conditional_puts(
    client: &Client,
    table: &str,
    tickets: &[Ticket],
    item: impl Fn(&Ticket) -> HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let refused: Vec<Option<uuid::Uuid>> = stream::iter(tickets.iter().map(|ticket| {
        let request = client
            .put_item()
            .table_name(table)
            .set_item(Some(item(ticket)))
            .condition_expression("attribute_not_exists(seatKey) OR ticketId = :ticket")
            .expression_attribute_values(":ticket", s(&ticket.ticket_id.to_string()));
        async move {
            match request.send().await {
                Ok(_) => Ok(None),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                {
                    Ok(Some(ticket.ticket_id))
                }
                Err(e) => Err(anyhow::Error::new(e).context("PutItem failed")),
            }
        }
    }))
    .buffer_unordered(IN_FLIGHT)
    .try_collect()
    .await?;
    Ok(refused.into_iter().flatten().collect())
}

/// The seat-keyed table of `seat-items`, with its indexes by ticket and by event.
async fn create_seat_items(client: &Client, table: &str) -> anyhow::Result<()> {
    let string = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    let index = |name: &str, keys: Vec<KeySchemaElement>| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(keys))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string("seatKey")?)
        .attribute_definitions(string("ticketId")?)
        .attribute_definitions(string("eventId")?)
        .key_schema(key("seatKey", KeyType::Hash)?)
        .global_secondary_indexes(index("ticketId-index", vec![key("ticketId", KeyType::Hash)?])?)
        .global_secondary_indexes(index(
            "eventId-index",
            vec![key("eventId", KeyType::Hash)?, key("ticketId", KeyType::Range)?],
        )?)
        .send()
        .await
        .with_context(|| format!("Failed to create table {table}"))?;
    Ok(())
}

/// The figures as a Markdown table.
pub fn markdown(figures: &[DesignFigures]) -> String {
    use std::fmt::Write as _;
    let mut md = String::from(
        "| design | tickets | tickets/s | DynamoDB Local CPU per ticket | client CPU per ticket | AWS write units per ticket | conflicts refused |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let us = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.0} µs"));
    for f in figures {
        let _ = writeln!(
            md,
            "| `{}` | {} | {:.0} | {} | {} | {} | {} |",
            serde_json::to_value(f.design)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            f.tickets,
            f.per_sec,
            us(f.dynamodb_cpu_us),
            us(f.client_cpu_us),
            f.write_units,
            f.conflicts
        );
    }
    md
}
