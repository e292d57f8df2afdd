//! DynamoDB: the client, and the tables of the write model, created idempotently at start.
//!
//! - `tickets` (`DYNAMODB_TABLE`): one item per ticket, partition key `ticketId`, global
//!   secondary index `eventId-index` (partition `eventId`, sort `ticketId`).
//! - `ticket_seats` (`DYNAMODB_SEATS_TABLE`): one item per sold seat, partition key `seatKey`
//!   (`event#zone#row#column`), naming the ticket that holds it.

use std::time::Duration;

use anyhow::Context;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;

use crate::config::DynamoDbSettings;

/// Name of the GSI of tickets by event.
pub const EVENT_INDEX: &str = "eventId-index";

/// A client for the configured endpoint. With [`DynamoDbSettings::local_credentials`] (an
/// explicit endpoint and no AWS credentials in the environment), fixed local credentials are
/// used: DynamoDB Local accepts any, and `-sharedDb` makes all of them see the same tables.
pub async fn connect(settings: &DynamoDbSettings) -> Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(settings.region.clone()));
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
        if settings.local_credentials {
            loader = loader.credentials_provider(Credentials::new("local", "local", None, None, "dynamodb-local"));
        }
    }
    let config = loader.load().await;
    let timeouts = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(10))
        .build();
    Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .timeout_config(timeouts)
            .build(),
    )
}

/// Creates both tables if they do not exist and waits until they are active.
pub async fn ensure_tables(client: &Client, settings: &DynamoDbSettings) -> anyhow::Result<()> {
    create_table(client, &settings.table, "ticketId", Some(("eventId", EVENT_INDEX))).await?;
    create_table(client, &settings.seats_table, "seatKey", None).await?;
    for table in [&settings.table, &settings.seats_table] {
        wait_active(client, table).await?;
    }
    Ok(())
}

/// Deletes both tables (they are created again at the next start).
pub async fn delete_tables(client: &Client, settings: &DynamoDbSettings) -> anyhow::Result<()> {
    for table in [&settings.table, &settings.seats_table] {
        match client.delete_table().table_name(table).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("Failed to delete table {table}"))),
        }
    }
    Ok(())
}

async fn create_table(client: &Client, table: &str, key: &str, index: Option<(&str, &str)>) -> anyhow::Result<()> {
    let string = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let hash = |name: &str| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(KeyType::Hash)
            .build()
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string(key)?)
        .key_schema(hash(key)?);
    if let Some((attribute, name)) = index {
        let range = KeySchemaElement::builder()
            .attribute_name(key)
            .key_type(KeyType::Range)
            .build()?;
        request = request
            .attribute_definitions(string(attribute)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(name)
                    .key_schema(hash(attribute)?)
                    .key_schema(range)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            );
    }
    match request.send().await {
        Ok(_) => {
            tracing::info!(table, "created DynamoDB table");
            Ok(())
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("Failed to create table {table}"))),
    }
}

async fn wait_active(client: &Client, table: &str) -> anyhow::Result<()> {
    for _ in 0..120 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .with_context(|| format!("Failed to describe table {table}"))?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("table {table} did not become active within a minute")
}
