//! A RabbitMQ node of one test's own: its own name, ports and data directory, started as a
//! child process so that the test can kill it with `-9` and start it again on the same
//! files (its quorum queues' logs), without touching the machine's own broker.

use std::process::Command;
use std::time::Duration;

use crate::free_port;
use crate::process::Server;

/// A private RabbitMQ node; killed and its directory removed when dropped.
pub struct PrivateRabbit {
    server: Server,
    node: String,
    dist_port: u16,
}

impl PrivateRabbit {
    /// Starts a fresh node and waits until it accepts AMQP connections.
    pub async fn start() -> Self {
        let server = Server::new("rabbit");
        let port = server.port;
        // The node's own config: listen on its port only (the machine's rabbitmq.conf names
        // 5672), no plugins (the management plugin would want 15672).
        std::fs::write(
            server.dir.join("rabbitmq.conf"),
            format!("listeners.tcp.local = 127.0.0.1:{port}\n"),
        )
        .unwrap();
        std::fs::write(server.dir.join("enabled_plugins"), "[].\n").unwrap();
        let mut rabbit = Self {
            server,
            // Unique while the node lives: nobody else listens on its port.
            node: format!("test-{port}@localhost"),
            dist_port: free_port(),
        };
        rabbit.boot().await;
        rabbit
    }

    /// The URL the programs connect with.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.server.port)
    }

    /// Makes this node a member of `other`'s cluster (`rabbitmqctl join_cluster`), emptying
    /// it first: call it on a fresh node. Nodes of one machine share the Erlang cookie of the
    /// user who runs them.
    pub fn join(&self, other: &PrivateRabbit) {
        self.ctl(&["stop_app"]);
        self.ctl(&["join_cluster", other.node.as_str()]);
        self.ctl(&["start_app"]);
    }

    /// The names of the client connections this node holds (`connection_name` of their
    /// client properties, e.g. `ticketing-api-relay`), in no order.
    pub fn connections(&self) -> Vec<String> {
        // One line per connection: its client properties as Erlang-ish tuples, among them
        // {"connection_name","ticketing-api-relay"}.
        const NAME: &str = "{\"connection_name\",\"";
        self.ctl(&["list_connections", "-q", "--no-table-headers", "client_properties"])
            .lines()
            .filter_map(|line| {
                let name = &line[line.find(NAME)? + NAME.len()..];
                Some(name[..name.find('"')?].to_owned())
            })
            .collect()
    }

    /// Runs `rabbitmqctl` against this node; its output. Panics when it fails.
    fn ctl(&self, args: &[&str]) -> String {
        let output = Command::new(tool("rabbitmqctl"))
            .arg("-n")
            .arg(&self.node)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run rabbitmqctl: {e}"));
        assert!(
            output.status.success(),
            "rabbitmqctl {args:?} on {}: {}{}",
            self.node,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Kills the node with SIGKILL, as a crash would: nothing is flushed or closed.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// Starts the node again on its files and waits until it accepts connections.
    pub async fn restart(&mut self) {
        self.boot().await;
    }

    async fn boot(&mut self) {
        // `rabbitmq-server` execs the Erlang VM itself when told it runs under a supervisor,
        // so the child is the broker and SIGKILL reaches it, not a wrapper shell.
        let server = std::env::var("TEST_RABBITMQ_SERVER").unwrap_or_else(|_| tool("rabbitmq-server"));
        let mut command = Command::new(&server);
        let dir = &self.server.dir;
        command
            .env("RUNNING_UNDER_SYSTEMD", "1")
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.server.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", dir.join("rabbit.pid"));
        let url = self.url();
        let what = format!("RabbitMQ node {}", self.node);
        let up = || async {
            let properties = lapin::ConnectionProperties::default();
            match lapin::Connection::connect(&url, properties).await {
                Ok(connection) => {
                    connection.close(200, "up".into()).await.ok();
                    true
                }
                Err(_) => false,
            }
        };
        let (every, limit) = (Duration::from_millis(250), Duration::from_secs(90));
        self.server.start(command, &what, every, limit, up).await;
    }
}

/// RabbitMQ's program `name`: where Debian's package puts it, else on the `PATH`.
fn tool(name: &str) -> String {
    let packaged = format!("/usr/lib/rabbitmq/bin/{name}");
    if std::path::Path::new(&packaged).exists() {
        packaged
    } else {
        name.to_owned()
    }
}
