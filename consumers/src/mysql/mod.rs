//! The SQL consumer: the MySQL read model (`ticket` table, `infra/sql/0002_ticket.sql`).

mod store;

pub use store::{insert_params, insert_statement, MysqlStore};
