//! A Redis server of one test's own: its own port and data directory, with its append-only
//! file on, started as a child process so that the test can kill it with `-9` and start it
//! again from its files, without touching the machine's own Redis.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use crate::free_port;
use crate::process::{kill, private_dir, spawn};

/// A private Redis; killed and its directory removed when dropped.
pub struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    appendfsync: &'static str,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts an empty server with `appendfsync` (`always` or `everysec`) and waits until it
    /// answers.
    pub async fn start(appendfsync: &'static str) -> Self {
        let dir = private_dir("redis");
        let mut redis = Self {
            port: free_port(),
            dir,
            appendfsync,
            child: None,
        };
        redis.boot().await;
        redis
    }

    /// The URL the programs connect with.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server with SIGKILL, as a crash would: what its AOF has not synced is lost.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// Shuts the server down cleanly (`SHUTDOWN`: it fsyncs its AOF and exits), as an
    /// operator's restart would.
    pub async fn shutdown(&mut self) {
        if let Ok(client) = redis::Client::open(self.url()) {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                // The server closes the connection instead of answering.
                let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query_async(&mut conn).await;
            }
        }
        if let Some(mut child) = self.child.take() {
            child.wait().ok();
        }
    }

    /// Starts the server again on its files (it loads its AOF) and waits until it answers;
    /// kills it first if it runs.
    pub async fn restart(&mut self) {
        self.kill();
        self.boot().await;
    }

    async fn boot(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", self.appendfsync])
            .arg("--dir")
            .arg(&self.dir);
        self.child = Some(spawn(command, &self.dir.join("server.log")));
        for _ in 0..200 {
            if let Ok(client) = redis::Client::open(self.url()) {
                if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                    // LOADING until the AOF is read back: not up yet.
                    if redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok() {
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "Redis on port {} did not answer within 10 s; see {}",
            self.port,
            self.dir.display()
        );
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
