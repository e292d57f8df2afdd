//! A TCP proxy that can be switched off, to take a real server "down" for one test only:
//! switching off cuts every open connection and refuses new ones until switched on again.
//! It can also stall: take connections and never answer, like a server that hangs; or cut
//! the connection that carries a given request once the server has it, so that the server
//! runs the request and the client never hears the answer.
//! [`TestEnv::proxy`] puts one in front of a dependency where the settings say it is.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{self, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::env::{kafka_bootstrap, TestEnv};

pub struct Proxy {
    address: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
}

/// What a proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards them to the target.
    Forward,
    /// Closes them at once, and cuts those it forwards.
    Refuse,
    /// Takes them and never sends or forwards a byte; they stay open, silent, until the
    /// proxy refuses (so switching back to forwarding does not rescue a client stuck on one).
    Stall,
    /// Forwards them, open ones included, until a client sends bytes containing the pattern:
    /// forwards those as well but passes no answer back, and cuts that connection once the
    /// server has had time to run them; then goes back to [`Mode::Forward`]. A pattern split
    /// between two reads is not seen: give one that lies inside a single request.
    CutAfter(&'static str),
}

/// How long a connection cut by [`Mode::CutAfter`] stays open after the request, for the
/// server to run it.
const RUN_TIME: Duration = Duration::from_millis(200);

impl Proxy {
    /// A proxy on a free local port forwarding to `target`, initially `up` or not.
    pub async fn start(target: SocketAddr, up: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, _) = watch::channel(if up { Mode::Forward } else { Mode::Refuse });
        let mode = Arc::new(tx);
        let switch = Arc::clone(&mode);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let switch = Arc::clone(&switch);
                let now = *switch.borrow();
                tokio::spawn(async move {
                    match now {
                        // Dropped: the client sees the connection closed at once.
                        Mode::Refuse => {}
                        Mode::Stall => {
                            let _ = switch.subscribe().wait_for(|m| *m == Mode::Refuse).await;
                        }
                        Mode::Forward | Mode::CutAfter(_) => {
                            if let Ok(outbound) = TcpStream::connect(target).await {
                                forward(inbound, outbound, &switch).await;
                            }
                        }
                    }
                });
            }
        });
        Self { address, mode }
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Forwards (`true`) or refuses (`false`).
    pub fn set_up(&self, up: bool) {
        self.set_mode(if up { Mode::Forward } else { Mode::Refuse });
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// The mode now: [`Mode::CutAfter`] until it has cut.
    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }
}

/// Forwards between `inbound` and `outbound` until either side closes, the proxy stops
/// forwarding, or (in [`Mode::CutAfter`]) the client sends the pattern; then drops both.
async fn forward(inbound: TcpStream, outbound: TcpStream, switch: &watch::Sender<Mode>) {
    let (mut from_client, mut to_client) = inbound.into_split();
    let (mut from_server, mut to_server) = outbound.into_split();
    let answers = io::copy(&mut from_server, &mut to_client);
    let requests = async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            let chunk = &buffer[..n];
            let now = *switch.borrow();
            if let Mode::CutAfter(pattern) = now {
                if chunk.windows(pattern.len()).any(|w| w == pattern.as_bytes()) {
                    return Some((chunk.to_vec(), pattern));
                }
            }
            if to_server.write_all(chunk).await.is_err() {
                return None;
            }
        }
    };
    let mut mode = switch.subscribe();
    let stopped = mode.wait_for(|m| matches!(m, Mode::Refuse | Mode::Stall));
    // Whichever ends first ends the others; the request to cut after ends the answers too,
    // so that its own answer never gets through.
    let cut = tokio::select! {
        _ = answers => None,
        _ = stopped => None,
        cut = requests => cut,
    };
    if let Some((request, pattern)) = cut {
        if to_server.write_all(&request).await.is_ok() {
            switch.send_if_modified(|m| {
                let cutting = *m == Mode::CutAfter(pattern);
                if cutting {
                    *m = Mode::Forward;
                }
                cutting
            });
            tokio::time::sleep(RUN_TIME).await;
        }
    }
}

/// A server a test can take down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    Redis,
    Rabbitmq,
    Mysql,
    Dynamodb,
    /// The tests' shared Kafka-compatible broker ([`kafka_bootstrap`]).
    Kafka,
}

impl TestEnv {
    /// A proxy in front of `dependency`, at the address this environment's settings give it,
    /// initially `up` or not; and the variable that points a program of this environment at
    /// the proxy instead (pass it in the program's `extra` settings).
    pub async fn proxy(&self, dependency: Dependency, up: bool) -> (Proxy, (&'static str, String)) {
        let settings = self.settings(&[]);
        let (variable, url, default_port) = match dependency {
            Dependency::Redis => {
                let url = settings
                    .redis
                    .target
                    .server()
                    .expect("a proxy stands before one Redis server");
                ("REDIS_URL", url.expose().to_owned(), 6379)
            }
            Dependency::Rabbitmq => ("AMQP_URL", settings.amqp.nodes[0].expose().to_owned(), 5672),
            Dependency::Mysql => ("MYSQL_URL", settings.mysql.url.expose().to_owned(), 3306),
            Dependency::Dynamodb => (
                "DYNAMODB_ENDPOINT",
                settings.dynamodb.endpoint.expect("DYNAMODB_ENDPOINT is set"),
                80,
            ),
            Dependency::Kafka => {
                self.uses_kafka.set(true);
                ("KAFKA_BOOTSTRAP", format!("kafka://{}", kafka_bootstrap()), 9092)
            }
        };
        let (before, authority, after) = split_url(&url);
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:{default_port}")
        };
        let target = tokio::net::lookup_host(&authority)
            .await
            .unwrap_or_else(|e| panic!("cannot resolve {authority}: {e}"))
            .next()
            .unwrap_or_else(|| panic!("{authority} resolves to nothing"));
        let proxy = Proxy::start(target, up).await;
        let through = format!("{before}127.0.0.1:{}{after}", proxy.port());
        let value = match dependency {
            Dependency::Kafka => through.trim_start_matches("kafka://").to_owned(),
            // mysql_async would otherwise switch to the server's Unix socket, around the proxy.
            Dependency::Mysql if after.contains('?') => format!("{through}&prefer_socket=false"),
            Dependency::Mysql => format!("{through}?prefer_socket=false"),
            _ => through,
        };
        (proxy, (variable, value))
    }
}

/// `scheme://user:pw@host:port/path?query` as (`scheme://user:pw@`, `host:port`, `/path?query`).
fn split_url(url: &str) -> (&str, &str, &str) {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    let host = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    (&url[..host], &url[host..end], &url[end..])
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_around_their_host_and_port() {
        assert_eq!(
            split_url("amqp://guest:guest@127.0.0.1:5672/%2f"),
            ("amqp://guest:guest@", "127.0.0.1:5672", "/%2f")
        );
        assert_eq!(split_url("redis://127.0.0.1:6379"), ("redis://", "127.0.0.1:6379", ""));
        assert_eq!(
            split_url("mysql://root@db/test_1?x=1"),
            ("mysql://root@", "db", "/test_1?x=1")
        );
    }
}
