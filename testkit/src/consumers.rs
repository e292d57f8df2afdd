//! The consumers, run inside the test's runtime.

use consumers::startup::{run, Which};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::env::TestEnv;

/// Running consumers; [`TestConsumers::stop`] shuts them down as SIGTERM would.
pub struct TestConsumers {
    shutdown: watch::Sender<bool>,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl TestConsumers {
    /// Starts `which` consumers of `env` with `extra` settings.
    pub fn spawn(env: &TestEnv, which: Which, extra: &[(&str, String)]) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let handle = tokio::spawn(run(env.consumers_settings(extra), which, rx));
        Self { shutdown, handle }
    }

    /// Asks them to stop and waits until they have finished their batches in flight.
    pub async fn stop(self) {
        self.shutdown.send_replace(true);
        self.handle.await.unwrap().unwrap();
    }

    /// Kills them on the spot, as a crash would: nothing in flight is finished or acknowledged.
    pub fn kill(self) {
        self.handle.abort();
    }
}
