//! What the api and the consumers share besides the pure domain (the `domain` crate): the
//! event contract on the wire, configuration, and one adapter per technology, each named
//! after it, with its client, schema or topology.
//!
//! | module | what |
//! |---|---|
//! | [`contract`] | the ticket event: body, version, AMQP properties, outbox fields, Kafka key |
//! | [`config`] | every environment variable, read and validated once |
//! | [`redis`] | key scheme of the seat state and the outbox; the connection |
//! | [`seat_state`] | an event's sold bitmaps and counters as a whole: read, rebuilt |
//! | [`amqp`] | RabbitMQ: connection, topology, publishing |
//! | [`mysql`] | pool, migrations (`infra/sql/`), catalog tables, ticket rows |
//! | `dynamodb` | client and tables of the write model (feature `dynamodb`: the api does not link it) |
//! | [`kafka`] | the optional replay topic |
//! | [`seed`] | the catalog's seed file |
//! | [`metrics`] | the Prometheus recorder and the consumers' metrics listener |
//! | [`probe`], [`retry`], [`shutdown`], [`telemetry`] | health checks, backoff, stopping, logs |

pub mod amqp;
pub mod config;
pub mod contract;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod kafka;
pub mod metrics;
pub mod mysql;
pub mod probe;
pub mod redis;
pub mod retry;
pub mod seat_state;
pub mod seed;
pub mod shutdown;
pub mod telemetry;
