//! The load of a scenario: the workload's purchases spread evenly over a fixed length of
//! time by a pool of concurrent clients, so that the faults land in the middle of the sale;
//! every request's answer (or its absence) recorded with the moment it came.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loadtest::workload::Seat;
use loadtest::Workload;
use tokio::time::Instant;

/// What one purchase request got.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 201, with the ticket's id.
    Sold(String),
    /// 503 `outcome_unknown`: Redis went away while the sale ran; the ticket it would be.
    Unknown(String),
    /// Any other status, with the error body's `code`.
    Refused(u16, String),
    /// No answer: the connection failed or broke (the api was down or killed).
    None,
}

/// One request of the burst.
#[derive(Debug, Clone)]
pub struct Answer {
    pub seat: Seat,
    /// When the answer (or the failure) came, from the start of the burst.
    pub at: Duration,
    pub reply: Reply,
}

/// Sends every request of `workload` to the api at `addr` from `clients` concurrent
/// clients, request `i` of `n` not before `length * i / n` into the burst.
pub async fn burst(addr: SocketAddr, workload: &Workload, clients: usize, length: Duration) -> Vec<Answer> {
    let seats = Arc::new(workload.requests());
    let bodies: Arc<Vec<_>> = Arc::new(seats.iter().map(|s| workload.body(*s)).collect());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let url = format!("http://{addr}/api/v1/tickets");
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let step = length / seats.len() as u32;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (seats, bodies, client, url, next) =
                (seats.clone(), bodies.clone(), client.clone(), url.clone(), next.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= seats.len() {
                        return answers;
                    }
                    tokio::time::sleep_until(start + step * i as u32).await;
                    let sent = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(bodies[i].clone())
                        .send()
                        .await;
                    let reply = match sent {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let body: serde_json::Value = response.json().await.unwrap_or_default();
                            match (status, body["ticketId"].as_str()) {
                                (201, Some(id)) => Reply::Sold(id.to_owned()),
                                (503, Some(id)) if body["code"] == "outcome_unknown" => Reply::Unknown(id.to_owned()),
                                // The body broke off (the api was killed while answering).
                                (201, None) => Reply::None,
                                _ => Reply::Refused(status, body["code"].as_str().unwrap_or_default().to_owned()),
                            }
                        }
                        Err(_) => Reply::None,
                    };
                    answers.push(Answer {
                        seat: seats[i],
                        at: start.elapsed(),
                        reply,
                    });
                }
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(seats.len());
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers
}
