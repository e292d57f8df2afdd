//! MySQL / MariaDB: the pool, the schema migrations (`infra/sql/`), the catalog tables, and
//! how a row of `ticket` reads back as a [`Ticket`].

use anyhow::Context;
use chrono::NaiveDateTime;
use domain::{Catalog, Ticket};
use mysql_async::prelude::{BatchQuery, Queryable, WithParams};
use mysql_async::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};
use uuid::Uuid;

use crate::config::MysqlSettings;

/// The schema, in order. A migration is applied once and recorded in `schema_migrations`.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "catalog", include_str!("../sql/0001_catalog.sql")),
    (2, "ticket", include_str!("../sql/0002_ticket.sql")),
    (
        3,
        "ticket_venue_index",
        include_str!("../sql/0003_ticket_venue_index.sql"),
    ),
    (4, "user", include_str!("../sql/0004_user.sql")),
    (5, "ticket_owner", include_str!("../sql/0005_ticket_owner.sql")),
];

/// A named server-side lock, so concurrent starts of the api and consumers migrate once.
const MIGRATION_LOCK: &str = "ticketing.schema_migrations";

/// An instant as a MySQL `DATETIME(3)` literal (UTC, milliseconds).
pub fn datetime(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// The columns of a ticket, in the order [`decode_ticket`] reads them.
pub const TICKET_COLUMNS: &str = "ticket_id, venue_id, event_id, zone_id, row_label, col_label, \
     CAST(price AS CHAR), DATE_FORMAT(created_on, '%Y-%m-%d %H:%i:%s.%f'), buyer_id, order_id";

/// A row of [`TICKET_COLUMNS`]: the seat, then when it was sold and to whom.
pub type TicketRow = (
    String,
    String,
    String,
    u32,
    String,
    u32,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The ticket a row of [`TICKET_COLUMNS`] holds. An error means the table holds what no
/// consumer writes: a bug or a hand edit, never a client's fault.
pub fn decode_ticket(
    (id, venue_id, event_id, zone_id, row, column, price, created, buyer, order): TicketRow,
) -> anyhow::Result<Ticket> {
    let created = NaiveDateTime::parse_from_str(&created, "%Y-%m-%d %H:%M:%S%.f")
        .with_context(|| format!("ticket {id}: created_on {created:?}"))?;
    let uuid = |column: &str, value: Option<String>| {
        value
            .map(|v| Uuid::parse_str(&v).with_context(|| format!("ticket {id}: {column} {v:?}")))
            .transpose()
    };
    Ok(Ticket {
        buyer_id: uuid("buyer_id", buyer)?,
        order_id: uuid("order_id", order)?,
        ticket_id: Uuid::parse_str(&id).with_context(|| format!("ticket_id {id:?}"))?,
        price: price.parse().with_context(|| format!("ticket {id}: price {price:?}"))?,
        venue_id,
        event_id,
        zone_id,
        row,
        column,
        created_on: created.and_utc(),
    })
}

/// The options of `MYSQL_URL` and the database it names, which must be a plain identifier.
fn options(settings: &MysqlSettings) -> anyhow::Result<(Opts, String)> {
    url_options(&settings.url, "MYSQL_URL")
}

/// The options of `url` (variable `name`) and the database it names.
fn url_options(url: &crate::config::SecretUrl, name: &str) -> anyhow::Result<(Opts, String)> {
    let opts = Opts::from_url(url.expose()).with_context(|| format!("Failed to parse {name}"))?;
    let database = opts
        .db_name()
        .map(str::to_owned)
        .with_context(|| format!("{name} must name a database"))?;
    anyhow::ensure!(
        database.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "the database name {database:?} must be letters, digits and '_'"
    );
    Ok((opts, database))
}

/// Creates the configured database if it does not exist, then returns a pool on it.
pub async fn connect(settings: &MysqlSettings) -> anyhow::Result<Pool> {
    tracing::debug!(url = %settings.url, "connecting to MySQL");
    let (opts, database) = options(settings)?;
    let mut admin = mysql_async::Conn::new(OptsBuilder::from_opts(opts.clone()).db_name(None::<String>))
        .await
        .context("Failed to connect to MySQL")?;
    admin
        .query_drop(format!(
            "CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4"
        ))
        .await
        .with_context(|| format!("Failed to create database {database}"))?;
    admin.disconnect().await.ok();
    let constraints = PoolConstraints::new(1, settings.pool_max).context("MYSQL_POOL_MAX must be at least 1")?;
    // No COM_RESET_CONNECTION when a connection goes back to the pool: the reset would drop
    // the connection's prepared statements, and every insert and query would be prepared
    // anew (a fifth of the SQL consumer's CPU in profiles). Nothing here leaves session
    // state behind; a transaction not committed is rolled back when it is dropped, and the
    // one connection that takes a named lock ([`migrate`]) opts back in.
    let pool_opts = PoolOpts::default()
        .with_constraints(constraints)
        .with_reset_connection(false);
    Ok(Pool::new(OptsBuilder::from_opts(opts).pool_opts(pool_opts)))
}

/// A pool on the read replica of `MYSQL_READ_URL`, if there is one. Nothing is created or
/// migrated there: the replica gets its schema, like everything else, from the primary.
pub async fn connect_replica(settings: &MysqlSettings) -> anyhow::Result<Option<Pool>> {
    let Some(url) = &settings.read_url else {
        return Ok(None);
    };
    tracing::debug!(url = %url, "connecting to the MySQL read replica");
    let (opts, _) = url_options(url, "MYSQL_READ_URL")?;
    let constraints = PoolConstraints::new(0, settings.pool_max).context("MYSQL_POOL_MAX must be at least 1")?;
    let pool_opts = PoolOpts::default()
        .with_constraints(constraints)
        .with_reset_connection(false);
    Ok(Some(Pool::new(OptsBuilder::from_opts(opts).pool_opts(pool_opts))))
}

/// How far a replica is behind its primary: `Ok(Some(seconds))` while it replicates
/// (`SHOW REPLICA STATUS`: MariaDB's `Seconds_Behind_Master`, MySQL's
/// `Seconds_Behind_Source`), `Ok(None)` when replication is stopped or broken, or the server is
/// no replica. Needs the `REPLICATION CLIENT` privilege (MariaDB: `SLAVE MONITOR`).
pub async fn replica_lag(conn: &mut mysql_async::Conn) -> mysql_async::Result<Option<u64>> {
    let status: Option<mysql_async::Row> = conn.query_first("SHOW REPLICA STATUS").await?;
    let lag =
        |row: &mysql_async::Row, column: &str| row.get_opt::<Option<u64>, _>(column).and_then(Result::ok).flatten();
    Ok(status.and_then(|row| lag(&row, "Seconds_Behind_Master").or_else(|| lag(&row, "Seconds_Behind_Source"))))
}

/// Drops the configured database (tests and benchmarks clean up with this).
pub async fn drop_database(settings: &MysqlSettings) -> anyhow::Result<()> {
    let (opts, database) = options(settings)?;
    let mut admin = mysql_async::Conn::new(OptsBuilder::from_opts(opts).db_name(None::<String>)).await?;
    admin
        .query_drop(format!("DROP DATABASE IF EXISTS `{database}`"))
        .await?;
    admin.disconnect().await.ok();
    Ok(())
}

/// Applies the migrations not applied yet.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get_conn().await.context("Failed to get a MySQL connection")?;
    // Reset when returned to the pool, so the lock cannot outlive a failed RELEASE_LOCK.
    conn.reset_connection(true);
    let locked: Option<i64> = conn
        .exec_first("SELECT GET_LOCK(?, 60)", (MIGRATION_LOCK,))
        .await
        .context("Failed to take the migration lock")?;
    anyhow::ensure!(locked == Some(1), "timed out waiting for another process's migration");
    let result = apply_pending(&mut conn).await;
    conn.exec_drop("DO RELEASE_LOCK(?)", (MIGRATION_LOCK,)).await.ok();
    result
}

async fn apply_pending(conn: &mut mysql_async::Conn) -> anyhow::Result<()> {
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT UNSIGNED NOT NULL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))",
    )
    .await
    .context("Failed to create schema_migrations")?;
    let applied: Vec<u32> = conn.query("SELECT version FROM schema_migrations").await?;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|(v, ..)| !applied.contains(v)) {
        for statement in statements(sql) {
            conn.query_drop(statement)
                .await
                .with_context(|| format!("Migration {version} ({name}) failed at: {statement}"))?;
        }
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
            (version, name),
        )
        .await?;
        tracing::info!(version, name, "applied schema migration");
    }
    Ok(())
}

