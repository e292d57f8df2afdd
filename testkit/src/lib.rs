//! The harness of the integration tests, on the real Redis, RabbitMQ, MySQL/MariaDB and
//! DynamoDB Local of the machine (default ports, overridable with the programs' own
//! variables).
//!
//! Each test takes a [`TestEnv`]: its own Redis key prefix, exchange, queues, database and
//! DynamoDB tables, deleted when it is dropped; so tests run in parallel and in any order.
//! [`TestApp`] and [`TestConsumers`] run the programs inside the test; [`Proxy`] takes a
//! server down for one test only.

// A failed step of a test harness should panic, with the error, right there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod app;
mod consumers;
mod env;
mod kafka;
mod proxy;
mod stores;

pub use app::{seat, TestApp};
pub use consumers::TestConsumers;
pub use env::{Message, TestEnv};
pub use kafka::{kafka_bootstrap, PrivateKafka};
pub use proxy::Proxy;
pub use stores::{eventually, DynamoTicket, SqlTicket};
