//! The sections of the configuration the consumers read (`infra::config`); nothing else is
//! validated, so a bad value meant for the api never stops a consumer.

use infra::config::{
    AmqpSettings, CatalogSettings, ConfigError, ConsumerSettings, DynamoDbSettings, Env, KafkaSettings, MysqlSettings,
    RedisSettings,
};

/// Everything `consumers` and its replay and redrive read; `reset` and `audit` read
/// [`StackSettings`].
#[derive(Debug, Clone)]
pub struct ConsumersSettings {
    /// The broker and the queues.
    pub amqp: AmqpSettings,
    /// Batching, prefetch, concurrency, backoff.
    pub consumer: ConsumerSettings,
    /// The read model.
    pub mysql: MysqlSettings,
    /// The write model.
    pub dynamodb: DynamoDbSettings,
    /// The replay topic, for `replay`.
    pub kafka: KafkaSettings,
}

impl ConsumersSettings {
    /// The consumers' sections, from `env`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            amqp: AmqpSettings::load(env)?,
            consumer: ConsumerSettings::load(env)?,
            mysql: MysqlSettings::load(env)?,
            dynamodb: DynamoDbSettings::load(env)?,
            kafka: KafkaSettings::load(env)?,
        })
    }
}

/// Every store of a stack and its catalog, for the operations that read or wipe them all:
/// `reset` ([`crate::reset`]) and `audit` ([`crate::audit`], which has no use for the replay
/// topic).
#[derive(Debug, Clone)]
pub struct StackSettings {
    /// Seat state and outbox.
    pub redis: RedisSettings,
    /// The queues and their dead-letter queues.
    pub amqp: AmqpSettings,
    /// The read model and the catalog tables.
    pub mysql: MysqlSettings,
    /// The write model.
    pub dynamodb: DynamoDbSettings,
    /// The replay topic.
    pub kafka: KafkaSettings,
    /// The events and their venues.
    pub catalog: CatalogSettings,
}

impl StackSettings {
    /// The stack's sections, from `env`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            redis: RedisSettings::load(env)?,
            amqp: AmqpSettings::load(env)?,
            mysql: MysqlSettings::load(env)?,
            dynamodb: DynamoDbSettings::load(env)?,
            kafka: KafkaSettings::load(env)?,
            catalog: CatalogSettings::load(env)?,
        })
    }
}

impl From<&infra::config::Settings> for StackSettings {
    fn from(all: &infra::config::Settings) -> Self {
        Self {
            redis: all.redis.clone(),
            amqp: all.amqp.clone(),
            mysql: all.mysql.clone(),
            dynamodb: all.dynamodb.clone(),
            kafka: all.kafka.clone(),
            catalog: all.catalog.clone(),
        }
    }
}