/// The statements of a migration file: split on `;` at line ends, comments dropped.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(|s| s.trim().trim_end_matches(';')).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    })
}

/// Writes the catalog into its tables, inserting or updating each row.
pub async fn upsert_catalog(pool: &Pool, catalog: &Catalog) -> anyhow::Result<()> {
    let mut conn = pool.get_conn().await.context("Failed to get a MySQL connection")?;
    let mut tx = conn.start_transaction(Default::default()).await?;
    "INSERT INTO venue (venue_id, name) VALUES (?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)"
        .with(catalog.venues().map(|v| (v.venue_id.as_str(), v.name.as_str())))
        .batch(&mut tx)
        .await
        .context("Failed to upsert venues")?;
    "INSERT INTO zone (venue_id, zone_id, ticket_price, row_count, col_count) VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE ticket_price = VALUES(ticket_price), row_count = VALUES(row_count),
                             col_count = VALUES(col_count)"
        .with(catalog.venues().flat_map(|v| {
            v.zones.iter().map(move |z| {
                (
                    v.venue_id.as_str(),
                    z.zone_id,
                    z.ticket_price.to_string(),
                    z.row_count,
                    z.col_count,
                )
            })
        }))
        .batch(&mut tx)
        .await
        .context("Failed to upsert zones")?;
    "INSERT INTO event (event_id, venue_id, name, event_type, starts_at) VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE venue_id = VALUES(venue_id), name = VALUES(name),
                             event_type = VALUES(event_type), starts_at = VALUES(starts_at)"
        .with(catalog.events().map(|e| {
            let starts_at = datetime(&e.date);
            (
                e.event_id.as_str(),
                e.venue_id.as_str(),
                e.name.as_str(),
                e.kind.as_str(),
                starts_at,
            )
        }))
        .batch(&mut tx)
        .await
        .context("Failed to upsert events")?;
    tx.commit().await.context("Failed to commit the catalog")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_files_split_into_statements_without_comments() {
        let statements: Vec<_> = statements(MIGRATIONS[0].2).collect();
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert!(statements.iter().all(|s| s.contains("CREATE TABLE IF NOT EXISTS")));
        assert!(statements.iter().all(|s| !s.ends_with(';')));
    }

    #[test]
    fn versions_are_unique_and_ascending() {
        let versions: Vec<_> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    }
}
