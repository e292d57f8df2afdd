//! The sections of the configuration the consumers read (`infra::config`); nothing else is
//! validated, so a bad value meant for the api never stops a consumer.

use infra::config::{AmqpSettings, ConfigError, ConsumerSettings, DynamoDbSettings, Env, KafkaSettings, MysqlSettings};

/// Everything `consumers` and its operations read, but `reset` ([`crate::reset::ResetSettings`]).
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
