//! The ticketing api: the purchase controller, whose single commit point is a Redis Lua
//! script, and the outbox relay that publishes every sold ticket to RabbitMQ.
//!
//! `main.rs` only reads the configuration and calls [`startup::Application`]; everything
//! else lives here so tests can build the application on port 0.

pub mod error;
pub mod health;
pub mod purchase;
pub mod query;
pub mod relay;
pub mod routes;
pub mod startup;
pub mod state;
