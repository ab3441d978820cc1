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

    /// Takes one attempt for `addr` if it has any left in the window, counting it as a failure
    /// at once: concurrent requests cannot all pass the check before any failure is counted.
    /// A request that turns out right gives it back ([`Attempts::succeeded`]).
    pub async fn try_attempt(&self, addr: IpAddr) -> bool {
        let mut failures = self.failures.lock().await;
        let now = Instant::now();
        let list = failures.entry(addr).or_default();
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        if list.len() >= self.max {
            return false;
        }
        list.push_back(now);
        true
    }

    /// The attempt taken for `addr` was right: it does not count.
    pub async fn succeeded(&self, addr: IpAddr) {
        let mut failures = self.failures.lock().await;
        if let Some(list) = failures.get_mut(&addr) {
            list.pop_back();
            if list.is_empty() {
                failures.remove(&addr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_tries_cannot_pass_the_limit_and_a_right_one_is_given_back() {
        let attempts = std::sync::Arc::new(Attempts::new(5, Duration::from_secs(60)));
        let addr = IpAddr::from([10, 0, 0, 9]);
        let tries: Vec<_> = (0..50)
            .map(|_| {
                let attempts = attempts.clone();
                tokio::spawn(async move { attempts.try_attempt(addr).await })
            })
            .collect();
        let mut passed = 0;
        for t in tries {
            passed += usize::from(t.await.expect("joins"));
        }
        assert_eq!(passed, 5, "50 at once, 5 get through");
        attempts.succeeded(addr).await;
        assert!(
            attempts.try_attempt(addr).await,
            "a right code gave its attempt back"
        );
        assert!(!attempts.try_attempt(addr).await);
        assert!(
            attempts.try_attempt(IpAddr::from([10, 0, 0, 10])).await,
            "another address is not affected"
        );
    }
}
