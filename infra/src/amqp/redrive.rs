//! Redrive: moves dead-lettered messages back to their work queue once the cause is fixed (a consumer upgraded to read a new schema
//! version, say).
//!
//! Each message is published to that store's queue only (through the default exchange, so
//! the other store does not get it again) with a publisher confirm, and only then
//! acknowledged in the DLQ: a crash mid-way duplicates at most one message, which the
//! idempotent stores absorb. A message that is still poison comes back to the DLQ; so that it
//! is not moved again and again while a consumer runs, a redrive moves at most the messages
//! the DLQ held when it started.

//! (`consumers redrive <mysql|dynamodb> [--limit N]`, `POST /api/v1/admin/dlq/{store}/redrive`).

use anyhow::Context;

use super::Topology;
use crate::config::AmqpSettings;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::Confirmation;

/// Moves the messages in `queue`'s DLQ back to `queue`: as many as it holds now, or `limit`
/// if that is fewer. Returns how many it moved.
pub async fn redrive(settings: &AmqpSettings, queue: &str, limit: Option<u64>) -> anyhow::Result<u64> {
    let connection = super::connect(settings, "ticketing-redrive")
        .await
        .context("Failed to connect to RabbitMQ")?;
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let dlq = Topology::dead_letter_queue(queue);
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let depth = channel
        .queue_declare(dlq.as_str().into(), passive, FieldTable::default())
        .await
        .with_context(|| format!("Failed to look at {dlq}"))?
        .message_count();
    let limit = limit.map_or(u64::from(depth), |l| l.min(u64::from(depth)));
    let mut moved = 0;
    while moved < limit {
        let Some(message) = channel
            .basic_get(dlq.as_str().into(), BasicGetOptions::default())
            .await?
        else {
            break;
        };
        let delivery = message.delivery;
        let mandatory = BasicPublishOptions {
            mandatory: true,
            ..Default::default()
        };
        let confirm = channel
            .basic_publish(
                "".into(),
                queue.into(),
                mandatory,
                &delivery.data,
                delivery.properties.clone(),
            )
            .await?
            .await?;
        anyhow::ensure!(
            matches!(confirm, Confirmation::Ack(None)),
            "the broker did not take the message back into {queue}; it stays in {dlq}"
        );
        channel
            .basic_ack(delivery.delivery_tag, BasicAckOptions::default())
            .await?;
        moved += 1;
    }
    connection.close(200, "redrive done".into()).await.ok();
    Ok(moved)
}
