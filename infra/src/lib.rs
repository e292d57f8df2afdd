//! Building blocks shared by the ticketing services: the domain model (catalog, tickets),
//! the event contract on the wire, configuration, and the clients, schema and topology of
//! Redis, RabbitMQ and MySQL.

pub mod amqp;
pub mod catalog;
pub mod config;
pub mod dynamodb;
pub mod kafka;
pub mod probe;
pub mod reset;
pub mod retry;
pub mod seats;
pub mod shutdown;
pub mod sql;
pub mod telemetry;
pub mod ticket;
