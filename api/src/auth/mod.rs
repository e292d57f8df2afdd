//! Accounts and tokens: `POST /api/v1/auth/register`, `POST /api/v1/auth/login`,
//! `GET /api/v1/me`, and the filters that read the bearer token of the routes that need one
//! ([`buyer`], [`admin`], [`optional`]).

pub mod limiter;
pub mod password;
pub mod request;
pub mod token;
pub mod users;

use bytes::Bytes;
use serde_json::json;
use uuid::Uuid;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;
use crate::filters::{json_body, with_state};
use crate::state::AppState;
pub use token::{Claims, Role};
use users::{CreateError, User};

/// Bodies of the auth routes may be larger than a purchase's, so that an oversized email is
/// answered as the field at fault rather than as a body too large.
const BODY_LIMIT: u64 = 16 * 1024;

/// The auth routes.
pub fn routes(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let register = warp::path!("api" / "v1" / "auth" / "register")
        .and(warp::post())
        .and(json_body(BODY_LIMIT))
        .and(with_state(state.clone()))
        .then(
            |body: Bytes, state: AppState| async move { respond(register(&state, &body).await, StatusCode::CREATED) },
        );
    let login = warp::path!("api" / "v1" / "auth" / "login")
        .and(warp::post())
        .and(json_body(BODY_LIMIT))
        .and(with_state(state.clone()))
        .then(|body: Bytes, state: AppState| async move { respond(login(&state, &body).await, StatusCode::OK) });
    let me = warp::path!("api" / "v1" / "me")
        .and(warp::get())
        .and(buyer(state.clone()))
        .and(with_state(state))
        .then(|claims: Claims, state: AppState| async move { respond(me(&state, &claims).await, StatusCode::OK) });
    register.or(login).unify().or(me).unify()
}

fn respond<T: serde::Serialize>(result: Result<T, ApiError>, status: StatusCode) -> Response {
    match result {
        Ok(body) => warp::reply::with_status(warp::reply::json(&body), status).into_response(),
        Err(e) => e.response(),
    }
}

/// Creates the account of `registration` in `role`, its password hashed.
pub async fn create_account(
    pool: &mysql_async::Pool,
    registration: request::Registration,
    role: Role,
) -> Result<User, CreateError> {
    let hash = password::hash(registration.password).await.map_err(CreateError::Hash)?;
    let user = User {
        user_id: Uuid::now_v7(),
        email: registration.email,
        name: registration.name,
        role,
    };
    users::create(pool, &user, &hash).await?;
    Ok(user)
}

async fn register(state: &AppState, body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let registration = request::registration(body)?;
    match create_account(state.mysql(), registration, Role::Buyer).await {
        Ok(user) => Ok(json!({"userId": user.user_id})),
        Err(CreateError::Hash(e)) => Err(e.into()),
        Err(CreateError::EmailTaken) => Err(ApiError::conflict(
            "email_taken",
            "an account with this email exists; sign in instead",
        )),
        Err(CreateError::Mysql(e)) => Err(ApiError::mysql(e, "Failed to create an account")),
    }
}

async fn login(state: &AppState, body: &[u8]) -> Result<token::Issued, ApiError> {
    let credentials = request::credentials(body)?;
    let limiter = state.login_limiter();
    let redis = |e| ApiError::redis(e, "Failed to count failed logins");
    if let Some(retry_after) = limiter.blocked(&credentials.email).await.map_err(redis)? {
        return Err(ApiError::TooManyRequests {
            code: "too_many_attempts",
            message: format!(
                "{} failed sign-ins for this email within {} s; try again later",
                limiter::MAX_FAILURES,
                limiter::WINDOW.as_secs()
            ),
            retry_after,
        });
    }
    let account = users::by_email(state.mysql(), &credentials.email)
        .await
        .map_err(|e| ApiError::mysql(e, "Failed to read an account"))?;
    let (user, hash) = account.map_or((None, None), |(user, hash)| (Some(user), Some(hash)));
    match user {
        Some(user) if password::verify(credentials.password, hash).await? => {
            limiter.succeeded(&credentials.email).await.map_err(redis)?;
            Ok(state.tokens().issue(user.user_id, user.role)?)
        }
        _ => {
            limiter.failed(&credentials.email).await.map_err(redis)?;
            Err(ApiError::Unauthorized {
                code: "invalid_credentials",
                message: "the email or the password is wrong".into(),
            })
        }
    }
}

async fn me(state: &AppState, claims: &Claims) -> Result<User, ApiError> {
    users::by_id(state.mysql(), claims.sub)
        .await
        .map_err(|e| ApiError::mysql(e, "Failed to read an account"))?
        .ok_or_else(|| ApiError::Unauthorized {
            code: "invalid_token",
            message: "the account of this token no longer exists".into(),
        })
}

/// The claims of a valid bearer token; 401 without one.
pub fn buyer(state: AppState) -> impl Filter<Extract = (Claims,), Error = Rejection> + Clone {
    optional(state)
        .and_then(|claims: Option<Claims>| async move { claims.ok_or_else(|| warp::reject::custom(missing_token())) })
}

/// The 401 of a route that needs a token and got none.
pub fn missing_token() -> ApiError {
    ApiError::Unauthorized {
        code: "missing_token",
        message: "this operation needs `Authorization: Bearer <token>` (POST /api/v1/auth/login)".into(),
    }
}

/// The claims of a valid bearer token of an admin; 401 without one, 403 for a buyer's.
pub fn admin(state: AppState) -> impl Filter<Extract = (Claims,), Error = Rejection> + Clone {
    buyer(state).and_then(|claims: Claims| async move {
        match claims.role {
            Role::Admin => Ok(claims),
            Role::Buyer => Err(warp::reject::custom(ApiError::Forbidden)),
        }
    })
}

/// The claims of the bearer token if there is one; no header is `None`, but a header that
/// is not a valid token is a 401, never silently anonymous.
pub fn optional(state: AppState) -> impl Filter<Extract = (Option<Claims>,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(with_state(state))
        .and_then(|header: Option<String>, state: AppState| async move {
            let Some(header) = header else { return Ok(None) };
            let invalid = |message: &str| {
                warp::reject::custom(ApiError::Unauthorized {
                    code: "invalid_token",
                    message: message.to_owned(),
                })
            };
            let token = header
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
                .ok_or_else(|| invalid("`Authorization` must be `Bearer <token>`"))?;
            state
                .tokens()
                .verify(token)
                .map(Some)
                .map_err(|_| invalid("the token is malformed, expired or not signed by this service"))
        })
}
