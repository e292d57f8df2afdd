//! `healthcheck` subcommands for container HEALTHCHECKs, so the images need no curl.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether `GET http://127.0.0.1:{port}{path}` answers 200 within two seconds.
pub async fn http_ok(port: u16, path: &str) -> anyhow::Result<()> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        anyhow::Ok(head)
    };
    let head = tokio::time::timeout(Duration::from_secs(2), exchange).await??;
    anyhow::ensure!(
        head.starts_with(b"HTTP/1.1 200"),
        "answered {}",
        String::from_utf8_lossy(&head)
    );
    Ok(())
}
