//! The NoSQL consumer: the DynamoDB write model (tables in `infra::dynamodb`).

mod store;

pub use store::{put_tickets, seat_key, ticket_from_item, ticket_item, DynamoDbStore};
