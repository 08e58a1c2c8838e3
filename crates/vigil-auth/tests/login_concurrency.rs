//! The login limiter under concurrency: guesses that arrive together are counted before any
//! password is hashed, so no more are evaluated than the limits allow, however many race.

use std::sync::{Arc, Barrier};

use vigil_auth::{Auth, AuthError, LoginLimiter, Role};
use vigil_store::SqliteStore;

const PASSWORD: &str = "correct horse battery staple";
const T0: i64 = 1_700_000_000_000;

/// `n` threads sign in as `user` at once, thread `i` from `ip(i)` with `password(i)`; returns
/// how many got past the limiter (were evaluated) and how many signed in.
fn race(
    n: usize,
    ip: impl Fn(usize) -> String + Send + Sync + 'static,
    password: impl Fn(usize) -> String + Send + Sync + 'static,
) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        Auth::new(&mut store).create_user("root", "root", "Root", &[Role::Admin], PASSWORD, T0).unwrap();
    }
    let limiter = Arc::new(LoginLimiter::new());
    let barrier = Arc::new(Barrier::new(n));
    let (ip, password) = (Arc::new(ip), Arc::new(password));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (path, limiter, barrier) = (path.clone(), limiter.clone(), barrier.clone());
            let (ip, password) = (ip.clone(), password.clone());
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path).unwrap();
                barrier.wait();
                Auth::new(&mut store).login("root", &password(i), &ip(i), &limiter, T0 + 1)
            })
        })
        .collect();
    let (mut evaluated, mut signed_in) = (0, 0);
    for h in handles {
        match h.join().unwrap() {
            Ok(_) => {
                evaluated += 1;
                signed_in += 1;
            }
            Err(AuthError::BadCredentials) => evaluated += 1,
            Err(AuthError::Locked { .. }) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    (evaluated, signed_in)
}

#[test]
fn parallel_guesses_from_one_address_evaluate_no_more_than_the_limit() {
    let per_user_ip = LoginLimiter::new().policy().per_user_ip as usize;
    let (evaluated, signed_in) = race(40, |_| "203.0.113.9".to_string(), |i| format!("wrong guess number {i}"));
    assert_eq!(signed_in, 0);
    assert_eq!(evaluated, per_user_ip, "exactly the per-(account, address) limit is evaluated");
}

#[test]
fn parallel_guesses_from_many_addresses_stop_at_the_account_cap() {
    let cap = LoginLimiter::new().policy().per_username as usize;
    let n = cap + 20;
    let (evaluated, _) = race(
        n,
        |i| format!("198.51.100.{i}"),
        move |i| if i == n - 1 { PASSWORD.to_string() } else { format!("wrong guess number {i}") },
    );
    assert!(evaluated <= cap, "{evaluated} of {n} guesses were evaluated; the account cap is {cap}");
}
