//! Reading what reached the stores, and putting raw messages on the exchange.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{Price, Ticket};
use infra::contract::TicketEvent;
use infra::mysql::{decode_ticket, TicketRow, TICKET_COLUMNS};
use lapin::options::{ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use mysql_async::prelude::Queryable;
use serde_json::{json, Value};

use crate::env::TestEnv;

/// A row of the MySQL `ticket` table, as the JSON the API answered.
pub type SqlTicket = Value;
/// An item of the DynamoDB `tickets` table, as the JSON the API answered plus `status`.
pub type DynamoTicket = Value;

impl TestEnv {
    /// Every row of the test database's `ticket` table, in ticket id order; empty while no
    /// program of this environment has created the database and migrated its schema to the
    /// latest version yet (no consumer writes before that). Any other failure panics: a helper
    /// that read a broken query as "no tickets" would let a test pass.
    pub async fn sql_tickets(&self) -> Vec<SqlTicket> {
        let settings = self.settings(&[]);
        let mut conn = match mysql_async::Conn::from_url(settings.mysql.url.expose()).await {
            Ok(conn) => conn,
            Err(mysql_async::Error::Server(e)) if e.code == 1049 => return Vec::new(), // no database yet
            Err(e) => panic!("{e}"),
        };
        if !migrated(&mut conn).await {
            return Vec::new();
        }
        let rows: Vec<TicketRow> = conn
            .query(format!("SELECT {TICKET_COLUMNS} FROM ticket ORDER BY ticket_id"))
            .await
            .unwrap_or_else(|e| panic!("reading the test's tickets: {e}"));
        conn.disconnect().await.ok();
        rows.into_iter()
            .map(|row| serde_json::to_value(decode_ticket(row).unwrap()).unwrap())
            .collect()
    }

    /// Waits up to `timeout` until both stores hold exactly the tickets `ids` and no other
    /// (the test's database and table are its own); panics naming `what` if they never do.
    pub async fn wait_stored_exactly(&self, ids: &HashSet<String>, what: &str, timeout: std::time::Duration) {
        eventually(what, timeout, || async {
            let rows: HashSet<String> = self
                .sql_tickets()
                .await
                .iter()
                .filter_map(|row| row["ticketId"].as_str().map(str::to_owned))
                .collect();
            let items: HashSet<String> = self.dynamo_tickets().await.into_keys().collect();
            (rows == *ids && items == *ids).then_some(())
        })
        .await;
    }

    /// Writes `tickets` into the test database the way the SQL consumer does (the schema
    /// must exist: an app or consumer of this environment has started).
    pub async fn store_sql(&self, tickets: &[Ticket]) {
        let settings = self.settings(&[]);
        let pool = mysql_async::Pool::new(settings.mysql.url.expose());
        let store = consumers::mysql::MysqlStore::new(pool.clone());
        for chunk in tickets.chunks(1000) {
            let conflicts = consumers::store::Store::write(&store, chunk).await.unwrap();
            assert!(conflicts.is_empty(), "{conflicts:?}");
        }
        pool.disconnect().await.ok();
    }

    /// A connection to the test database.
    pub async fn mysql(&self) -> mysql_async::Conn {
        mysql_async::Conn::from_url(self.settings(&[]).mysql.url.expose())
            .await
            .unwrap()
    }

    /// Every item of the test's DynamoDB tickets table, by ticket id.
    pub async fn dynamo_tickets(&self) -> HashMap<String, DynamoTicket> {
        let settings = self.settings(&[]);
        let client = infra::dynamodb::connect(&settings.dynamodb).await;
        let mut items = HashMap::new();
        let mut start = None;
        loop {
            let page = match client
                .scan()
                .table_name(&settings.dynamodb.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
            {
                Ok(page) => page,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    return items
                }
                Err(e) => panic!("scan failed: {e:?}"),
            };
            for item in page.items() {
                let s = |k: &str| match item.get(k) {
                    Some(AttributeValue::S(v)) => json!(v),
                    // DynamoDB normalizes numbers ("80.00" is stored as 80).
                    Some(AttributeValue::N(v)) if k == "price" => json!(v.parse::<Price>().unwrap().to_string()),
                    Some(AttributeValue::N(v)) => json!(v.parse::<u64>().unwrap()),
                    other => panic!("{k}: {other:?}"),
                };
                let mut ticket = json!({"ticketId": s("ticketId"), "venueId": s("venueId"), "eventId": s("eventId"),
                    "zoneId": s("zoneId"), "row": s("row"), "column": s("column"), "price": s("price"),
                    "createdOn": s("createdOn"), "status": s("status")});
                for owner in ["buyerId", "orderId"] {
                    if item.contains_key(owner) {
                        ticket[owner] = s(owner);
                    }
                }
                items.insert(ticket["ticketId"].as_str().unwrap().to_owned(), ticket);
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return items;
            }
        }
    }

    /// Publishes `body` to the test's exchange as the relay would, as message `message_id`.
    pub async fn publish_raw(&self, body: &[u8], message_id: &str) {
        self.publish(&[(message_id.to_owned(), body.to_vec())]).await;
    }

    /// Publishes the events of `tickets` to the test's exchange, as the relay would.
    pub async fn publish_tickets(&self, tickets: &[Ticket]) {
        let messages: Vec<(String, Vec<u8>)> = tickets
            .iter()
            .map(|t| (t.ticket_id.to_string(), TicketEvent::to_json(t).unwrap().into_bytes()))
            .collect();
        self.publish(&messages).await;
    }

    /// Publishes `events` (event JSON, each as the outbox holds it) as one batch message, as
    /// the relay does, named by `ticket_ids`.
    pub async fn publish_batch(&self, events: &[Vec<u8>], ticket_ids: &[String]) {
        let body = infra::contract::batch_body(events.iter().map(Vec::as_slice));
        let id = infra::contract::batch_message_id(ticket_ids.iter().map(String::as_str));
        self.publish_counted(&[(id, body, events.len())]).await;
    }

    /// Publishes `(message id, body)` messages, one event each, to the test's exchange.
    async fn publish(&self, messages: &[(String, Vec<u8>)]) {
        let counted: Vec<(String, Vec<u8>, usize)> = messages
            .iter()
            .map(|(id, body)| (id.clone(), body.clone(), 1))
            .collect();
        self.publish_counted(&counted).await;
    }

    /// Publishes `(message id, body, tickets)` messages to the test's exchange through the
    /// contract's one publisher, and waits until the broker has confirmed them all.
    async fn publish_counted(&self, messages: &[(String, Vec<u8>, usize)]) {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test-publish").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
        let mut confirms = Vec::with_capacity(messages.len());
        for (message_id, body, tickets) in messages {
            confirms.push(
                infra::amqp::publish(&channel, &settings.amqp.exchange, "", message_id, body, *tickets)
                    .await
                    .unwrap(),
            );
        }
        for confirm in confirms {
            let confirmation = confirm.await.unwrap();
            assert!(
                matches!(confirmation, lapin::Confirmation::Ack(None)),
                "the broker did not take the message: {confirmation:?}"
            );
        }
        connection.close(0, "".into()).await.ok();
    }

    /// Messages ready in `queue` (not counting those delivered and unacknowledged).
    pub async fn queue_depth(&self, queue: &str) -> u32 {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test-depth").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        let options = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let queue = channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await
            .unwrap();
        connection.close(0, "".into()).await.ok();
        queue.message_count()
    }
}

/// Whether `schema_migrations` records the latest migration.
async fn migrated(conn: &mut mysql_async::Conn) -> bool {
    let latest = infra::mysql::MIGRATIONS.last().map_or(0, |(version, ..)| *version);
    let recorded: Result<Option<u64>, _> = conn
        .exec_first("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", (latest,))
        .await;
    match recorded {
        Ok(count) => count.unwrap_or(0) > 0,
        Err(mysql_async::Error::Server(e)) if e.code == 1146 => false, // no migration ran yet
        Err(e) => panic!("reading schema_migrations: {e}"),
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

impl TestEnv {
    /// Every entry of the simulated payment gateway's ledger: `charge`, `amount` (cents),
    /// `hold`, `status` (`charged` or `refunded`).
    pub async fn payments(&self) -> Vec<HashMap<String, String>> {
        use redis::AsyncCommands;
        let mut redis = self.redis().await;
        let pattern = format!("{}:payments:*", self.settings(&[]).redis.key_prefix);
        let keys: Vec<String> = redis.keys(pattern).await.unwrap();
        let mut entries = Vec::new();
        for key in keys {
            entries.push(redis.hgetall(key).await.unwrap());
        }
        entries
    }
}
