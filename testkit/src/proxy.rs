//! A TCP proxy that can be switched off, to take a real server "down" for one test only:
//! switching off cuts every open connection and refuses new ones until switched on again.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    address: SocketAddr,
    up: watch::Sender<bool>,
}

impl Proxy {
    /// A proxy on a free local port forwarding to `target`, initially `up` or not.
    pub async fn start(target: SocketAddr, up: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(up);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = rx.clone();
                if !*state.borrow() {
                    continue; // dropped: the client sees the connection closed at once
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { address, up: tx }
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}
