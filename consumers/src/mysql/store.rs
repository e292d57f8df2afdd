//! A batch of tickets as one multi-row insert in one transaction.
//!
//! `INSERT IGNORE` skips rows whose primary key (a redelivered ticket) or seat key (a second
//! ticket for a seat) exists. Which of the two happened is read back in the same
//! transaction: a ticket id of the batch that is not in the table lost its seat to another
//! ticket, and is reported as a conflict rather than passed over silently.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Datelike, Timelike, Utc};
use domain::Ticket;
use mysql_async::prelude::Queryable;
use mysql_async::{Params, Pool, TxOpts, Value};

use crate::store::{Conflict, Store};

const COLUMNS: usize = 10;

/// The MySQL read model.
#[derive(Clone)]
pub struct MysqlStore {
    pool: Pool,
}

impl MysqlStore {
    /// A store over `pool`, whose schema is migrated.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

impl Store for MysqlStore {
    fn name(&self) -> &'static str {
        "mysql"
    }

    async fn write(&self, tickets: &[Ticket]) -> anyhow::Result<Vec<Conflict>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get_conn().await.context("Failed to get a MySQL connection")?;
        let mut tx = conn.start_transaction(TxOpts::default()).await?;
        tx.exec_drop(insert_statement(tickets.len(), true), insert_params(tickets))
            .await
            .context("Failed to insert tickets")?;
        let conflicts = if tx.affected_rows() < tickets.len() as u64 {
            find_conflicts(&mut tx, tickets).await?
        } else {
            Vec::new()
        };
        tx.commit().await.context("Failed to commit tickets")?;
        Ok(conflicts)
    }

    async fn reset(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get_conn().await.context("Failed to get a MySQL connection")?;
        conn.query_drop("DELETE FROM ticket")
            .await
            .context("Failed to delete the tickets")
    }
}

/// `INSERT [IGNORE] INTO ticket (...) VALUES (?,...),...` for `rows` tickets; the raw-write
/// benchmark uses the plain form.
pub fn insert_statement(rows: usize, ignore: bool) -> String {
    let row = format!("({})", ["?"; COLUMNS].join(","));
    format!(
        "INSERT {}INTO ticket (ticket_id, venue_id, event_id, zone_id, row_label, col_label, price, created_on, \
         buyer_id, order_id) VALUES {}",
        if ignore { "IGNORE " } else { "" },
        vec![row; rows].join(",")
    )
}

/// The values of `tickets` for [`insert_statement`], row after row.
pub fn insert_params(tickets: &[Ticket]) -> Params {
    let mut values = Vec::with_capacity(tickets.len() * COLUMNS);
    for t in tickets {
        values.extend([
            Value::from(t.ticket_id.to_string()),
            Value::from(&t.venue_id),
            Value::from(&t.event_id),
            Value::from(t.zone_id),
            Value::from(&t.row),
            Value::from(t.column),
            Value::from(t.price.to_string()),
            datetime(&t.created_on),
            Value::from(t.buyer_id.map(|id| id.to_string())),
            Value::from(t.order_id.map(|id| id.to_string())),
        ]);
    }
    Params::Positional(values)
}

/// A `DATETIME(3)` value in the binary protocol: no text to format or parse.
fn datetime(at: &DateTime<Utc>) -> Value {
    Value::Date(
        at.year() as u16,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
        at.timestamp_subsec_micros(),
    )
}

/// The tickets of the batch absent from the table after the insert, with the ticket that
/// holds each one's seat.
async fn find_conflicts(tx: &mut mysql_async::Transaction<'_>, tickets: &[Ticket]) -> anyhow::Result<Vec<Conflict>> {
    let ids: Vec<String> = tickets.iter().map(|t| t.ticket_id.to_string()).collect();
    let placeholders = vec!["?"; ids.len()].join(",");
    let stored: HashSet<String> = tx
        .exec::<String, _, _>(
            format!("SELECT ticket_id FROM ticket WHERE ticket_id IN ({placeholders})"),
            ids,
        )
        .await
        .context("Failed to read back inserted tickets")?
        .into_iter()
        .collect();
    let mut conflicts = Vec::new();
    for ticket in tickets.iter().filter(|t| !stored.contains(&t.ticket_id.to_string())) {
        let holder: Option<String> = tx
            .exec_first(
                "SELECT ticket_id FROM ticket WHERE event_id = ? AND zone_id = ? AND row_label = ? AND col_label = ?",
                (&ticket.event_id, ticket.zone_id, &ticket.row, ticket.column),
            )
            .await?;
        conflicts.push(Conflict {
            ticket_id: ticket.ticket_id,
            holder,
        });
    }
    Ok(conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_placeholder_group_per_row() {
        let sql = insert_statement(3, true);
        assert_eq!(sql.matches("(?,?,?,?,?,?,?,?,?,?)").count(), 3);
        assert!(sql.starts_with("INSERT IGNORE INTO ticket"));
    }
}
