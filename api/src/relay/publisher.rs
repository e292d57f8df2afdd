//! Publishing ticket events to RabbitMQ with publisher confirms.
//!
//! The messages of a delivery are published in full, then every confirm is awaited: only an
//! `Ack` without a returned message counts. A `Nack`, a message returned as unroutable
//! (`mandatory`), or a connection error fails the whole delivery, which the relay then
//! publishes again; consumers are idempotent on the ticket id, so a message confirmed twice
//! is harmless.

use infra::amqp::{self, Topology};
use infra::config::AmqpSettings;
use lapin::options::ConfirmSelectOptions;
use lapin::Confirmation;
use lapin::{Channel, Connection};

use super::batch::Message;
use super::link::LinkHealth;

/// Why a batch was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No connection or channel could be opened, or the topology could not be declared.
    #[error("cannot reach the broker: {0}")]
    Connect(#[source] lapin::Error),
    /// The connection failed during the batch.
    #[error("publishing failed: {0}")]
    Publish(#[source] lapin::Error),
    /// The broker did not answer within `AMQP_TIMEOUT_MS`: counted as down.
    #[error("the broker did not answer in time (AMQP_TIMEOUT_MS)")]
    TimedOut,
    /// The broker refused to take responsibility for a message.
    #[error("the broker nacked message {message_id}")]
    Nacked {
        /// Id of the message.
        message_id: String,
    },
    /// No queue was bound to the exchange, so the message would have been lost.
    #[error("message {message_id} was returned unroutable: {reply}")]
    Unroutable {
        /// Id of the message.
        message_id: String,
        /// The broker's reply text.
        reply: String,
    },
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
    health: LinkHealth,
}

impl Publisher {
    /// A publisher to the exchange of `settings`; it connects on the first batch.
    pub fn new(settings: AmqpSettings, health: LinkHealth) -> Self {
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

    /// Publishes `messages` and waits for all their confirms.
    pub async fn publish(&mut self, messages: &[Message]) -> Result<(), PublishError> {
        let channel = self.channel().await?.clone();
        let result = tokio::time::timeout(
            self.settings.timeout,
            publish_confirmed(&channel, &self.topology.exchange, messages),
        )
        .await
        .unwrap_or(Err(PublishError::TimedOut));
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
            let opened = tokio::time::timeout(self.settings.timeout, self.open())
                .await
                .unwrap_or_else(|_| Err(PublishError::TimedOut));
            match opened {
                Ok(link) => {
                    let status = link.channel.status().clone();
                    self.health.up_while(move || status.connected());
                    self.link = Some(link);
                }
                Err(e) => {
                    self.health.down(&e);
                    return Err(e);
                }
            }
        }
        let closed =
            || PublishError::Connect(lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed).into());
        self.link.as_ref().map(|l| &l.channel).ok_or_else(closed)
    }

    async fn open(&self) -> Result<Link, PublishError> {
        let open = async {
            let connection = amqp::connect(&self.settings, "ticketing-api-relay").await?;
            let channel = connection.create_channel().await?;
            channel.confirm_select(ConfirmSelectOptions::default()).await?;
            self.topology.declare(&channel).await?;
            lapin::Result::Ok((connection, channel))
        };
        let (connection, channel) = open.await.map_err(PublishError::Connect)?;
        tracing::info!(exchange = self.topology.exchange, "relay connected to the broker");
        Ok(Link {
            _connection: connection,
            channel,
        })
    }
}

async fn publish_confirmed(channel: &Channel, exchange: &str, messages: &[Message]) -> Result<(), PublishError> {
    let mut confirms = Vec::with_capacity(messages.len());
    for message in messages {
        let confirm = amqp::publish(
            channel,
            exchange,
            "",
            &message.message_id,
            &message.body,
            message.tickets,
        )
        .await
        .map_err(PublishError::Publish)?;
        confirms.push((message, confirm));
    }
    for (message, confirm) in confirms {
        match confirm.await.map_err(PublishError::Publish)? {
            Confirmation::Ack(None) => {}
            Confirmation::Ack(Some(returned)) => {
                return Err(PublishError::Unroutable {
                    message_id: message.message_id.clone(),
                    reply: returned.reply_text.to_string(),
                })
            }
            Confirmation::Nack(_) | Confirmation::NotRequested => {
                return Err(PublishError::Nacked {
                    message_id: message.message_id.clone(),
                })
            }
        }
    }
    Ok(())
}
