//! A shutdown request as long-running loops see it: whether it came, whether its grace
//! period is over, and sleeps that end early when it comes.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Watches a `watch::Sender<bool>` that turns `true` on shutdown. The grace period starts
/// when the request is first noticed.
#[derive(Debug, Clone)]
pub struct Stop {
    shutdown: watch::Receiver<bool>,
    grace: Duration,
    deadline: Option<Instant>,
}

impl Stop {
    /// Watches `shutdown`, allowing `grace` to finish work in flight once it turns true.
    pub fn new(shutdown: watch::Receiver<bool>, grace: Duration) -> Self {
        Self {
            shutdown,
            grace,
            deadline: None,
        }
    }

    /// Whether shutdown was requested (or its sender dropped).
    pub fn requested(&mut self) -> bool {
        let requested = *self.shutdown.borrow() || self.shutdown.has_changed().is_err();
        if requested && self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.grace);
        }
        requested
    }

    /// Whether shutdown was requested and its grace period is over.
    pub fn expired(&mut self) -> bool {
        self.requested() && self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Completes when shutdown is requested.
    pub async fn wait(&mut self) {
        let _ = self.shutdown.wait_for(|stop| *stop).await;
        self.requested();
    }

    /// Sleeps for `duration`; less if shutdown comes meanwhile, and never past the grace
    /// period once it has come.
    pub async fn sleep(&mut self, duration: Duration) {
        if self.requested() {
            let left = self
                .deadline
                .map_or(duration, |d| d.saturating_duration_since(Instant::now()));
            tokio::time::sleep(duration.min(left)).await;
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = self.wait() => {}
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sleeps_end_at_shutdown_and_the_grace_period_runs_from_there() {
        let (tx, rx) = watch::channel(false);
        let mut stop = Stop::new(rx, Duration::from_secs(5));
        assert!(!stop.requested());

        let started = Instant::now();
        let sleeper = async {
            stop.sleep(Duration::from_secs(60)).await;
            stop
        };
        let (mut stop, ()) = tokio::join!(sleeper, async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send_replace(true);
        });
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert!(stop.requested() && !stop.expired());

        stop.sleep(Duration::from_secs(60)).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(6),
            "capped at the end of the grace period"
        );
        assert!(stop.expired());
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_sender_counts_as_shutdown() {
        let (tx, rx) = watch::channel(false);
        let mut stop = Stop::new(rx, Duration::ZERO);
        drop(tx);
        assert!(stop.requested());
        assert!(stop.expired());
    }
}
