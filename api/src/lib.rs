//! The ticketing api: the purchase controller, whose single commit point is a Redis Lua
//! script, the query controller, and the outbox relay that publishes every sold ticket to
//! RabbitMQ.
//!
//! `main.rs` only parses the command line and calls [`startup::Application`]; everything
//! else lives here so tests can build the application on port 0. Who imports whom, from
//! the top: [`startup`] builds the [`state`] and serves [`routes`], the route table, which
//! combines the verticals [`admin`], [`auth`], [`health`], [`holds`], [`purchase`] and
//! [`query`], and the web [`pages`]; they share the leaves
//! [`filters`], [`input`], [`seat`], [`idempotency`], [`reply`], [`metrics`] and [`error`].
//! The [`relay`] runs beside the server on a thread of its own; [`recovery`] rebuilds an
//! event's seat state when Redis lost it.

pub mod admin;
pub mod auth;
pub mod config;
pub mod error;
pub mod filters;
pub mod health;
pub mod holds;
pub mod idempotency;
pub mod input;
pub mod metrics;
pub mod pages;
pub mod payment;
pub mod purchase;
pub mod query;
pub mod recovery;
pub mod relay;
pub mod reply;
pub mod routes;
pub mod seat;
pub mod startup;
pub mod state;
