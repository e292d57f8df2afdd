//! Firing requests over a fixed number of keep-alive connections.
//!
//! Each connection is its own task with its own HTTP/1 connection, taking the next request
//! from a shared counter, so the connection count is exact and no pool sits in between.
//! Latencies go to a histogram per task, merged at the end.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::net::TcpStream;

use crate::lag::Sampler;

/// What one run measured.
#[derive(Debug)]
pub struct Measured {
    /// Requests answered (any status).
    pub answered: u64,
    /// Requests that got no answer (connection failures).
    pub failed: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of answered requests, in microseconds.
    pub latency: Histogram<u64>,
    /// Answers per status code.
    pub statuses: BTreeMap<u16, u64>,
    /// For each 201: the index of its request and the ticket id it answered.
    pub sold: Vec<(usize, String)>,
}

impl Measured {
    fn empty() -> Self {
        Measured {
            answered: 0,
            failed: 0,
            elapsed: Duration::ZERO,
            latency: histogram(),
            statuses: BTreeMap::new(),
            sold: Vec::new(),
        }
    }

    /// Answered requests per second.
    pub fn throughput(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64()
    }
}

/// The requests of a run: `POST path` with each body (each sale offered to the sampler, if
/// there is one, as it is answered), or `GET path` `count` times.
pub enum Requests {
    /// Purchases.
    Post(Arc<Vec<Bytes>>, Option<Arc<Sampler>>),
    /// A body-less GET, repeated.
    Get(usize),
}

impl Requests {
    fn len(&self) -> usize {
        match self {
            Self::Post(bodies, _) => bodies.len(),
            Self::Get(count) => *count,
        }
    }

    fn sampler(&self) -> Option<&Sampler> {
        match self {
            Self::Post(_, sampler) => sampler.as_deref(),
            Self::Get(_) => None,
        }
    }
}

/// Sends `requests` to `addr` over `connections` keep-alive connections.
pub async fn fire(
    addr: SocketAddr,
    path: &str,
    requests: Requests,
    connections: usize,
    progress: bool,
) -> anyhow::Result<Measured> {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(requests.len() as u64, progress);
    let ticker = {
        let (bar, done) = (bar.clone(), done.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(done.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections.min(requests.len()).max(1))
        .map(|_| {
            let (requests, next, done, path) = (requests.clone(), next.clone(), done.clone(), path.to_owned());
            tokio::spawn(async move { connection(addr, &path, &requests, &next, &done).await })
        })
        .collect();
    let mut measured = Measured::empty();
    for task in tasks {
        let part = task.await??;
        measured.answered += part.answered;
        measured.failed += part.failed;
        measured.latency.add(&part.latency)?;
        for (status, n) in part.statuses {
            *measured.statuses.entry(status).or_default() += n;
        }
        measured.sold.extend(part.sold);
    }
    measured.elapsed = started.elapsed();
    ticker.abort();
    bar.finish_and_clear();
    Ok(measured)
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 5 min at 3 significant digits; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 300_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

fn progress_bar(total: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} requests  {per_sec}  eta {eta}") {
        bar.set_style(style);
    }
    bar
}

/// One connection's loop: take the next request, send it, record; reconnect after a failure.
async fn connection(
    addr: SocketAddr,
    path: &str,
    requests: &Requests,
    next: &AtomicUsize,
    done: &AtomicU64,
) -> anyhow::Result<Measured> {
    let mut part = Measured::empty();
    let mut sender = None;
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= requests.len() {
            return Ok(part);
        }
        if sender.is_none() {
            sender = connect(addr).await.ok();
        }
        let Some(send) = sender.as_mut() else {
            part.failed += 1;
            done.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let start = Instant::now();
        match exchange(send, path, requests, index).await {
            Ok((status, body)) => {
                part.latency.saturating_record(start.elapsed().as_micros() as u64);
                part.answered += 1;
                *part.statuses.entry(status).or_default() += 1;
                if status == 201 {
                    if let Some(id) = ticket_id(&body) {
                        if let Some(sampler) = requests.sampler() {
                            sampler.offer(&id);
                        }
                        part.sold.push((index, id));
                    }
                }
            }
            Err(_) => {
                part.failed += 1;
                sender = None;
            }
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn exchange(sender: &mut Sender, path: &str, requests: &Requests, index: usize) -> anyhow::Result<(u16, Bytes)> {
    sender.ready().await?;
    let request = match requests {
        Requests::Post(bodies, _) => Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("host", "loadtest")
            .header("content-type", "application/json")
            .body(Full::new(bodies[index].clone()))?,
        Requests::Get(_) => Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("host", "loadtest")
            .body(Full::new(Bytes::new()))?,
    };
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// The `ticketId` of a 201 body, without parsing all of it.
fn ticket_id(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"ticketId\":\"";
    let start = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let id = body.get(start..start + 36)?;
    String::from_utf8(id.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_are_found_in_201_bodies() {
        let body = br#"{"ticketId":"01a20c0c-50ea-7513-85c2-99a34372a876","venueId":"Venue1"}"#;
        assert_eq!(ticket_id(body).as_deref(), Some("01a20c0c-50ea-7513-85c2-99a34372a876"));
        assert_eq!(ticket_id(b"{}"), None);
    }
}
