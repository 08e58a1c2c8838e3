//! The login rate limiter: in memory, per (username, address), per username across addresses,
//! and per address.
//!
//! An attempt is counted *before* the password is hashed ([`LoginLimiter::begin`] reserves it,
//! atomically with the check), so guesses that arrive together cannot all pass the check while
//! the first ones are still hashing; a success releases its reservation.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// How long to wait before trying again, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfterSecs(pub u64);

/// When logins lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiterPolicy {
    /// Failures for one username from one address within a window that lock that pair for the
    /// rest of the window. Failures from one address do not lock the account out elsewhere.
    pub per_user_ip: u32,
    /// Failures for one username from every address together within a window that lock the
    /// username everywhere: the cap on a distributed guess, higher than `per_user_ip` so that one
    /// address cannot lock a person (an admin) out from another.
    pub per_username: u32,
    /// Failures from one address within a window that lock it for the rest of the window.
    pub per_ip: u32,
    /// The window, which starts at the first failure.
    pub window_ms: i64,
    /// At most this many keys are remembered; the oldest go first.
    pub max_entries: usize,
}

impl Default for LimiterPolicy {
    fn default() -> LimiterPolicy {
        LimiterPolicy { per_user_ip: 5, per_username: 20, per_ip: 20, window_ms: 15 * 60 * 1000, max_entries: 100_000 }
    }
}

/// Keys are capped so that a flood of huge usernames cannot grow memory beyond the entry cap.
const MAX_KEY_BYTES: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    UserIp(String, String),
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

/// Counts failed logins per (username, address), per username and per address in a fixed window
/// that starts at the first failure; once a count reaches its limit, logins for that key are
/// refused until the window ends. `Send + Sync`; share one per server.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    policy: LimiterPolicy,
    windows: Mutex<HashMap<Key, Window>>,
}

/// A login attempt counted by [`LoginLimiter::begin`]. It stays counted as a failure unless
/// [`Attempt::succeeded`] releases it (dropping it, or [`Attempt::failed`], keeps the count).
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless it is marked as succeeded"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    /// Each key with the start of the window the attempt was counted in.
    counted: Vec<(Key, i64)>,
}

