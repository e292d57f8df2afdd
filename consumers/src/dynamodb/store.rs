//! A batch of tickets in two steps, both idempotent:
//!
//! 1. claim the seats: one `TransactWriteItems` per 100 seats puts `seatKey -> ticketId`
//!    into `ticket_seats` on condition that the seat is free or already ours. A claim that
//!    fails the condition names a seat held by another ticket: that ticket is a conflict and
//!    is not written. The condition is checked atomically by DynamoDB, so two consumer
//!    workers handed rival tickets for one seat cannot both pass it.
//! 2. write the tickets: `BatchWriteItem` requests of 25 items into `tickets`, unprocessed
//!    items retried with backoff.
//!
//! A crash between the steps is repaired by redelivery: the claims are ours, so they pass
//! again, and the tickets are written.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, PutRequest, ReturnValuesOnConditionCheckFailure, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use domain::ticket::{created_on_text, Ticket};
use infra::config::DynamoDbSettings;
use infra::retry::backoff;

use crate::store::{Conflict, Store};

/// Most items in one `BatchWriteItem`.
const WRITE_CHUNK: usize = 25;
/// Most actions in one `TransactWriteItems`.
const TRANSACTION_ITEMS: usize = 100;
/// Attempts at unprocessed items before the batch fails (and is retried whole).
const ATTEMPTS: usize = 8;

/// The DynamoDB write model.
#[derive(Clone)]
pub struct DynamoDbStore {
    client: Client,
    table: String,
    seats_table: String,
    settings: DynamoDbSettings,
}

impl DynamoDbStore {
    /// A store on the tables named in `settings`, which exist.
    pub fn new(client: Client, settings: &DynamoDbSettings) -> Self {
        Self {
            client,
            table: settings.table.clone(),
            seats_table: settings.seats_table.clone(),
            settings: settings.clone(),
        }
    }

    /// Claims the seats of `tickets` (unique seats, each at most once); returns the
    /// tickets whose seat another ticket holds.
    async fn claim(&self, tickets: &[(String, &Ticket)]) -> anyhow::Result<Vec<Conflict>> {
        let claims = tickets
            .iter()
            .map(|(seat, ticket)| {
                let item = HashMap::from([
                    ("seatKey".to_owned(), AttributeValue::S(seat.clone())),
                    ("ticketId".to_owned(), AttributeValue::S(ticket.ticket_id.to_string())),
                ]);
                (*ticket, item)
            })
            .collect();
        self.put_if_seat_free(&self.seats_table, claims).await
    }

    /// Puts each item into `table` (keyed by `seatKey`), in transactions of
    /// [`TRANSACTION_ITEMS`], on condition that its seat is free or already its ticket's;
    /// returns the tickets whose seat another ticket holds. The seats are unique.
    pub async fn put_if_seat_free(
        &self,
        table: &str,
        items: Vec<(&Ticket, HashMap<String, AttributeValue>)>,
    ) -> anyhow::Result<Vec<Conflict>> {
        let mut conflicts = Vec::new();
        for chunk in items.chunks(TRANSACTION_ITEMS) {
            let mut pending: Vec<&(&Ticket, HashMap<String, AttributeValue>)> = chunk.iter().collect();
            let mut retry = backoff(Duration::from_millis(20), Duration::from_secs(1));
            for attempt in 1.. {
                anyhow::ensure!(
                    attempt <= ATTEMPTS,
                    "seat claims kept conflicting with other transactions"
                );
                let claims = pending.iter().map(|(ticket, item)| claim_request(table, item, ticket));
                let result = self
                    .client
                    .transact_write_items()
                    .set_transact_items(Some(claims.collect::<Result<_, _>>()?))
                    .send()
                    .await;
                let error = match result {
                    Ok(_) => break,
                    Err(error) => error,
                };
                let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error()
                else {
                    return Err(anyhow::Error::new(error).context(format!("TransactWriteItems on {table} failed")));
                };
                // One reason per claim, in order: the seat is someone else's, or the claim
                // merely collided with another transaction and is tried again.
                let mut again = Vec::new();
                for (claim, reason) in pending.iter().zip(cancelled.cancellation_reasons()) {
                    if reason.code() == Some("ConditionalCheckFailed") {
                        let holder = reason
                            .item()
                            .and_then(|item| item.get("ticketId"))
                            .and_then(|v| v.as_s().ok())
                            .cloned();
                        conflicts.push(Conflict {
                            ticket_id: claim.0.ticket_id,
                            holder,
                        });
                    } else {
                        again.push(*claim);
                    }
                }
                if again.is_empty() {
                    break;
                }
                if again.len() == pending.len() {
                    tokio::time::sleep(retry.next().unwrap_or(Duration::from_secs(1))).await;
                }
                pending = again;
            }
        }
        Ok(conflicts)
    }
}

