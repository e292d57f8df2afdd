//! A MariaDB server of one test's own: its own data directory (made by
//! `mariadb-install-db`) and port, started as a child process so that the test can kill it
//! with `-9` and start it again on its files (InnoDB's crash recovery), without touching the
//! machine's own server.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use crate::free_port;
use crate::process::{kill, private_dir, spawn, wait_up};

/// How long it may take to start: InnoDB's recovery on a loaded machine.
const LIMIT: Duration = Duration::from_secs(90);

/// A private MariaDB; killed and its directory removed when dropped.
pub struct PrivateMariaDb {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateMariaDb {
    /// Makes an empty data directory (root without a password, over TCP too), starts the
    /// server on it and waits until it answers.
    pub async fn start() -> Self {
        let dir = private_dir("mariadb");
        let status = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .arg("--skip-test-db")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .stdout(std::fs::File::create(dir.join("install.log")).unwrap())
            .stderr(std::fs::File::create(dir.join("install.err")).unwrap())
            .status()
            .unwrap_or_else(|e| panic!("cannot run mariadb-install-db: {e}"));
        assert!(status.success(), "mariadb-install-db failed; see {}", dir.display());
        let mut server = Self {
            port: free_port(),
            dir,
            child: None,
        };
        server.boot().await;
        server
    }

    /// The server's URL for `database` (which the programs create when it is missing).
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// Starts the server again on its files (InnoDB recovers from its redo log) and waits
    /// until it answers; kills it first if it runs.
    pub async fn restart(&mut self) {
        self.kill();
        self.boot().await;
    }

    async fn boot(&mut self) {
        let mut command = Command::new("mariadbd");
        command
            .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
            .arg(format!("--port={}", self.port))
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--socket={}", self.dir.join("server.sock").display()))
            .arg(format!("--pid-file={}", self.dir.join("server.pid").display()))
            .args(["--innodb-buffer-pool-size=64M", "--max-connections=500"]);
        let log = self.dir.join("server.log");
        self.child = Some(spawn(command, &log));
        let url = self.url("mysql");
        let what = format!("MariaDB on port {}", self.port);
        wait_up(
            &mut self.child,
            &what,
            &log,
            Duration::from_millis(100),
            LIMIT,
            || async {
                match mysql_async::Conn::from_url(&url).await {
                    Ok(conn) => conn.disconnect().await.is_ok(),
                    Err(_) => false,
                }
            },
        )
        .await;
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
