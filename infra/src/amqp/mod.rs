//! RabbitMQ: connecting, the topology every program declares at start, and publishing a
//! message the way the contract says ([`publish`]).
//!
//! ```text
//! ticket.events (fanout, durable) ─┬─> tickets.mysql     (quorum) ──dead letters──> tickets.mysql.dlq
//!                                  └─> tickets.dynamodb  (quorum) ──dead letters──> tickets.dynamodb.dlq
//! ```
//! Declaring is idempotent, so the api and each consumer declare it all and start in any
//! order. Dead-lettering is `at-least-once`: a rejected message is not dropped on the way to
//! its DLQ even if the broker fails over meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, Event, ExchangeKind, PublisherConfirm};

mod redrive;

use crate::config::AmqpSettings;
use crate::contract;
pub use redrive::redrive;

/// Base name of the queue feeding the MySQL read model.
pub const MYSQL_QUEUE: &str = "tickets.mysql";
/// Base name of the queue feeding the DynamoDB write model.
pub const DYNAMODB_QUEUE: &str = "tickets.dynamodb";

/// The name of the queue `base` (e.g. [`MYSQL_QUEUE`]) after the configured prefix.
pub fn queue_name(settings: &AmqpSettings, base: &str) -> String {
    format!("{}{base}", settings.queue_prefix)
}

/// Names of the exchange and queues, after any configured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The fanout exchange ticket events are published to.
    pub exchange: String,
    /// The work queues bound to it, one per store.
    pub queues: Vec<String>,
}

impl Topology {
    /// The topology named by the settings.
    pub fn new(settings: &AmqpSettings) -> Self {
        Self {
            exchange: settings.exchange.clone(),
            queues: [MYSQL_QUEUE, DYNAMODB_QUEUE]
                .iter()
                .map(|q| queue_name(settings, q))
                .collect(),
        }
    }

    /// The dead-letter queue of `queue`.
    pub fn dead_letter_queue(queue: &str) -> String {
        format!("{queue}.dlq")
    }

    /// Every queue: the work queues and their dead-letter queues.
    pub fn all_queues(&self) -> Vec<String> {
        self.queues
            .iter()
            .flat_map(|q| [q.clone(), Self::dead_letter_queue(q)])
            .collect()
    }

    /// Declares the exchange, the queues and the bindings.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                self.exchange.as_str().into(),
                ExchangeKind::Fanout,
                durable,
                FieldTable::default(),
            )
            .await?;
        for queue in &self.queues {
            let dlq = Self::dead_letter_queue(queue);
            declare_quorum_queue(channel, &dlq, FieldTable::default()).await?;
            let mut args = FieldTable::default();
            args.insert("x-dead-letter-exchange".into(), string(""));
            args.insert("x-dead-letter-routing-key".into(), string(&dlq));
            args.insert("x-dead-letter-strategy".into(), string("at-least-once"));
            // at-least-once dead-lettering requires the queue to refuse publishes when full.
            args.insert("x-overflow".into(), string("reject-publish"));
            declare_quorum_queue(channel, queue, args).await?;
            channel
                .queue_bind(
                    queue.as_str().into(),
                    self.exchange.as_str().into(),
                    ShortString::from(""),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }
}

async fn declare_quorum_queue(channel: &Channel, name: &str, mut args: FieldTable) -> lapin::Result<()> {
    args.insert("x-queue-type".into(), string("quorum"));
    let options = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel.queue_declare(name.into(), options, args).await.map(drop)
}

fn string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}

/// The node of `AMQP_URL` this process connects to first: the last one it reached, or the
/// one after the last that failed.
static NEXT_NODE: AtomicUsize = AtomicUsize::new(0);

