//! The one retry policy of the services: capped exponential backoff with jitter.
//!
//! Built on `backon` (the `backoff` crate is unmaintained, RUSTSEC-2025-0012).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// An endless backoff sequence from `min` doubling up to `max`, with jitter so that many
/// processes recovering from the same outage do not retry in lockstep.
pub fn backoff(min: Duration, max: Duration) -> impl Iterator<Item = Duration> + Send {
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_jitter()
        .without_max_times()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_never_ends_and_stays_under_twice_the_cap() {
        let max = Duration::from_millis(400);
        let delays: Vec<_> = backoff(Duration::from_millis(10), max).take(50).collect();
        assert_eq!(delays.len(), 50);
        // backon's jitter adds up to one more delay on top of the capped one.
        assert!(delays.iter().all(|d| *d <= max * 2), "{delays:?}");
        assert!(delays[0] < Duration::from_millis(40));
    }
}
