//! A Redis server of one test's own: its own port and data directory, with its append-only
//! file on, started as a child process so that the test can kill it with `-9` and start it
//! again from its files, without touching the machine's own Redis.

use std::process::Command;
use std::time::Duration;

use crate::process::Server;

/// A private Redis; killed and its directory removed when dropped.
pub struct PrivateRedis {
    server: Server,
    appendfsync: &'static str,
}

impl PrivateRedis {
    /// Starts an empty server with `appendfsync` (`always` or `everysec`) and waits until it
    /// answers.
    pub async fn start(appendfsync: &'static str) -> Self {
        let mut redis = Self {
            server: Server::new("redis"),
            appendfsync,
        };
        redis.boot().await;
        redis
    }

    /// The URL the programs connect with.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.server.port)
    }

    /// A connection of the test's own to the server (a new one: a restart ends the last).
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Kills the server with SIGKILL, as a crash would: what its AOF has not synced is lost.
    pub fn kill(&mut self) {
        self.server.kill();
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
        if let Some(mut child) = self.server.child.take() {
            child.wait().ok();
        }
    }

    /// Starts the server again on its files (it loads its AOF) and waits until it answers;
    /// kills it first if it runs.
    pub async fn restart(&mut self) {
        self.boot().await;
    }

    async fn boot(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args([
                "--port",
                &self.server.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", self.appendfsync])
            .arg("--dir")
            .arg(&self.server.dir);
        let url = self.url();
        let what = format!("Redis on port {}", self.server.port);
        let up = || async {
            let Ok(client) = redis::Client::open(url.as_str()) else {
                return false;
            };
            match client.get_multiplexed_async_connection().await {
                // LOADING until the AOF is read back: not up yet.
                Ok(mut conn) => redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok(),
                Err(_) => false,
            }
        };
        let (every, limit) = (Duration::from_millis(50), Duration::from_secs(10));
        self.server.start(command, &what, every, limit, up).await;
    }
}