/// Puts `tickets` into `table` with `BatchWriteItem`s of [`WRITE_CHUNK`], retrying the items
/// DynamoDB leaves unprocessed with backoff: the write of every ticket item, by the store and
/// by the benchmarks that measure it.
pub async fn put_tickets<'a>(
    client: &Client,
    table: &str,
    tickets: impl IntoIterator<Item = &'a Ticket>,
) -> anyhow::Result<()> {
    let requests = tickets
        .into_iter()
        .map(|ticket| put(ticket_item(ticket)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut requests = requests.into_iter().peekable();
    while requests.peek().is_some() {
        let chunk: Vec<WriteRequest> = requests.by_ref().take(WRITE_CHUNK).collect();
        let mut pending = HashMap::from([(table.to_owned(), chunk)]);
        let mut retry = backoff(Duration::from_millis(20), Duration::from_secs(1));
        for attempt in 1.. {
            anyhow::ensure!(attempt <= ATTEMPTS, "DynamoDB left items unprocessed {ATTEMPTS} times");
            let output = client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .context("BatchWriteItem failed")?;
            pending = output.unprocessed_items().cloned().unwrap_or_default();
            pending.retain(|_, requests| !requests.is_empty());
            if pending.is_empty() {
                break;
            }
            tracing::debug!(attempt, "DynamoDB left items unprocessed; retrying them");
            tokio::time::sleep(retry.next().unwrap_or(Duration::from_secs(1))).await;
        }
    }
    Ok(())
}

impl Store for DynamoDbStore {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    async fn reset(&self) -> anyhow::Result<()> {
        // Dropping and recreating is the only bulk delete DynamoDB has.
        infra::dynamodb::delete_tables(&self.client, &self.settings).await?;
        infra::dynamodb::ensure_tables(&self.client, &self.settings).await
    }

    async fn write(&self, tickets: &[Ticket]) -> anyhow::Result<Vec<Conflict>> {
        // The first ticket of the batch for a seat competes with what is stored; a later,
        // different one for the same seat conflicts with it.
        let mut claimed: HashMap<String, &Ticket> = HashMap::new();
        let mut conflicts = Vec::new();
        let mut unique = Vec::new();
        let mut seen = HashSet::new();
        for ticket in tickets.iter().filter(|t| seen.insert(t.ticket_id)) {
            let seat = seat_key(ticket);
            match claimed.get(&seat) {
                Some(first) => conflicts.push(Conflict {
                    ticket_id: ticket.ticket_id,
                    holder: Some(first.ticket_id.to_string()),
                }),
                None => {
                    claimed.insert(seat.clone(), ticket);
                    unique.push((seat, ticket));
                }
            }
        }
        conflicts.extend(self.claim(&unique).await?);
        let refused: HashSet<uuid::Uuid> = conflicts.iter().map(|c| c.ticket_id).collect();
        let stored = unique
            .iter()
            .filter(|(_, t)| !refused.contains(&t.ticket_id))
            .map(|(_, ticket)| *ticket);
        put_tickets(&self.client, &self.table, stored).await?;
        Ok(conflicts)
    }
}

/// `event#zone#row#column`: one per seat of the catalog.
pub fn seat_key(ticket: &Ticket) -> String {
    format!(
        "{}#{}#{}#{}",
        ticket.event_id, ticket.zone_id, ticket.row, ticket.column
    )
}

/// The item of a ticket in the write model (`status` is always `CREATED`: a sold ticket);
/// `buyerId` and `orderId` only when a signed-in buyer bought it.
pub fn ticket_item(ticket: &Ticket) -> HashMap<String, AttributeValue> {
    let owner = [("buyerId", ticket.buyer_id), ("orderId", ticket.order_id)]
        .into_iter()
        .filter_map(|(name, id)| id.map(|id| (name.to_owned(), AttributeValue::S(id.to_string()))));
    let mut item = HashMap::from([
        ("ticketId".to_owned(), AttributeValue::S(ticket.ticket_id.to_string())),
        ("venueId".to_owned(), AttributeValue::S(ticket.venue_id.clone())),
        ("eventId".to_owned(), AttributeValue::S(ticket.event_id.clone())),
        ("zoneId".to_owned(), AttributeValue::N(ticket.zone_id.to_string())),
        ("row".to_owned(), AttributeValue::S(ticket.row.clone())),
        ("column".to_owned(), AttributeValue::N(ticket.column.to_string())),
        ("price".to_owned(), AttributeValue::N(ticket.price.to_string())),
        ("status".to_owned(), AttributeValue::S("CREATED".to_owned())),
        (
            "createdOn".to_owned(),
            AttributeValue::S(created_on_text(&ticket.created_on)),
        ),
    ]);
    item.extend(owner);
    item
}

/// The ticket an item of the `tickets` table holds, the inverse of [`ticket_item`]. An error
/// means the table holds what no consumer writes.
pub fn ticket_from_item(item: &HashMap<String, AttributeValue>) -> anyhow::Result<Ticket> {
    let text = |name: &str| -> anyhow::Result<&String> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .with_context(|| format!("item without the text {name}"))
    };
    let number = |name: &str| -> anyhow::Result<&String> {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .with_context(|| format!("item without the number {name}"))
    };
    let uuid = |name: &str| -> anyhow::Result<Option<uuid::Uuid>> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map(|id| uuid::Uuid::parse_str(id).with_context(|| format!("{name} {id:?}")))
            .transpose()
    };
    let id = text("ticketId")?;
    let created = text("createdOn")?;
    Ok(Ticket {
        ticket_id: uuid::Uuid::parse_str(id).with_context(|| format!("ticketId {id:?}"))?,
        venue_id: text("venueId")?.clone(),
        event_id: text("eventId")?.clone(),
        zone_id: number("zoneId")?
            .parse()
            .with_context(|| format!("ticket {id}: zoneId"))?,
        row: text("row")?.clone(),
        column: number("column")?
            .parse()
            .with_context(|| format!("ticket {id}: column"))?,
        price: number("price")?
            .parse()
            .with_context(|| format!("ticket {id}: price"))?,
        created_on: chrono::DateTime::parse_from_rfc3339(created)
            .with_context(|| format!("ticket {id}: createdOn {created:?}"))?
            .with_timezone(&chrono::Utc),
        buyer_id: uuid("buyerId")?,
        order_id: uuid("orderId")?,
    })
}

