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
