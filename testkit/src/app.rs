//! The api, built and served on port 0 inside the test's runtime.

use api::startup::Application;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::env::TestEnv;

/// A running api.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Builds and starts the api of `env` with `extra` settings.
    pub async fn spawn(env: &TestEnv, extra: &[(&str, String)]) -> Self {
        let app = Application::build(env.api_settings(extra))
            .await
            .expect("the app starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
        Self {
            address,
            client,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Posts `body` as JSON to the purchase endpoint.
    pub async fn purchase(&self, body: &Value) -> (u16, Value) {
        self.post_raw(serde_json::to_vec(body).unwrap(), Some("application/json"))
            .await
    }

    /// Posts `body` as JSON to `path`, with `token` as the bearer token if there is one.
    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.post(format!("{}{path}", self.address)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        json_response(request.send().await.unwrap()).await
    }

    /// Gets `path` with `token` as the bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        let request = self.client.get(format!("{}{path}", self.address)).bearer_auth(token);
        json_response(request.send().await.unwrap()).await
    }

    /// Registers a buyer with a fresh email and signs in; returns the token and the user id.
    pub async fn new_buyer(&self) -> (String, String) {
        let email = format!("buyer-{}@example.com", uuid::Uuid::new_v4().simple());
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                &serde_json::json!({"email": email, "password": "correct horse battery", "name": "Buyer"}),
                None,
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let user_id = body["userId"].as_str().unwrap().to_owned();
        (self.login(&email, "correct horse battery").await, user_id)
    }

    /// Creates an admin account the way `api users create --admin` does, and signs in as it;
    /// returns the token.
    pub async fn new_admin(&self, env: &TestEnv) -> String {
        let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
        let registration =
            api::auth::request::Registration::new(&email, "correct horse battery".into(), "Admin").unwrap();
        let pool = mysql_async::Pool::new(env.settings(&[]).mysql.url.expose());
        api::auth::create_account(&pool, registration, api::auth::Role::Admin)
            .await
            .unwrap();
        pool.disconnect().await.ok();
        self.login(&email, "correct horse battery").await
    }

    /// Signs in; returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                &serde_json::json!({"email": email, "password": password}),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["accessToken"].as_str().unwrap().to_owned()
    }

    /// Posts raw bytes with the given content type to the purchase endpoint.
    pub async fn post_raw(&self, body: Vec<u8>, content_type: Option<&str>) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/api/v1/tickets", self.address)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        json_response(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        json_response(self.client.get(format!("{}{path}", self.address)).send().await.unwrap()).await
    }

    /// Begins the shutdown SIGTERM would begin, without waiting for it.
    pub fn signal_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Stops the api as SIGTERM would, and waits until it has.
    pub async fn stop(mut self) {
        self.signal_stop();
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }
}

async fn json_response(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "status {status} with a body that is not JSON: {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, body)
}

/// A purchase request body.
pub fn seat(venue: &str, event: &str, zone: u32, row: &str, column: u32) -> Value {
    serde_json::json!({"venueId": venue, "eventId": event, "zoneId": zone, "row": row, "column": column})
}