/// A put of `item` (which names its seat) that succeeds only if the seat is free or already
/// the ticket's.
fn claim_request(
    table: &str,
    item: &HashMap<String, AttributeValue>,
    ticket: &Ticket,
) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item.clone()))
        .condition_expression("attribute_not_exists(seatKey) OR ticketId = :ticket")
        .expression_attribute_values(":ticket", AttributeValue::S(ticket.ticket_id.to_string()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn put(item: HashMap<String, AttributeValue>) -> anyhow::Result<WriteRequest> {
    Ok(WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build()?)
        .build())
}

#[cfg(test)]
mod tests {
    use domain::Price;

    use super::*;

    #[test]
    fn items_carry_every_field_with_exact_numbers() {
        let ticket = Ticket::issue("Venue1", "Event1", 3, "B".into(), 7, Price::from_cents(1999));
        let item = ticket_item(&ticket);
        assert_eq!(item["price"], AttributeValue::N("19.99".into()));
        assert_eq!(item["zoneId"], AttributeValue::N("3".into()));
        assert_eq!(item["status"], AttributeValue::S("CREATED".into()));
        assert_eq!(item.len(), 9);
        assert_eq!(seat_key(&ticket), "Event1#3#B#7");
        let owned = ticket_item(&ticket.owned_by(uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2)));
        assert_eq!(owned.len(), 11);
        assert_eq!(
            owned["buyerId"],
            AttributeValue::S("00000000-0000-0000-0000-000000000001".into())
        );
    }

    #[test]
    fn an_item_reads_back_as_its_ticket() {
        let ticket = Ticket::issue("Venue1", "Event1", 3, "B".into(), 7, Price::from_cents(1999));
        assert_eq!(ticket_from_item(&ticket_item(&ticket)).unwrap(), ticket);
        let owned = ticket.owned_by(uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        assert_eq!(ticket_from_item(&ticket_item(&owned)).unwrap(), owned);
        let mut broken = ticket_item(&owned);
        broken.remove("row");
        assert!(ticket_from_item(&broken).is_err());
    }
}
