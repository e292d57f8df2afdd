//! A MariaDB server of one test's own: its own data directory (made by
//! `mariadb-install-db`) and port, started as a child process so that the test can kill it
//! with `-9` and start it again on its files (InnoDB's crash recovery), without touching the
//! machine's own server.

use std::process::Command;
use std::time::Duration;

use crate::process::Server;

/// How long it may take to start: InnoDB's recovery on a loaded machine.
const LIMIT: Duration = Duration::from_secs(90);

/// A private MariaDB; killed and its directory removed when dropped.
pub struct PrivateMariaDb {
    server: Server,
    /// Server options beside the data directory, port and files.
    options: Vec<String>,
}

impl PrivateMariaDb {
    /// Makes an empty data directory (root without a password, over TCP too), starts the
    /// server on it and waits until it answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A server that keeps a binary log from its start, for [`Self::start_replica_of`].
    pub async fn start_primary() -> Self {
        Self::start_with(&["--server-id=1", "--log-bin=binlog", "--binlog-format=ROW"]).await
    }

    /// A read-only replica of `primary` (a server of [`Self::start_primary`]), replicating
    /// its binary log from the first entry on, as root.
    pub async fn start_replica_of(primary: &PrivateMariaDb) -> Self {
        let replica = Self::start_with(&["--server-id=2", "--read-only"]).await;
        replica
            .execute(&format!(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='root', \
                 MASTER_PASSWORD='', MASTER_LOG_FILE='binlog.000001', MASTER_LOG_POS=4",
                primary.server.port
            ))
            .await;
        replica.replicate(true).await;
        replica
    }

    /// Starts (`true`) or stops (`false`) replicating from the primary.
    pub async fn replicate(&self, on: bool) {
        self.execute(if on { "START SLAVE" } else { "STOP SLAVE" }).await;
    }

    async fn execute(&self, statement: &str) {
        use mysql_async::prelude::Queryable;
        let mut conn = mysql_async::Conn::from_url(self.url("mysql")).await.unwrap();
        conn.query_drop(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement} on port {}: {e}", self.server.port));
        conn.disconnect().await.ok();
    }

    async fn start_with(options: &[&str]) -> Self {
        let server = Server::new("mariadb");
        let status = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .arg("--skip-test-db")
            .arg(format!("--datadir={}", server.dir.join("data").display()))
            .stdout(std::fs::File::create(server.dir.join("install.log")).unwrap())
            .stderr(std::fs::File::create(server.dir.join("install.err")).unwrap())
            .status()
            .unwrap_or_else(|e| panic!("cannot run mariadb-install-db: {e}"));
        assert!(
            status.success(),
            "mariadb-install-db failed; see {}",
            server.dir.display()
        );
        let mut mariadb = Self {
            server,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        };
        mariadb.boot().await;
        mariadb
    }

    /// The server's URL for `database` (which the programs create when it is missing).
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.server.port)
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// Starts the server again on its files (InnoDB recovers from its redo log) and waits
    /// until it answers; kills it first if it runs.
    pub async fn restart(&mut self) {
        self.boot().await;
    }

    async fn boot(&mut self) {
        let dir = &self.server.dir;
        let mut command = Command::new("mariadbd");
        command
            .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
            .arg(format!("--port={}", self.server.port))
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("server.sock").display()))
            .arg(format!("--pid-file={}", dir.join("server.pid").display()))
            .args(["--innodb-buffer-pool-size=64M", "--max-connections=500"])
            .args(&self.options);
        let url = self.url("mysql");
        let what = format!("MariaDB on port {}", self.server.port);
        let up = || async {
            match mysql_async::Conn::from_url(&url).await {
                Ok(conn) => conn.disconnect().await.is_ok(),
                Err(_) => false,
            }
        };
        self.server
            .start(command, &what, Duration::from_millis(100), LIMIT, up)
            .await;
    }
}
