//! A RabbitMQ node of one test's own: its own name, ports and data directory, started as a
//! child process so that the test can kill it with `-9` and start it again on the same
//! files (its quorum queues' logs), without touching the machine's own broker.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use crate::free_port;
use crate::process::{kill, private_dir, spawn, wait_up};

/// A private RabbitMQ node; killed and its directory removed when dropped.
pub struct PrivateRabbit {
    node: String,
    port: u16,
    dist_port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateRabbit {
    /// Starts a fresh node and waits until it accepts AMQP connections.
    pub async fn start() -> Self {
        let dir = private_dir("rabbit");
        let port = free_port();
        // The node's own config: listen on its port only (the machine's rabbitmq.conf names
        // 5672), no plugins (the management plugin would want 15672).
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!("listeners.tcp.local = 127.0.0.1:{port}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        let mut rabbit = Self {
            // Unique while the node lives: nobody else listens on its port.
            node: format!("test-{port}@localhost"),
            port,
            dist_port: free_port(),
            dir,
            child: None,
        };
        rabbit.boot().await;
        rabbit
    }

    /// The URL the programs connect with.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Kills the node with SIGKILL, as a crash would: nothing is flushed or closed.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// Starts the node again on its files and waits until it accepts connections.
    pub async fn restart(&mut self) {
        self.kill();
        self.boot().await;
    }

    async fn boot(&mut self) {
        // `rabbitmq-server` execs the Erlang VM itself when told it runs under a supervisor,
        // so the child is the broker and SIGKILL reaches it, not a wrapper shell.
        let server = std::env::var("TEST_RABBITMQ_SERVER").unwrap_or_else(|_| {
            let packaged = "/usr/lib/rabbitmq/bin/rabbitmq-server";
            if std::path::Path::new(packaged).exists() {
                packaged.to_owned()
            } else {
                "rabbitmq-server".to_owned()
            }
        });
        let mut command = Command::new(&server);
        command
            .env("RUNNING_UNDER_SYSTEMD", "1")
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", self.dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.dir.join("log"))
            .env("RABBITMQ_CONFIG_FILE", self.dir.join("rabbitmq.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", self.dir.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", self.dir.join("rabbit.pid"));
        let log = self.dir.join("server.log");
        self.child = Some(spawn(command, &log));
        let url = self.url();
        let what = format!("RabbitMQ node {}", self.node);
        wait_up(
            &mut self.child,
            &what,
            &log,
            Duration::from_millis(250),
            Duration::from_secs(90),
            || async {
                let properties = lapin::ConnectionProperties::default();
                match lapin::Connection::connect(&url, properties).await {
                    Ok(connection) => {
                        connection.close(200, "up".into()).await.ok();
                        true
                    }
                    Err(_) => false,
                }
            },
        )
        .await;
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
