//! Integration tests of the consumers against real RabbitMQ, MariaDB and DynamoDB Local.
//!
//! Each test has its own queues, database and tables (`testkit::TestEnv`).

// A failed step of a test harness should panic, with the error, right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod broker_crash;
mod failures;
mod metrics;
mod replay;
mod stores;

use domain::catalog::row;
use domain::{Price, Ticket};

/// `n` tickets for distinct seats of Venue1 / Event1 (780 seats per zone).
pub fn tickets(n: u32) -> Vec<Ticket> {
    (0..n)
        .map(|i| {
            let (zone, seat) = (i / 780 + 1, i % 780);
            Ticket::issue(
                "Venue1",
                "Event1",
                zone,
                row::label(seat / 30 + 1),
                seat % 30 + 1,
                Price::from_cents(4000),
            )
        })
        .collect()
}
