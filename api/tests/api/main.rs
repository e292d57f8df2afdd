//! Integration tests of the api against real Redis, RabbitMQ and MySQL/MariaDB.
//!
//! Each test gets its own Redis key prefix, exchange, queues and database (see
//! `helpers::TestEnv`), so tests run in parallel and in any order.

mod bad_input;
mod helpers;
mod proxy;
mod purchase;
mod relay;
