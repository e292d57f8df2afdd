//! Publishing ticket events to RabbitMQ with publisher confirms.
//!
//! A batch is published in full, then every confirm is awaited: only an `Ack` without a
//! returned message counts. A `Nack`, a message returned as unroutable (`mandatory`), or a
//! connection error fails the whole batch, which the relay then publishes again; consumers
//! are idempotent on the message id, so a message confirmed twice is harmless.

use std::sync::{Arc, Mutex};

use infra::amqp::{self, Topology};
use infra::config::AmqpSettings;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::Confirmation;
use lapin::{BasicProperties, Channel, ChannelStatus, Connection};

use super::outbox::Entry;

/// AMQP `type` of a ticket event.
pub const MESSAGE_TYPE: &str = "ticket.created";

/// Why a batch was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No connection or channel could be opened, or the topology could not be declared.
    #[error("cannot reach the broker: {0}")]
    Connect(#[source] lapin::Error),
    /// The connection failed during the batch.
    #[error("publishing failed: {0}")]
    Publish(#[source] lapin::Error),
    /// The broker refused to take responsibility for a message.
    #[error("the broker nacked message {message_id}")]
    Nacked {
        /// Ticket id of the message.
        message_id: String,
    },
    /// No queue was bound to the exchange, so the message would have been lost.
    #[error("message {message_id} was returned unroutable: {reply}")]
    Unroutable {
        /// Ticket id of the message.
        message_id: String,
        /// The broker's reply text.
        reply: String,
    },
}

/// Whether the relay's broker connection is up, shared with the readiness check. It follows
/// the live channel, so a connection lost while idle shows at once.
#[derive(Clone, Default)]
pub struct BrokerHealth(Arc<Mutex<HealthState>>);

#[derive(Default)]
struct HealthState {
    channel: Option<ChannelStatus>,
    last_error: String,
}

impl BrokerHealth {
    /// True while the relay holds an open channel.
    pub fn is_connected(&self) -> bool {
        self.0
            .lock()
            .is_ok_and(|s| s.channel.as_ref().is_some_and(ChannelStatus::connected))
    }

    /// The last connection problem, for the readiness answer.
    pub fn last_error(&self) -> String {
        match self.0.lock() {
            Ok(s) if s.last_error.is_empty() => "not connected yet".to_owned(),
            Ok(s) => s.last_error.clone(),
            Err(_) => String::new(),
        }
    }

    fn up(&self, channel: &Channel) {
        if let Ok(mut s) = self.0.lock() {
            s.channel = Some(channel.status().clone());
        }
    }

    fn down(&self, error: &dyn std::fmt::Display) {
        if let Ok(mut s) = self.0.lock() {
            s.channel = None;
            s.last_error = error.to_string();
        }
    }
}

struct Link {
    // Kept so the connection lives as long as its channel.
    _connection: Connection,
    channel: Channel,
}

/// A publisher that (re)connects lazily: after any failure the next batch opens a new
/// connection and declares the topology again.
pub struct Publisher {
    settings: AmqpSettings,
    topology: Topology,
    link: Option<Link>,
    health: BrokerHealth,
}

impl Publisher {
    /// A publisher to the exchange of `settings`; it connects on the first batch.
    pub fn new(settings: AmqpSettings, health: BrokerHealth) -> Self {
        let topology = Topology::new(&settings);
        Self {
            settings,
            topology,
            link: None,
            health,
        }
    }

    /// Opens the connection now (it is otherwise opened by the first batch).
    pub async fn connect(&mut self) -> Result<(), PublishError> {
        self.channel().await.map(drop)
    }

    /// Publishes `entries` and waits for all their confirms.
    pub async fn publish(&mut self, entries: &[Entry]) -> Result<(), PublishError> {
        let channel = self.channel().await?.clone();
        let result = publish_confirmed(&channel, &self.topology.exchange, entries).await;
        if let Err(e) = &result {
            // Whatever went wrong, start over on a fresh connection with the topology
            // declared again (an unroutable message means a queue went missing).
            self.link = None;
            self.health.down(e);
        }
        result
    }

    async fn channel(&mut self) -> Result<&Channel, PublishError> {
        let usable = self.link.as_ref().is_some_and(|l| l.channel.status().connected());
        if !usable {
            self.link = None;
            match self.open().await {
                Ok(link) => {
                    self.health.up(&link.channel);
                    self.link = Some(link);
                }
                Err(e) => {
                    self.health.down(&e);
                    return Err(PublishError::Connect(e));
                }
            }
        }
        let closed =
            || PublishError::Connect(lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed).into());
        self.link.as_ref().map(|l| &l.channel).ok_or_else(closed)
    }

    async fn open(&self) -> lapin::Result<Link> {
        let connection = amqp::connect(&self.settings, "ticketing-api-relay").await?;
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        self.topology.declare(&channel).await?;
        tracing::info!(exchange = self.topology.exchange, "relay connected to the broker");
        Ok(Link {
            _connection: connection,
            channel,
        })
    }
}

async fn publish_confirmed(channel: &Channel, exchange: &str, entries: &[Entry]) -> Result<(), PublishError> {
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    let mut confirms = Vec::with_capacity(entries.len());
    for entry in entries {
        let properties = BasicProperties::default()
            .with_message_id(entry.message_id.as_str().into())
            .with_content_type("application/json".into())
            .with_type(MESSAGE_TYPE.into())
            .with_delivery_mode(2);
        let confirm = channel
            .basic_publish(exchange.into(), "".into(), mandatory, &entry.payload, properties)
            .await
            .map_err(PublishError::Publish)?;
        confirms.push((entry, confirm));
    }
    for (entry, confirm) in confirms {
        match confirm.await.map_err(PublishError::Publish)? {
            Confirmation::Ack(None) => {}
            Confirmation::Ack(Some(returned)) => {
                return Err(PublishError::Unroutable {
                    message_id: entry.message_id.clone(),
                    reply: returned.reply_text.to_string(),
                })
            }
            Confirmation::Nack(_) | Confirmation::NotRequested => {
                return Err(PublishError::Nacked {
                    message_id: entry.message_id.clone(),
                })
            }
        }
    }
    Ok(())
}