/// Opens a connection named after the program, so the management UI shows who is who.
///
/// With several nodes (a RabbitMQ cluster) it tries them in turn, from the node this process
/// last reached, giving each an equal share of `AMQP_TIMEOUT_MS`, and fails with the last
/// error if none answers. Only a node that fails moves the process on to the next one, so
/// the relay and the consumer workers of one process, connecting at once, all land on the
/// same healthy node, and all leave it together when it dies.
pub async fn connect(settings: &AmqpSettings, name: &str) -> lapin::Result<Connection> {
    let count = settings.nodes.len();
    let per_node = settings.timeout / u32::try_from(count).unwrap_or(u32::MAX);
    let first = NEXT_NODE.load(Ordering::Relaxed) % count;
    let mut failure = None;
    for i in (first..first + count).map(|i| i % count) {
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        let attempt = tokio::time::timeout(per_node, Connection::connect(settings.nodes[i].expose(), properties));
        let error = match attempt.await {
            Ok(Ok(connection)) => {
                if count > 1 {
                    NEXT_NODE.store(i, Ordering::Relaxed);
                    tracing::info!(node = %settings.nodes[i], connection = name, "connected to RabbitMQ");
                }
                return Ok(connection);
            }
            Ok(Err(e)) => e,
            Err(_) => std::io::Error::new(std::io::ErrorKind::TimedOut, "the broker did not answer in time").into(),
        };
        tracing::debug!(node = %settings.nodes[i], error = %error, "RabbitMQ node unreachable");
        // Move on from this node unless another connect already has.
        let _ = NEXT_NODE.compare_exchange(i, (i + 1) % count, Ordering::Relaxed, Ordering::Relaxed);
        failure = Some(error);
    }
    // The settings refuse an AMQP_URL without a node, so there was an attempt.
    Err(failure.unwrap_or_else(|| std::io::Error::other("AMQP_URL names no node").into()))
}

/// Purges every queue of the topology, DLQs included (declared first, so a fresh broker has
/// them); returns how many messages went.
pub async fn purge_all(settings: &AmqpSettings) -> anyhow::Result<u64> {
    use anyhow::Context;
    let connection = connect(settings, "ticketing-reset")
        .await
        .context("Failed to connect to RabbitMQ")?;
    let channel = connection.create_channel().await?;
    let topology = Topology::new(settings);
    topology
        .declare(&channel)
        .await
        .context("Failed to declare the topology")?;
    let mut purged = 0;
    for queue in topology.all_queues() {
        purged += u64::from(
            channel
                .queue_purge(queue.as_str().into(), lapin::options::QueuePurgeOptions::default())
                .await
                .with_context(|| format!("Failed to purge {queue}"))?,
        );
    }
    connection.close(0, "purged".into()).await.ok();
    Ok(purged)
}

/// How many messages wait in a queue and how many consumers read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Messages ready for delivery (not those delivered and not yet acknowledged).
    pub messages: u32,
    /// Consumers attached.
    pub consumers: u32,
}

/// The depth of each queue in `queues`, in order, looked up passively (a queue that does not
/// exist is an error). Gives up after the settings' timeout.
pub async fn depths(settings: &AmqpSettings, queues: &[String]) -> anyhow::Result<Vec<Depth>> {
    use anyhow::Context;
    let look = async {
        let connection = connect(settings, "ticketing-depths")
            .await
            .context("Failed to connect to RabbitMQ")?;
        let channel = connection.create_channel().await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let mut depths = Vec::with_capacity(queues.len());
        for queue in queues {
            let declared = channel
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await
                .with_context(|| format!("Failed to look at {queue}"))?;
            depths.push(Depth {
                messages: declared.message_count(),
                consumers: declared.consumer_count(),
            });
        }
        connection.close(200, "looked".into()).await.ok();
        Ok(depths)
    };
    tokio::time::timeout(settings.timeout, look)
        .await
        .map_err(|_| anyhow::anyhow!("RabbitMQ did not answer within {:?}", settings.timeout))?
}

/// How often [`lost`] looks at a connection's state between the error reports lapin sends.
const LOST_POLL: Duration = Duration::from_millis(500);

