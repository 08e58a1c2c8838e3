//! The login rate limiter: in memory, per username and per client address.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// How long to wait before trying again, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfterSecs(pub u64);

/// When logins lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiterPolicy {
    /// Failures for one username within a window that lock it for the rest of the window.
    pub per_username: u32,
    /// Failures from one address within a window that lock it for the rest of the window.
    pub per_ip: u32,
    /// The window, which starts at the first failure.
    pub window_ms: i64,
    /// At most this many usernames and addresses are remembered; the oldest go first.
    pub max_entries: usize,
}

impl Default for LimiterPolicy {
    fn default() -> LimiterPolicy {
        LimiterPolicy { per_username: 5, per_ip: 20, window_ms: 15 * 60 * 1000, max_entries: 100_000 }
    }
}

/// Keys are capped so that a flood of huge usernames cannot grow memory beyond the entry cap.
const MAX_KEY_BYTES: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(String),
}

fn capped(s: &str) -> String {
    let mut end = s.len().min(MAX_KEY_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    failures: u32,
}

/// Counts failed logins per username and per address in a fixed window that starts at the
/// first failure; once a count reaches its limit, logins for that username (or from that
/// address) are refused until the window ends. `Send + Sync`; share one per server.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    policy: LimiterPolicy,
    windows: Mutex<HashMap<Key, Window>>,
}

impl LoginLimiter {
    pub fn new() -> LoginLimiter {
        LoginLimiter::default()
    }

    pub fn with_policy(policy: LimiterPolicy) -> LoginLimiter {
        LoginLimiter { policy, windows: Mutex::default() }
    }

