//! The queue consumers: the SQL consumer keeps the MySQL read model, the NoSQL consumer the
//! DynamoDB write model. Both share the consume loop ([`runner`]) and the [`store::Store`]
//! contract; events are decoded by `infra::contract`; each store lives in its folder. The
//! operations on what they keep (`redrive`, from `infra::amqp`; [`audit`], [`replay`],
//! [`reset`]) are subcommands of the same binary.

pub mod audit;
pub mod config;
pub mod dynamodb;
pub mod metrics;
pub mod mysql;
pub mod replay;
pub mod reset;
pub mod runner;
pub mod startup;
pub mod store;
