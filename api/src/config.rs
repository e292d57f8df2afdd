//! The sections of the configuration the api reads (`infra::config`); nothing else is
//! validated, so a bad value meant for the consumers never stops the api.

use infra::config::{
    AmqpSettings, AuthSettings, CatalogSettings, ConfigError, Env, HoldSettings, HttpSettings, KafkaSettings,
    MysqlSettings, RedisSettings, RelaySettings,
};

/// Everything the api reads.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// The HTTP server.
    pub http: HttpSettings,
    /// Accounts and tokens.
    pub auth: AuthSettings,
    /// Seat holds and checkout.
    pub holds: HoldSettings,
    /// Seat state and the outbox.
    pub redis: RedisSettings,
    /// The broker the relay publishes to.
    pub amqp: AmqpSettings,
    /// The read model the queries read, and the catalog tables.
    pub mysql: MysqlSettings,
    /// The outbox relay.
    pub relay: RelaySettings,
    /// The optional replay topic the relay also produces to.
    pub kafka: KafkaSettings,
    /// The catalog's seed file.
    pub catalog: CatalogSettings,
}

impl ApiSettings {
    /// The api's sections, from `env`.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpSettings::load(env)?,
            auth: AuthSettings::load(env)?,
            holds: HoldSettings::load(env)?,
            redis: RedisSettings::load(env)?,
            amqp: AmqpSettings::load(env)?,
            mysql: MysqlSettings::load(env)?,
            relay: RelaySettings::load(env)?,
            kafka: KafkaSettings::load(env)?,
            catalog: CatalogSettings::load(env)?,
        })
    }
}
