//! The ticketing domain, as pure logic: venues with priced zones of seats, the events held at
//! them, row labels, money, and the ticket a sale issues.
//!
//! Nothing here does I/O. The adapters that talk to Redis, RabbitMQ, MySQL, DynamoDB and
//! Kafka live in `infra` and use these types; the catalog's seed file is read there too
//! (`infra::seed`), and parsed here ([`catalog::Catalog::from_json`]).

pub mod catalog;
pub mod ticket;

pub use catalog::{Catalog, Event, Price, Venue, Zone};
pub use ticket::Ticket;