impl Attempt<'_> {
    /// The password was right: the (username, address) failures are cleared and this attempt's
    /// reservation on the username and the address is released. The address keeps its other
    /// failures, so one good account cannot reset the limit for guessing others from the same
    /// place; the username keeps failures from other addresses.
    pub fn succeeded(self) {
        let mut windows = self.limiter.lock();
        for (key, start_ms) in &self.counted {
            if matches!(key, Key::UserIp(..)) {
                windows.remove(key);
            } else if let Some(w) = windows.get_mut(key)
                && w.start_ms == *start_ms
            {
                w.failures = w.failures.saturating_sub(1);
            }
        }
    }

    /// The attempt failed; it stays counted.
    pub fn failed(self) {}
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

    fn keys(username: &str, ip: &str) -> [Key; 3] {
        let (u, a) = (capped(username), capped(ip));
        [Key::UserIp(u.clone(), a.clone()), Key::User(u), Key::Ip(a)]
    }

    fn limit(&self, key: &Key) -> u32 {
        match key {
            Key::UserIp(..) => self.policy.per_user_ip,
            Key::User(_) => self.policy.per_username,
            Key::Ip(_) => self.policy.per_ip,
        }
    }

    fn wait(&self, windows: &HashMap<Key, Window>, keys: &[Key], now_ms: i64) -> Result<(), RetryAfterSecs> {
        let mut wait_ms = 0i64;
        for key in keys {
            if let Some(w) = windows.get(key) {
                let end = w.start_ms.saturating_add(self.policy.window_ms);
                if now_ms < end && now_ms >= w.start_ms && w.failures >= self.limit(key) {
                    wait_ms = wait_ms.max(end.saturating_sub(now_ms));
                }
            }
        }
        if wait_ms > 0 { Err(RetryAfterSecs(((wait_ms as u64).div_ceil(1000)).max(1))) } else { Ok(()) }
    }

    /// Whether a login for `username` from `ip` may be attempted now (nothing is counted).
    pub fn check(&self, username: &str, ip: &str, now_ms: i64) -> Result<(), RetryAfterSecs> {
        self.wait(&self.lock(), &Self::keys(username, ip), now_ms)
    }

    /// Counts one failure against each key; returns the start of each key's window.
    fn count(&self, windows: &mut HashMap<Key, Window>, keys: [Key; 3], now_ms: i64) -> Vec<(Key, i64)> {
        let mut counted = Vec::with_capacity(keys.len());
        for key in keys {
            if !windows.contains_key(&key) && windows.len() >= self.policy.max_entries {
                self.evict(windows, now_ms);
            }
            let w = windows.entry(key.clone()).or_insert(Window { start_ms: now_ms, failures: 0 });
            if now_ms >= w.start_ms.saturating_add(self.policy.window_ms) || now_ms < w.start_ms {
                *w = Window { start_ms: now_ms, failures: 0 };
            }
            w.failures = w.failures.saturating_add(1);
            counted.push((key, w.start_ms));
        }
        counted
    }

    /// Checks and, in the same step, counts a login attempt for `username` from `ip` as a
    /// failure — before any password is hashed, so concurrent guesses cannot slip past the
    /// limit. Call [`Attempt::succeeded`] when the password was right.
    pub fn begin(&self, username: &str, ip: &str, now_ms: i64) -> Result<Attempt<'_>, RetryAfterSecs> {
        let mut windows = self.lock();
        let keys = Self::keys(username, ip);
        self.wait(&windows, &keys, now_ms)?;
        let counted = self.count(&mut windows, keys, now_ms);
        Ok(Attempt { limiter: self, counted })
    }

    /// Counts a failed login against the (username, address) pair, the username and the address.
    pub fn record_failure(&self, username: &str, ip: &str, now_ms: i64) {
        let mut windows = self.lock();
        self.count(&mut windows, Self::keys(username, ip), now_ms);
    }

    /// Clears the (username, address) failures. The username keeps failures from elsewhere and
    /// the address keeps its count, so one good account cannot reset the limit for guessing
    /// others from the same place.
    pub fn record_success(&self, username: &str, ip: &str, _now_ms: i64) {
        self.lock().remove(&Key::UserIp(capped(username), capped(ip)));
    }

    /// How many keys are remembered.
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
    use std::sync::{Arc, Barrier};

    const MIN: i64 = 60_000;

    #[test]
    fn locks_a_username_from_one_address_after_five_failures_until_the_window_ends() {
        let l = LoginLimiter::new();
        let t0 = 1_000_000;
        for i in 0..4 {
            l.record_failure("alice", "10.0.0.1", t0 + i * MIN);
            assert!(l.check("alice", "10.0.0.1", t0 + i * MIN).is_ok(), "after {} failures", i + 1);
        }
        l.record_failure("alice", "10.0.0.1", t0 + 4 * MIN);
        // Locked from that address, for the rest of the 15 minutes from the first failure.
        assert_eq!(l.check("alice", "10.0.0.1", t0 + 4 * MIN), Err(RetryAfterSecs(11 * 60)));
        assert_eq!(l.check("alice", "10.0.0.1", t0 + 15 * MIN - 1), Err(RetryAfterSecs(1)));
        // Not from another: failures from one address do not lock the account out elsewhere.
        assert!(l.check("alice", "10.0.0.9", t0 + 4 * MIN).is_ok());
        assert!(l.check("bob", "10.0.0.1", t0 + 5 * MIN).is_ok(), "other users are not locked");
        assert!(l.check("alice", "10.0.0.1", t0 + 15 * MIN).is_ok(), "the window ended");
        // A new window starts at the next failure.
        l.record_failure("alice", "10.0.0.1", t0 + 16 * MIN);
        assert!(l.check("alice", "10.0.0.1", t0 + 16 * MIN).is_ok());
    }

    #[test]
    fn a_distributed_guess_locks_the_username_everywhere_at_the_higher_cap() {
        let l = LoginLimiter::new();
        let cap = l.policy().per_username as i64;
        for i in 0..cap - 1 {
            l.record_failure("root", &format!("198.51.100.{i}"), i);
        }
        assert!(l.check("root", "192.0.2.1", cap).is_ok(), "below the account cap");
        l.record_failure("root", "198.51.100.250", cap);
        assert!(l.check("root", "192.0.2.1", cap + 1).is_err(), "at the cap, locked everywhere");
        assert!(l.check("other", "192.0.2.1", cap + 1).is_ok());
    }

    #[test]
    fn success_clears_the_pair_but_not_the_address() {
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
    fn begin_counts_before_the_outcome_and_success_releases_it() {
        let l = LoginLimiter::new();
        // Five attempts in flight at once, none finished: the sixth is refused.
        let held: Vec<Attempt<'_>> = (0..5).map(|i| l.begin("alice", "10.0.0.1", i).unwrap()).collect();
        assert!(l.begin("alice", "10.0.0.1", 6).is_err());
        assert!(l.begin("alice", "10.0.0.2", 6).is_ok_and(|a| {
            a.succeeded();
            true
        }));
        // One of them succeeds: the pair is cleared and its reservations released.
        let mut held = held.into_iter();
        held.next().unwrap().succeeded();
        for a in held {
            a.failed();
        }
        let a = l.begin("alice", "10.0.0.1", 7).expect("the pair was cleared");
        a.succeeded();
    }

    #[test]
    fn concurrent_attempts_never_exceed_the_limits() {
        // 200 threads guess one user's password from one address, all at once: exactly the
        // per-(user, address) limit get to try.
        let l = Arc::new(LoginLimiter::new());
        let n = 200;
        let barrier = Arc::new(Barrier::new(n));
        let admitted: usize = (0..n)
            .map(|_| {
                let (l, b) = (l.clone(), barrier.clone());
                std::thread::spawn(move || {
                    b.wait();
                    match l.begin("root", "203.0.113.7", 1_000) {
                        Ok(a) => {
                            a.failed();
                            1
                        }
                        Err(_) => 0,
                    }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(admitted, l.policy().per_user_ip as usize);

        // 200 threads from 200 addresses: no more than the account cap get to try.
        let l = Arc::new(LoginLimiter::new());
        let barrier = Arc::new(Barrier::new(n));
        let admitted: usize = (0..n)
            .map(|i| {
                let (l, b) = (l.clone(), barrier.clone());
                std::thread::spawn(move || {
                    b.wait();
                    l.begin("root", &format!("ip-{i}"), 1_000).map(Attempt::failed).is_ok() as usize
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(admitted, l.policy().per_username as usize);
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
        assert!(l.check("victim", "198.51.100.1", 10).is_err());
        for i in 0..1000i64 {
            l.record_failure(&format!("u{i}"), &format!("ip{i}"), 100 + i);
            assert!(l.len() <= 50);
        }
        assert!(l.check("victim", "198.51.100.1", 2000).is_ok(), "the oldest entry was evicted");
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
