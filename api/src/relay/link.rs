//! Whether one of the relay's links (the broker, the replay topic) is up: written by the
//! relay, read by the readiness check.

use std::sync::{Arc, Mutex};

type Live = Box<dyn Fn() -> bool + Send + Sync>;

/// A link's last known state. Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct LinkHealth(Arc<Mutex<State>>);

enum State {
    /// Down, and why.
    Down(String),
    /// Up, while `live` (when there is one) says so: a broker channel that closes while the
    /// relay is idle shows at once.
    Up(Option<Live>),
}

impl Default for LinkHealth {
    /// Not connected yet.
    fn default() -> Self {
        Self(Arc::new(Mutex::new(State::Down("not connected yet".to_owned()))))
    }
}

impl LinkHealth {
    /// The link works.
    pub fn up(&self) {
        self.set(State::Up(None));
    }

    /// The link works for as long as `live` returns true.
    pub fn up_while(&self, live: impl Fn() -> bool + Send + Sync + 'static) {
        self.set(State::Up(Some(Box::new(live))));
    }

    /// The link failed with `error`.
    pub fn down(&self, error: &dyn std::fmt::Display) {
        self.set(State::Down(error.to_string()));
    }

    /// `Ok` while the link is up, else why it is not.
    pub fn status(&self) -> Result<(), String> {
        match self.0.lock().as_deref() {
            Ok(State::Up(None)) => Ok(()),
            Ok(State::Up(Some(live))) if live() => Ok(()),
            Ok(State::Up(Some(_))) => Err("the connection closed".to_owned()),
            Ok(State::Down(error)) => Err(error.clone()),
            Err(_) => Err("unknown".to_owned()),
        }
    }

    fn set(&self, state: State) {
        if let Ok(mut current) = self.0.lock() {
            *current = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn a_link_is_down_until_up_and_follows_its_liveness() {
        let health = LinkHealth::default();
        assert_eq!(health.status(), Err("not connected yet".to_owned()));
        let open = Arc::new(AtomicBool::new(true));
        let seen = open.clone();
        health.up_while(move || seen.load(Ordering::Relaxed));
        assert_eq!(health.status(), Ok(()));
        open.store(false, Ordering::Relaxed);
        assert_eq!(health.status(), Err("the connection closed".to_owned()));
        health.down(&"refused");
        assert_eq!(health.status(), Err("refused".to_owned()));
        health.up();
        assert_eq!(health.status(), Ok(()));
    }
}
