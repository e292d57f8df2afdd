//! Reading what reached the stores, and putting raw messages on the exchange.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use infra::catalog::Price;
use infra::ticket::{Ticket, TicketEvent};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::BasicProperties;
use mysql_async::prelude::Queryable;
use serde_json::{json, Value};

use crate::env::TestEnv;

/// The columns of `ticket`, in table order.
type SqlRow = (String, String, String, u32, String, u32, String, String);

/// A row of the MySQL `ticket` table, as the JSON the API answered.
pub type SqlTicket = Value;
/// An item of the DynamoDB `tickets` table, as the JSON the API answered plus `status`.
pub type DynamoTicket = Value;

impl TestEnv {
    /// Every row of the test database's `ticket` table (empty if the table does not exist).
    pub async fn sql_tickets(&self) -> Vec<SqlTicket> {
        let settings = self.settings(&[]);
        let mut conn = match mysql_async::Conn::from_url(settings.mysql.url.as_str()).await {
            Ok(conn) => conn,
            Err(mysql_async::Error::Server(e)) if e.code == 1049 => return Vec::new(), // no database yet
            Err(e) => panic!("{e}"),
        };
        let rows: Result<Vec<SqlRow>, _> = conn
            .query(
                "SELECT ticket_id, venue_id, event_id, zone_id, row_label, col_label, CAST(price AS CHAR),
                        DATE_FORMAT(created_on, '%Y-%m-%dT%H:%i:%s.%fZ')
                 FROM ticket ORDER BY ticket_id",
            )
            .await;
        conn.disconnect().await.ok();
        rows.unwrap_or_default()
            .into_iter()
            .map(|(id, venue, event, zone, row, column, price, created)| {
                // %f is microseconds; the API answers milliseconds.
                let created = format!("{}Z", &created[..created.len() - 4]);
                json!({"ticketId": id, "venueId": venue, "eventId": event, "zoneId": zone, "row": row,
                       "column": column, "price": price, "createdOn": created})
            })
            .collect()
    }

    /// Writes `tickets` into the test database the way the SQL consumer does (the schema
    /// must exist: an app or consumer of this environment has started).
    pub async fn store_sql(&self, tickets: &[Ticket]) {
        let settings = self.settings(&[]);
        let pool = mysql_async::Pool::new(settings.mysql.url.as_str());
        let store = consumers::mysql::MysqlStore::new(pool.clone());
        for chunk in tickets.chunks(1000) {
            let conflicts = consumers::store::Store::write(&store, chunk).await.unwrap();
            assert!(conflicts.is_empty(), "{conflicts:?}");
        }
        pool.disconnect().await.ok();
    }

    /// A connection to the test database.
    pub async fn mysql(&self) -> mysql_async::Conn {
        mysql_async::Conn::from_url(self.settings(&[]).mysql.url.as_str())
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
                let ticket = json!({"ticketId": s("ticketId"), "venueId": s("venueId"), "eventId": s("eventId"),
                    "zoneId": s("zoneId"), "row": s("row"), "column": s("column"), "price": s("price"),
                    "createdOn": s("createdOn"), "status": s("status")});
                items.insert(ticket["ticketId"].as_str().unwrap().to_owned(), ticket);
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return items;
            }
        }
    }

    /// Publishes `body` to the test's exchange as the relay would, with `message_id`.
    pub async fn publish_raw(&self, body: &[u8], message_id: &str) {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test-publish").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        let properties = BasicProperties::default()
            .with_message_id(message_id.into())
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        channel
            .basic_publish(
                settings.amqp.exchange.as_str().into(),
                "".into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        connection.close(0, "".into()).await.ok();
    }

    /// Publishes the events of `tickets` to the test's exchange, as the relay would.
    pub async fn publish_tickets(&self, tickets: &[Ticket]) {
        let settings = self.settings(&[]);
        let connection = infra::amqp::connect(&settings.amqp, "test-publish").await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
        for ticket in tickets {
            let body = TicketEvent::to_json(ticket).unwrap();
            let properties = BasicProperties::default()
                .with_message_id(ticket.ticket_id.to_string().into())
                .with_content_type("application/json".into())
                .with_delivery_mode(2);
            channel
                .basic_publish(
                    settings.amqp.exchange.as_str().into(),
                    "".into(),
                    BasicPublishOptions::default(),
                    body.as_bytes(),
                    properties,
                )
                .await
                .unwrap();
        }
        channel.wait_for_confirms().await.unwrap();
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
