//! The harness of the integration tests, on the real Redis, RabbitMQ, MySQL/MariaDB and
//! DynamoDB Local the programs' own variables point at (`REDIS_URL`, `AMQP_URL`, `MYSQL_URL`,
//! `DYNAMODB_ENDPOINT`; their local defaults otherwise).
//!
//! Each test takes a [`TestEnv`]: its own Redis key prefix, exchange, queues, database and
//! DynamoDB tables, deleted when it is dropped; so tests run in parallel and in any order.
//! [`TestApp`] and [`TestConsumers`] run the programs inside the test; [`TestEnv::proxy`]
//! takes a server down for one test only. Set `TEST_LOG` (e.g. `TEST_LOG=debug`) to see the
//! programs' logs.

// A failed step of a test harness should panic, with the error, right there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod app;
mod consumers;
mod dynamo_server;
mod env;
mod kafka;
mod mariadb;
mod process;
mod proxy;
mod rabbit;
mod redis_cluster;
mod redis_server;
mod scrape;
mod stores;

pub use app::{seat, TestApp};
pub use consumers::TestConsumers;
pub use dynamo_server::PrivateDynamo;
pub use env::{kafka_bootstrap, Message, TestEnv};
pub use kafka::PrivateKafka;
pub use mariadb::PrivateMariaDb;
pub use process::Program;
pub use proxy::{Dependency, Mode, Proxy};
pub use rabbit::PrivateRabbit;
pub use redis_cluster::PrivateRedisCluster;
pub use redis_server::PrivateRedis;
pub use scrape::{sample, scrape};
pub use stores::{eventually, DynamoTicket, SqlTicket};

/// A TCP port nobody listens on right now, for a server of a test's own.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