/// Completes once `connection` has failed or closed, saying why: as soon as lapin reports
/// the error, and at the latest [`LOST_POLL`] after its state stops being connected. Code
/// that waits on the broker races its waits against this, so that no future left pending on
/// a dead connection (a delivery stream, an acknowledgement, a close) can hang it.
pub async fn lost(connection: &Connection) -> String {
    let mut events = std::pin::pin!(connection.events_listener());
    let mut poll = tokio::time::interval(LOST_POLL);
    loop {
        tokio::select! {
            Some(event) = events.next() => {
                if let Event::Error(e) = event {
                    return e.to_string();
                }
            }
            _ = poll.tick() => {
                let status = connection.status();
                if !status.connected() {
                    let state = if status.errored() { "failed" } else { "closed" };
                    return format!("the connection {state}");
                }
            }
        }
    }
}

/// Publishes `body`, carrying `tickets` ticket events, as message `message_id` to `exchange`
/// with `routing_key`, with the contract's properties ([`contract::properties`]) and
/// `mandatory`, so that a message no queue takes comes back instead of vanishing. Every
/// publisher of ticket events goes through here: the relay, the consumers' dead-lettering,
/// and the tests and benchmarks that stand in for the relay. Await the returned confirm on a
/// channel in confirm mode.
pub async fn publish(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    message_id: &str,
    body: &[u8],
    tickets: usize,
) -> lapin::Result<PublisherConfirm> {
    publish_with(
        channel,
        exchange,
        routing_key,
        body,
        contract::properties(message_id, tickets),
    )
    .await
}

/// Header of a message a consumer dead-lettered itself: why it can never be stored.
pub const REASON_HEADER: &str = "x-dead-letter-reason";

/// Header of a message a consumer dead-lettered itself: the id of the message it came in.
pub const SOURCE_HEADER: &str = "x-source-message-id";

/// Publishes one ticket event that can never be stored, alone, to the dead-letter queue
/// `dlq` (through the default exchange) with why ([`REASON_HEADER`]) and where it came from
/// ([`SOURCE_HEADER`]), and waits for the broker's confirm. A consumer does this for one
/// poison event of a batch, or one ticket whose seat another ticket holds, before it
/// acknowledges the batch; `channel` must be in confirm mode.
pub async fn dead_letter(
    channel: &Channel,
    dlq: &str,
    event: &[u8],
    message_id: &str,
    source: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let properties = contract::properties(message_id, 1);
    let mut headers = properties.headers().clone().unwrap_or_default();
    headers.insert(REASON_HEADER.into(), string(reason));
    headers.insert(SOURCE_HEADER.into(), string(source));
    let confirm = publish_with(channel, "", dlq, event, properties.with_headers(headers)).await?;
    match confirm.await? {
        lapin::Confirmation::Ack(None) => Ok(()),
        other => anyhow::bail!("the broker did not take the dead letter into {dlq}: {other:?}"),
    }
}

/// Publishes the contract's reset command ([`contract::reset_properties`]) to `exchange`:
/// every store wipes its tickets when it reaches it in its queue.
pub async fn publish_reset(channel: &Channel, exchange: &str) -> lapin::Result<PublisherConfirm> {
    let id = uuid::Uuid::now_v7().to_string();
    let body = serde_json::json!({"reset": id}).to_string();
    publish_with(channel, exchange, "", body.as_bytes(), contract::reset_properties(&id)).await
}

async fn publish_with(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: lapin::BasicProperties,
) -> lapin::Result<PublisherConfirm> {
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    channel
        .basic_publish(exchange.into(), routing_key.into(), mandatory, body, properties)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_carry_the_prefix_and_each_has_a_dlq() {
        let settings = AmqpSettings {
            nodes: vec![crate::config::SecretUrl::new("amqp://x")],
            exchange: "ex".into(),
            queue_prefix: "t1.".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        let topology = Topology::new(&settings);
        assert_eq!(topology.queues, ["t1.tickets.mysql", "t1.tickets.dynamodb"]);
        assert_eq!(
            topology.all_queues(),
            [
                "t1.tickets.mysql",
                "t1.tickets.mysql.dlq",
                "t1.tickets.dynamodb",
                "t1.tickets.dynamodb.dlq"
            ]
        );
    }
}
