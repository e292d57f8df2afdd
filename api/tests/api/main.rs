//! Integration tests of the api against real Redis, RabbitMQ and MySQL/MariaDB.
//!
//! Each test gets its own Redis key prefix, exchange, queues and database (see
//! `testkit::TestEnv`), so tests run in parallel and in any order.

// A failed step of a test harness should panic, with the error, right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod bad_input;
mod broker_cluster;
mod cluster;
mod holds;
mod idempotency;
mod metrics;
mod pages;
mod purchase;
mod query;
mod recovery;
mod relay;
mod replica;
