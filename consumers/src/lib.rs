//! The queue consumers: the SQL consumer keeps the MySQL read model, the NoSQL consumer the
//! DynamoDB write model. Both share the consume loop ([`runner`]), the decoding of ticket
//! events ([`message`]) and the [`store::Store`] contract; each store lives in its folder.

pub mod dynamodb;
pub mod message;
pub mod mysql;
pub mod redrive;
pub mod replay;
pub mod runner;
pub mod startup;
pub mod store;
