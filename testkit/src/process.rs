//! Child processes of a test's own: servers and the programs themselves, started with their
//! output in a log file, killed with SIGKILL as a crash would, and started again.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `command` with stdin closed and stdout and stderr appended to `log`.
pub(crate) fn spawn(mut command: Command, log: &Path) -> Child {
    let log = append(log);
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()))
}

/// The longest one attempt of [`wait_up`] may take.
const ATTEMPT: Duration = Duration::from_secs(5);

/// Asks `up` every `every` until it says yes, for at most `limit`; panics, naming `what` and
/// its `log`, if the process exits first or the time runs out.
pub(crate) async fn wait_up<F, Fut>(
    child: &mut Option<Child>,
    what: &str,
    log: &Path,
    every: Duration,
    limit: Duration,
    mut up: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        // One attempt that never ends (a handshake the server never answers) is a failed one.
        if tokio::time::timeout(ATTEMPT, up()).await == Ok(true) {
            return;
        }
        if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            panic!("{what} exited with {status}; see {}", log.display());
        }
        tokio::time::sleep(every).await;
    }
    panic!("{what} did not answer within {limit:?}; see {}", log.display());
}

/// Kills the process with SIGKILL, if it runs, and reaps it.
pub(crate) fn kill(child: &mut Option<Child>) {
    if let Some(mut child) = child.take() {
        child.kill().ok();
        child.wait().ok();
    }
}

fn append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}

/// A server process of a test's own: a free port, a private directory (removed when dropped)
/// with the server's output in `server.log`, and the process while it runs (killed with
/// SIGKILL when dropped). Each kind of server says how to start it and when it is up.
pub(crate) struct Server {
    pub port: u16,
    pub dir: PathBuf,
    pub child: Option<Child>,
}

impl Server {
    /// A port and a directory `ticketing-{what}-{id}`; nothing runs yet.
    pub fn new(what: &str) -> Self {
        Self {
            port: crate::free_port(),
            dir: private_dir(what),
            child: None,
        }
    }

    /// The server's output.
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Starts `command` (killing the server first if it runs), then asks `up` every `every`
    /// until it says yes, for at most `limit`; panics naming `what` if it does not.
    pub async fn start<F, Fut>(&mut self, command: Command, what: &str, every: Duration, limit: Duration, up: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        self.kill();
        let log = self.log();
        self.child = Some(spawn(command, &log));
        wait_up(&mut self.child, what, &log, every, limit, up).await;
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A directory of a test's own under the system's temporary directory, `ticketing-{what}-{id}`.
pub(crate) fn private_dir(what: &str) -> PathBuf {
    let id = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let dir = std::env::temp_dir().join(format!("ticketing-{what}-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One of the workspace's own binaries (`api`, `consumers`), run as a process of the test's
/// own so that it can be killed with `-9` and started again with the same settings.
///
/// The binaries come from `TEST_BIN_DIR`, or else from the target directory the test binary
/// itself was built into: `cargo build --bins` (or a `cargo test --workspace`, which builds
/// them) must have run since the last change.
pub struct Program {
    command: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Program {
    /// Starts `binary` with `args` and `env` on top of the test's own environment; its output
    /// goes to `log`.
    pub fn start(binary: &str, args: &[&str], env: Vec<(String, String)>, log: PathBuf) -> Self {
        let path = bin_dir().join(binary);
        assert!(path.exists(), "{} is not built: run cargo build --bins", path.display());
        let mut command = vec![path.to_string_lossy().into_owned()];
        command.extend(args.iter().map(|a| a.to_string()));
        let mut program = Self {
            command,
            env,
            log,
            child: None,
        };
        program.restart();
        program
    }

    /// Kills the program with SIGKILL: no shutdown hook runs, nothing is flushed.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// Starts the program again (killing it first if it runs).
    pub fn restart(&mut self) {
        self.kill();
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]).envs(self.env.iter().cloned());
        self.child = Some(spawn(command, &self.log));
    }

    /// `Some(status)` if the program has exited by itself.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// The process id, while it runs: for the CPU account of `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last `lines` lines of its output, for a failure's message.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.kill();
    }
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("TEST_BIN_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/<test binary>: the programs are in target/<profile>.
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}