    pub fn policy(&self) -> &LimiterPolicy {
        &self.policy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        // A panic elsewhere while holding the lock leaves counts that are still meaningful.
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keys(username: &str, ip: &str) -> [(Key, bool); 2] {
        [(Key::User(capped(username)), true), (Key::Ip(capped(ip)), false)]
    }

    fn limit(&self, is_user: bool) -> u32 {
        if is_user { self.policy.per_username } else { self.policy.per_ip }
    }

    /// Whether a login for `username` from `ip` may be attempted now.
    pub fn check(&self, username: &str, ip: &str, now_ms: i64) -> Result<(), RetryAfterSecs> {
        let windows = self.lock();
        let mut wait_ms = 0i64;
        for (key, is_user) in Self::keys(username, ip) {
            if let Some(w) = windows.get(&key) {
                let end = w.start_ms.saturating_add(self.policy.window_ms);
                if now_ms < end && w.failures >= self.limit(is_user) {
                    wait_ms = wait_ms.max(end.saturating_sub(now_ms));
                }
            }
        }
        if wait_ms > 0 { Err(RetryAfterSecs(((wait_ms as u64).div_ceil(1000)).max(1))) } else { Ok(()) }
    }

    /// Counts a failed login against the username and the address.
    pub fn record_failure(&self, username: &str, ip: &str, now_ms: i64) {
        let mut windows = self.lock();
        for (key, _) in Self::keys(username, ip) {
            if !windows.contains_key(&key) && windows.len() >= self.policy.max_entries {
                self.evict(&mut windows, now_ms);
            }
            let w = windows.entry(key).or_insert(Window { start_ms: now_ms, failures: 0 });
            if now_ms >= w.start_ms.saturating_add(self.policy.window_ms) || now_ms < w.start_ms {
                *w = Window { start_ms: now_ms, failures: 0 };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }

    /// Clears the username's failures. The address keeps its count, so one good account
    /// cannot reset the limit for guessing others from the same place.
    pub fn record_success(&self, username: &str, _ip: &str, _now_ms: i64) {
        self.lock().remove(&Key::User(capped(username)));
    }

    /// How many usernames and addresses are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops finished windows; if still full, drops the oldest tenth (at least one) so the
    /// cost of a full scan is paid once per many insertions.
    fn evict(&self, windows: &mut HashMap<Key, Window>, now_ms: i64) {
        let window_ms = self.policy.window_ms;
        windows.retain(|_, w| now_ms < w.start_ms.saturating_add(window_ms) && now_ms >= w.start_ms);
        let cap = self.policy.max_entries;
        if windows.len() < cap {
            return;
        }
        let drop = (cap / 10).max(1).min(windows.len());
        let mut starts: Vec<i64> = windows.values().map(|w| w.start_ms).collect();
        let (_, nth, _) = starts.select_nth_unstable(drop - 1);
        let cutoff = *nth;
        let mut left = drop;
        windows.retain(|_, w| {
            if left > 0 && w.start_ms <= cutoff {
                left -= 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn locks_a_username_after_five_failures_until_the_window_ends() {
        let l = LoginLimiter::new();
        let t0 = 1_000_000;
        for i in 0..4 {
            l.record_failure("alice", "10.0.0.1", t0 + i * MIN);
            assert!(l.check("alice", "10.0.0.1", t0 + i * MIN).is_ok(), "after {} failures", i + 1);
        }
        l.record_failure("alice", "10.0.0.2", t0 + 4 * MIN);
        // Locked from any address, for the rest of the 15 minutes from the first failure.
        assert_eq!(l.check("alice", "10.0.0.9", t0 + 4 * MIN), Err(RetryAfterSecs(11 * 60)));
        assert_eq!(l.check("alice", "10.0.0.9", t0 + 15 * MIN - 1), Err(RetryAfterSecs(1)));
        assert!(l.check("bob", "10.0.0.1", t0 + 5 * MIN).is_ok(), "other users are not locked");
        assert!(l.check("alice", "10.0.0.1", t0 + 15 * MIN).is_ok(), "the window ended");
        // A new window starts at the next failure.
        l.record_failure("alice", "10.0.0.1", t0 + 16 * MIN);
        assert!(l.check("alice", "10.0.0.1", t0 + 16 * MIN).is_ok());
    }

    #[test]
    fn success_clears_the_username_but_not_the_address() {
        let l = LoginLimiter::new();
        for i in 0..4 {
            l.record_failure("alice", "10.0.0.1", i);
        }
        l.record_success("alice", "10.0.0.1", 10);
        for i in 0..4 {
            l.record_failure("alice", "10.0.0.1", 20 + i);
        }
        assert!(l.check("alice", "10.0.0.1", 30).is_ok(), "count restarted after success");
        l.record_failure("alice", "10.0.0.1", 31);
        assert!(l.check("alice", "10.0.0.1", 32).is_err());
    }

    #[test]
    fn locks_an_address_after_twenty_failures_across_usernames() {
        let l = LoginLimiter::new();
        for i in 0..19 {
            l.record_failure(&format!("user{i}"), "203.0.113.7", i as i64);
        }
        assert!(l.check("someone", "203.0.113.7", 100).is_ok());
        l.record_failure("user19", "203.0.113.7", 100);
        assert!(l.check("someone", "203.0.113.7", 101).is_err(), "the address is locked");
        assert!(l.check("someone", "203.0.113.8", 101).is_ok(), "other addresses are not");
        assert!(l.check("someone", "203.0.113.7", 15 * MIN).is_ok());
    }

    #[test]
    fn memory_stays_bounded_and_evicts_the_oldest() {
        let l = LoginLimiter::with_policy(LimiterPolicy { max_entries: 50, ..LimiterPolicy::default() });
        for i in 0..5 {
            l.record_failure("victim", "198.51.100.1", i);
        }
        assert!(l.check("victim", "x", 10).is_err());
        for i in 0..1000i64 {
            l.record_failure(&format!("u{i}"), &format!("ip{i}"), 100 + i);
            assert!(l.len() <= 50);
        }
        assert!(l.check("victim", "x", 2000).is_ok(), "the oldest entry was evicted");
        // A huge username is stored capped.
        l.record_failure(&"é".repeat(10_000), "ip", 5000);
        assert!(l.len() <= 50);
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LoginLimiter>();
    }
}
