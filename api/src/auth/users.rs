//! The `user` table (`infra/sql/0004_user.sql`): accounts by id and by email.

use chrono::Utc;
use mysql_async::prelude::Queryable;
use mysql_async::Pool;
use serde::Serialize;
use uuid::Uuid;

use super::token::Role;

/// An account, as `GET /api/v1/me` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Its id, the `sub` of its tokens.
    pub user_id: Uuid,
    /// Lower-cased.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Buyer or admin.
    pub role: Role,
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Another account has the email.
    #[error("an account with this email exists")]
    EmailTaken,
    /// MySQL failed.
    #[error(transparent)]
    Mysql(#[from] mysql_async::Error),
    /// The password could not be hashed.
    #[error(transparent)]
    Hash(anyhow::Error),
}

/// Creates an account; its email must be lower-cased already.
pub async fn create(pool: &Pool, user: &User, password_hash: &str) -> Result<(), CreateError> {
    let mut conn = pool.get_conn().await?;
    let inserted = conn
        .exec_drop(
            "INSERT INTO `user` (user_id, email, name, password_hash, role, created_on) VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.user_id.to_string(),
                &user.email,
                &user.name,
                password_hash,
                user.role.as_str(),
                infra::mysql::datetime(&Utc::now()),
            ),
        )
        .await;
    match inserted {
        Err(mysql_async::Error::Server(e)) if e.code == 1062 => Err(CreateError::EmailTaken),
        other => Ok(other?),
    }
}

/// The account with `email` (lower-cased), and its password hash.
pub async fn by_email(pool: &Pool, email: &str) -> Result<Option<(User, String)>, mysql_async::Error> {
    let mut conn = pool.get_conn().await?;
    let row: Option<(String, String, String, String, String)> = conn
        .exec_first(
            "SELECT user_id, email, name, role, password_hash FROM `user` WHERE email = ?",
            (email,),
        )
        .await?;
    Ok(row.and_then(|(id, email, name, role, hash)| Some((user(&id, email, name, &role)?, hash))))
}

/// The account with id `user_id`.
pub async fn by_id(pool: &Pool, user_id: Uuid) -> Result<Option<User>, mysql_async::Error> {
    let mut conn = pool.get_conn().await?;
    let row: Option<(String, String, String, String)> = conn
        .exec_first(
            "SELECT user_id, email, name, role FROM `user` WHERE user_id = ?",
            (user_id.to_string(),),
        )
        .await?;
    Ok(row.and_then(|(id, email, name, role)| user(&id, email, name, &role)))
}

fn user(id: &str, email: String, name: String, role: &str) -> Option<User> {
    let role = match role {
        "admin" => Role::Admin,
        "buyer" => Role::Buyer,
        _ => return None,
    };
    Some(User {
        user_id: Uuid::parse_str(id).ok()?,
        email,
        name,
        role,
    })
}
