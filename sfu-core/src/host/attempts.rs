//! Failed-attempt counting per address (wrong invite codes), shared by request handlers.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// At most `max` failures per address within `window`.
#[derive(Debug)]
pub struct Attempts {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Attempts {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `addr` may try again now.
    pub async fn allow(&self, addr: IpAddr) -> bool {
        let mut failures = self.failures.lock().await;
        let now = Instant::now();
        let Some(list) = failures.get_mut(&addr) else {
            return true;
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        let allowed = list.len() < self.max;
        if list.is_empty() {
            failures.remove(&addr);
        }
        allowed
    }

    pub async fn fail(&self, addr: IpAddr) {
        self.failures
            .lock()
            .await
            .entry(addr)
            .or_default()
            .push_back(Instant::now());
    }
}
