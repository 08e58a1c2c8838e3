use proptest::prelude::*;
use vigil_store::SqliteStore;

use super::*;
use crate::{LimiterPolicy, Permission, check_csrf};

const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const PASSWORD: &str = "correct horse battery staple";

fn store() -> SqliteStore {
    SqliteStore::in_memory().unwrap()
}

/// Writes a user straight to the store with a hash no password matches, so tests that do not
/// log in compute no Argon2 (slow in debug builds).
fn seed(store: &mut SqliteStore, username: &str, roles: &[Role]) {
    let user = User {
        username: username.into(),
        display_name: username.into(),
        roles: roles.to_vec(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2VlZHNlZWRzZWVk$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            .into(),
        created_ms: T0,
        disabled: false,
    };
    let doc = Document { id: username.into(), updated_ms: T0, json: serde_json::to_string(&user).unwrap() };
    store.put_documents(KIND_USER, &[doc], false, &[]).unwrap();
}

fn actions(store: &SqliteStore) -> Vec<String> {
    store.audit(10_000).unwrap().into_iter().map(|e| e.action).collect()
}

fn is_invalid(r: Result<impl std::fmt::Debug>, field: &str) -> bool {
    matches!(r, Err(AuthError::Invalid { field: f, .. }) if f == field)
}

#[test]
fn login_checks_the_password_and_an_unknown_user_looks_the_same() {
    let mut s = store();
    let limiter = LoginLimiter::new();
    let mut auth = Auth::new(&mut s);
    auth.create_user("root", "ann", "Ann Analyst", &[Role::Analyst], PASSWORD, T0).unwrap();

    let p = auth.login("ann", PASSWORD, "10.0.0.1", &limiter, T0 + 1).unwrap();
    assert_eq!((p.username.as_str(), &p.roles[..], &p.via), ("ann", &[Role::Analyst][..], &Via::Password));
    assert!(p.can(Permission::Dispose) && !p.can(Permission::ManageIdentity));

    let wrong = auth.login("ann", "correct horse battery stapler", "10.0.0.1", &limiter, T0 + 2).unwrap_err();
    let unknown = auth.login("nobody", PASSWORD, "10.0.0.1", &limiter, T0 + 3).unwrap_err();
    assert!(matches!(wrong, AuthError::BadCredentials) && matches!(unknown, AuthError::BadCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
    // An impossible username or an absurd password is refused the same way, without a panic.
    let odd = auth.login("NOT a user\n", &"x".repeat(5000), "10.0.0.1", &limiter, T0 + 4).unwrap_err();
    assert_eq!(odd.to_string(), wrong.to_string());

    // The limiter: one failure so far for ann from 10.0.0.1; five lock her out from there, but
    // not from another address (so guesses from one place cannot lock a person out elsewhere).
    for i in 0..4 {
        limiter.record_failure("ann", "10.0.0.1", T0 + 5 + i);
    }
    let locked = auth.login("ann", PASSWORD, "10.0.0.1", &limiter, T0 + 10).unwrap_err();
    assert!(matches!(locked, AuthError::Locked { retry_after_secs } if retry_after_secs > 800), "{locked:?}");
    assert!(auth.login("ann", PASSWORD, "10.0.0.3", &limiter, T0 + 11).is_ok(), "another address signs in");
    assert!(auth.login("ann", PASSWORD, "10.0.0.1", &limiter, T0 + 2 + 15 * MIN).is_ok(), "window over");

    auth.disable_user("root", "ann", T0 + 20 * MIN).unwrap();
    assert!(matches!(auth.login("ann", PASSWORD, "10.0.0.1", &limiter, T0 + 21 * MIN), Err(AuthError::Disabled)));

    let log = s.audit(100).unwrap();
    let logins: Vec<(&str, &str, &str)> = log
        .iter()
        .filter(|e| e.action.starts_with("login."))
        .map(|e| (e.action.as_str(), e.result.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        logins,
        [
            ("login.ok", "ok", "ip=10.0.0.1"),
            ("login.fail", "bad_credentials", "ip=10.0.0.1"),
            ("login.fail", "bad_credentials", "ip=10.0.0.1"),
            ("login.fail", "bad_credentials", "ip=10.0.0.1"),
            ("login.fail", "locked", "ip=10.0.0.1"),
            ("login.ok", "ok", "ip=10.0.0.3"),
            ("login.ok", "ok", "ip=10.0.0.1"),
            ("login.fail", "disabled", "ip=10.0.0.1"),
        ]
    );
    assert!(log.iter().all(|e| !e.actor.contains('\n') && !e.target.contains('\n')));
}

#[test]
fn secrets_never_reach_a_stored_document_or_the_audit_log() {
    let mut s = store();
    let limiter = LoginLimiter::with_policy(LimiterPolicy::default());
    let new_password = "a whole new passphrase, much longer";
    let (token, token_view, cookie, old_cookie, hash) = {
        let mut auth = Auth::new(&mut s);
        assert!(auth.ensure_admin("root", PASSWORD, T0).unwrap().is_some());
        let (old_cookie, _) = auth.create_session("root", T0).unwrap();
        auth.set_password("root", "root", new_password, T0 + 1).unwrap();
        assert!(matches!(auth.session(&old_cookie, T0 + 2), Err(AuthError::Revoked)), "a new password ends sessions");
        auth.login("root", new_password, "192.0.2.1", &limiter, T0 + 3).unwrap();
        let (token, view) = auth.create_token("root", "laptop", &[Role::Analyst], None, "root", T0 + 4).unwrap();
        assert!(token.starts_with(&format!("vgl_{}_", view.id)) && token.len() == 81, "{}", token.len());
        assert_eq!(auth.verify_token(&token, T0 + 5).unwrap().via, Via::Token(view.id.clone()));
        let (cookie, session) = auth.create_session("root", T0 + 6).unwrap();
        auth.session(&cookie, T0 + 7).unwrap();
        assert!(auth.end_session(&cookie, T0 + 8).unwrap());
        auth.revoke_token(&view.id, "root", T0 + 9).unwrap();
        // Debug output redacts too.
        assert!(!format!("{session:?}").contains(&session.csrf_token));
        let user: User = auth.load_user("root").unwrap().unwrap();
        assert!(!format!("{user:?}").contains(&user.password_hash));
        (token, view, cookie, old_cookie, user.password_hash)
    };
    let token_secret = &token[17..];
    let forbidden = [PASSWORD, new_password, token.as_str(), token_secret, cookie.as_str(), old_cookie.as_str()];
    for kind in [KIND_USER, KIND_TOKEN, KIND_SESSION, KIND_GRANT] {
        for d in s.documents(kind).unwrap() {
            for secret in forbidden {
                assert!(!d.json.contains(secret) && !d.id.contains(secret), "{kind} {} holds a secret", d.id);
            }
        }
    }
    let stored_token: Token =
        serde_json::from_str(&s.document(KIND_TOKEN, &token_view.id).unwrap().unwrap().json).unwrap();
    assert_eq!(stored_token.secret_sha256, crate::crypto::sha256_hex(&token));
    let log = s.audit(10_000).unwrap();
    assert!(log.len() >= 8);
    for e in &log {
        let line = format!("{} {} {} {} {}", e.actor, e.action, e.target, e.result, e.detail);
        for secret in forbidden.iter().chain([&hash.as_str(), &stored_token.secret_sha256.as_str()]) {
            assert!(!line.contains(secret), "audit line holds a secret: {line}");
        }
    }
    // Views carry no hashes.
    let users = Auth::new(&mut s).users().unwrap();
    let tokens = Auth::new(&mut s).tokens(None).unwrap();
    let views = serde_json::to_string(&(users, tokens)).unwrap();
    assert!(!views.contains("argon2") && !views.contains(&stored_token.secret_sha256) && !views.contains("hash"));
    assert!(!format!("{stored_token:?}").contains(&stored_token.secret_sha256));
    for a in
        ["user.create", "session.start", "user.password", "session.end", "login.ok", "token.create", "token.revoke"]
    {
        assert!(actions(&s).iter().any(|x| x == a), "no {a} in the audit log");
    }
}

#[test]
fn ensure_admin_only_bootstraps_an_empty_store() {
    let mut s = store();
    let mut auth = Auth::new(&mut s);
    assert!(is_invalid(auth.ensure_admin("root", "short", T0), "password"));
    let made = auth.ensure_admin("root", PASSWORD, T0).unwrap().unwrap();
    assert_eq!(made.roles, [Role::Admin]);
    assert!(auth.ensure_admin("other", PASSWORD, T0).unwrap().is_none());
    assert_eq!(auth.users().unwrap().len(), 1);
    assert_eq!(s.audit(10).unwrap()[0].actor, "bootstrap");
}

#[test]
fn usernames_passwords_and_roles_are_validated_with_clear_errors() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    let mut auth = Auth::new(&mut s);
    for bad in ["", "Ann", "ann smith", "ann/x", "ännchen", &"a".repeat(65)] {
        let e = auth.create_user("root", bad, "", &[Role::Analyst], PASSWORD, T0).unwrap_err();
        assert!(matches!(e, AuthError::Invalid { field: "username", .. }), "{bad:?}: {e}");
    }
    let e = auth.create_user("root", "Ann", "", &[Role::Analyst], PASSWORD, T0).unwrap_err().to_string();
    assert!(e.contains("username") && e.contains("a-z"), "{e}");
    let e = auth.create_user("root", "ann", "", &[Role::Analyst], "elevenchars", T0).unwrap_err().to_string();
    assert_eq!(e, "invalid password: must be at least 12 characters");
    assert!(is_invalid(auth.create_user("root", "ann", "", &[Role::Analyst], &"p".repeat(1025), T0), "password"));
    assert!(is_invalid(auth.create_user("root", "ann", "", &[], PASSWORD, T0), "roles"));
    assert!(is_invalid(auth.create_user("root", "ann", "", &[Role::Ingestor], PASSWORD, T0), "roles"));
    assert!(is_invalid(auth.create_user("root", "ann", "bad\nname", &[Role::Analyst], PASSWORD, T0), "display_name"));
    assert!(matches!(
        auth.create_user("root", "root", "", &[Role::Analyst], PASSWORD, T0),
        Err(AuthError::Exists { .. })
    ));
    assert!(matches!(auth.set_roles("root", "ghost", &[Role::Analyst], T0), Err(AuthError::NotFound { .. })));
    assert!(is_invalid(auth.set_roles("root", "root", &[Role::Admin, Role::Ingestor], T0), "roles"));
    assert!(is_invalid(auth.set_password("root", "root", "short", T0), "password"));
    // The password policy names the rule it refuses.
    let rule = |r: Result<UserView>| match r {
        Err(AuthError::Invalid { field: "password", reason }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(rule(auth.create_user("root", "bob", "", &[Role::Analyst], "elevenchars", T0)).contains("at least 12"));
    let long_name = "administrator.bob";
    assert!(
        rule(auth.create_user("root", long_name, "", &[Role::Analyst], "Administrator.Bob", T0)).contains("user name")
    );
    for common in ["password1234", "Password1234", "123456789012", "qwertyuiop123"] {
        let e = rule(auth.create_user("root", "bob", "", &[Role::Analyst], common, T0));
        assert!(e.contains("most common passwords"), "{common}: {e}");
    }
    let e = auth.set_password("root", "root", "letmein12345", T0).unwrap_err();
    assert!(e.to_string().contains("common"), "{e}");
    assert!(auth.user("bob").unwrap().is_none(), "nothing was created");
    // The edges that are allowed.
    assert!(validate_username(&"a".repeat(64)).is_ok());
    assert!(validate_username("first.last_2-x@corp.example").is_ok());
    assert!(validate_password("ann", &"é".repeat(12)).is_ok(), "counted in characters");
    assert!(validate_password("ann", &"p".repeat(1024)).is_ok());
    assert!(auth.users().unwrap().iter().all(|u| u.username == "root"), "nothing invalid was stored");
}

#[test]
fn the_last_enabled_admin_cannot_be_demoted_or_disabled() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    seed(&mut s, "ann", &[Role::Analyst]);
    let mut auth = Auth::new(&mut s);
    assert!(matches!(auth.set_roles("root", "root", &[Role::Analyst], T0), Err(AuthError::Forbidden { .. })));
    assert!(matches!(auth.disable_user("root", "root", T0), Err(AuthError::Forbidden { .. })));
    let v = auth.set_roles("root", "ann", &[Role::Admin, Role::Analyst, Role::Admin], T0 + 1).unwrap();
    assert_eq!(v.roles, [Role::Admin, Role::Analyst], "sorted and deduplicated");
    auth.disable_user("ann", "root", T0 + 2).unwrap();
    assert!(matches!(auth.set_roles("ann", "ann", &[Role::Analyst], T0 + 3), Err(AuthError::Forbidden { .. })));
    auth.enable_user("ann", "root", T0 + 4).unwrap();
    auth.set_roles("root", "ann", &[Role::Analyst], T0 + 5).unwrap();
    let acts = actions(&s);
    assert_eq!(acts, ["user.roles", "user.disable", "user.enable", "user.roles"]);
    let roles = s.audit(10).unwrap()[0].detail.clone();
    assert_eq!(roles, "from=analyst to=admin,analyst");
}

#[test]
fn token_roles_stay_within_the_owner_unless_the_owner_is_an_admin() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    seed(&mut s, "ann", &[Role::Analyst, Role::Executive]);
    let mut auth = Auth::new(&mut s);
    let (t, v) = auth.create_token("ann", "cli", &[Role::Analyst], Some(T0 + HOUR), "ann", T0).unwrap();
    let p = auth.verify_token(&t, T0 + 1).unwrap();
    assert_eq!((p.username.as_str(), &p.roles[..]), ("ann", &[Role::Analyst][..]), "the token's roles, not ann's");
    assert!(!p.has_role(Role::Executive));
    assert_eq!(auth.tokens(Some("ann")).unwrap()[0].last_used_ms, Some(T0 + 1));
    assert_eq!(v.roles, [Role::Analyst]);

    for roles in [&[Role::Admin][..], &[Role::Analyst, Role::Responder], &[Role::Ingestor]] {
        let e = auth.create_token("ann", "more", roles, None, "ann", T0).unwrap_err();
        assert!(matches!(e, AuthError::Forbidden { .. }), "{roles:?}: {e}");
    }
    assert!(is_invalid(auth.create_token("ann", "cli", &[], None, "ann", T0), "roles"));
    assert!(is_invalid(auth.create_token("ann", " ", &[Role::Analyst], None, "ann", T0), "name"));
    assert!(is_invalid(auth.create_token("ann", "cli", &[Role::Analyst], Some(T0), "ann", T0), "expires_ms"));
    assert!(matches!(
        auth.create_token("ghost", "x", &[Role::Analyst], None, "root", T0),
        Err(AuthError::NotFound { .. })
    ));

    // An admin may mint a shipper token holding a role no person has.
    let (hec, _) = auth.create_token("root", "hec", &[Role::Ingestor], None, "root", T0).unwrap();
    let p = auth.verify_token(&hec, T0 + 1).unwrap();
    assert_eq!(p.roles, [Role::Ingestor]);
    assert!(p.can(Permission::Ingest) && !p.can(Permission::ViewQueue) && !p.can(Permission::ManageIdentity));

    // Demoting the owner narrows the token; taking every role of it away refuses it.
    auth.set_roles("root", "ann", &[Role::Executive], T0 + 2).unwrap();
    assert!(matches!(auth.verify_token(&t, T0 + 3), Err(AuthError::Forbidden { .. })));
    auth.set_roles("root", "ann", &[Role::Analyst], T0 + 4).unwrap();
    assert!(auth.verify_token(&t, T0 + 5).is_ok());
    assert_eq!(auth.tokens(None).unwrap().len(), 2);
}

#[test]
fn expired_revoked_wrong_and_orphaned_tokens_are_refused() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    seed(&mut s, "ann", &[Role::Analyst]);
    let mut auth = Auth::new(&mut s);
    let (t, v) = auth.create_token("ann", "cli", &[Role::Analyst], Some(T0 + HOUR), "root", T0).unwrap();
    assert!(auth.verify_token(&t, T0 + HOUR - 1).is_ok());
    assert!(matches!(auth.verify_token(&t, T0 + HOUR), Err(AuthError::Expired)));

    let (t2, v2) = auth.create_token("ann", "ci", &[Role::Analyst], None, "root", T0).unwrap();
    // Right id, wrong secret: the same answer as an unknown token.
    let mut forged = t2.clone();
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(80.., last);
    assert!(matches!(auth.verify_token(&forged, T0), Err(AuthError::BadCredentials)));
    let unknown = format!("vgl_{}_{}", "0".repeat(12), "0".repeat(64));
    assert!(matches!(auth.verify_token(&unknown, T0), Err(AuthError::BadCredentials)));

    assert!(auth.verify_token(&t2, T0 + 10 * HOUR).is_ok(), "no expiry");
    auth.disable_user("root", "ann", T0 + 11 * HOUR).unwrap();
    assert!(matches!(auth.verify_token(&t2, T0 + 11 * HOUR), Err(AuthError::Disabled)));
    auth.enable_user("root", "ann", T0 + 12 * HOUR).unwrap();
    assert!(auth.verify_token(&t2, T0 + 12 * HOUR).is_ok());

    let r = auth.revoke_token(&v2.id, "root", T0 + 13 * HOUR).unwrap();
    assert_eq!(r.revoked_ms, Some(T0 + 13 * HOUR));
    assert!(matches!(auth.verify_token(&t2, T0 + 13 * HOUR), Err(AuthError::Revoked)));
    assert_eq!(auth.revoke_token(&v2.id, "root", T0 + 14 * HOUR).unwrap().revoked_ms, Some(T0 + 13 * HOUR));
    assert!(matches!(auth.revoke_token("nope", "root", T0), Err(AuthError::NotFound { .. })));
    assert!(matches!(auth.revoke_token(&"f".repeat(12), "root", T0), Err(AuthError::NotFound { .. })));
    assert_ne!(v.id, v2.id);
    assert_eq!(actions(&s).iter().filter(|a| *a == "token.revoke").count(), 1, "revoking twice audits once");
}

#[test]
fn malformed_tokens_are_refused_without_panics() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    let mut auth = Auth::new(&mut s);
    let (t, _) = auth.create_token("root", "x", &[Role::Admin], None, "root", T0).unwrap();
    let non_ascii = format!("vgl_é{}_{}", "a".repeat(10), "b".repeat(64));
    assert_eq!(non_ascii.len(), 81);
    let cases = [
        String::new(),
        "vgl_".into(),
        "vgl_zz_".into(),
        format!("vgl_zz_{}", "0".repeat(74)),
        format!("vgl_{}_{}", "0".repeat(12), "0".repeat(63)),
        format!("vgl_{}_{}", "A".repeat(12), "0".repeat(64)),
        t.to_uppercase(),
        format!("Bearer {t}"),
        format!("{t} "),
        t[..80].to_string(),
        format!("vgl_{}-{}", &t[4..16], &t[17..]),
        "vgl_".to_string() + &"a".repeat(1 << 20),
        non_ascii,
        format!("vgl_{}_{}é", &t[4..16], &t[17..79]),
        "\u{0}".repeat(81),
    ];
    for c in &cases {
        assert!(auth.verify_token(c, T0).is_err(), "accepted {:?}", c.chars().take(40).collect::<String>());
        assert!(auth.revoke_token(c, "root", T0).is_err());
    }
    assert!(auth.verify_token(&t, T0).is_ok(), "the real one still works");
}

#[test]
fn sessions_lapse_when_idle_and_at_their_absolute_expiry() {
    let mut s = store();
    seed(&mut s, "ann", &[Role::Analyst]);
    let mut auth = Auth::new(&mut s);
    assert_eq!(auth.policy(), &SessionPolicy { idle_timeout_ms: 30 * MIN, absolute_ms: 12 * HOUR });

    // Idle: each request pushes the deadline 30 minutes on.
    let (idle, sess) = auth.create_session("ann", T0).unwrap();
    assert_eq!(idle.len(), 64);
    assert_eq!(sess.absolute_expiry_ms, T0 + 12 * HOUR);
    let (p, _) = auth.session(&idle, T0 + 29 * MIN).unwrap();
    assert_eq!(p.username, "ann");
    assert!(matches!(&p.via, Via::BrowserSession(id) if id.len() == 16 && !idle.contains(id.as_str())), "{:?}", p.via);
    assert!(p.via.credential().is_some_and(|c| c.starts_with("session:")));
    let (_, seen) = auth.session(&idle, T0 + 58 * MIN).unwrap();
    assert_eq!(seen.last_seen_ms, T0 + 58 * MIN, "activity is stored");
    assert!(matches!(auth.session(&idle, T0 + 88 * MIN), Err(AuthError::Expired)));
    assert!(matches!(auth.session(&idle, T0 + 60 * MIN), Err(AuthError::Revoked)), "ended for good");

    // Absolute: busy all day, still ends after 12 hours.
    let (busy, _) = auth.create_session("ann", T0).unwrap();
    let mut t = T0;
    while t + 20 * MIN < T0 + 12 * HOUR {
        t += 20 * MIN;
        auth.session(&busy, t).unwrap();
    }
    assert!(auth.session(&busy, T0 + 12 * HOUR - 1).is_ok());
    assert!(matches!(auth.session(&busy, T0 + 12 * HOUR), Err(AuthError::Expired)));

    // Logout.
    let (out, _) = auth.create_session("ann", T0).unwrap();
    assert!(auth.end_session(&out, T0 + MIN).unwrap());
    assert!(!auth.end_session(&out, T0 + 2 * MIN).unwrap(), "already ended");
    assert!(matches!(auth.session(&out, T0 + 2 * MIN), Err(AuthError::Revoked)));
    assert!(!auth.end_session("not a session", T0).unwrap());

    // Roles follow the user; a disabled user's session ends.
    let (live, _) = auth.create_session("ann", T0).unwrap();
    auth.set_roles("root", "ann", &[Role::Responder], T0 + 1).unwrap();
    assert_eq!(auth.session(&live, T0 + 2).unwrap().0.roles, [Role::Responder]);
    let (live2, _) = auth.create_session("ann", T0 + 3).unwrap();
    let ended = auth.end_sessions_of("root", "ann", "test", T0 + 4).unwrap();
    assert_eq!(ended, 2);
    assert!(matches!(auth.session(&live2, T0 + 5), Err(AuthError::Revoked)));
    let (live3, _) = auth.create_session("ann", T0 + 6).unwrap();
    seed(&mut s, "root", &[Role::Admin]);
    let mut auth = Auth::with_policy(&mut s, SessionPolicy { idle_timeout_ms: MIN, absolute_ms: HOUR });
    auth.disable_user("root", "ann", T0 + 7).unwrap();
    assert!(auth.session(&live3, T0 + 8).is_err());
    assert!(matches!(auth.create_session("ann", T0 + 9), Err(AuthError::Disabled)));
    assert!(matches!(auth.create_session("ghost", T0 + 9), Err(AuthError::NotFound { .. })));
    let unknown = "0".repeat(64);
    assert!(matches!(auth.session(&unknown, T0), Err(AuthError::BadCredentials)));

    // A custom policy applies to new sessions.
    auth.enable_user("root", "ann", T0 + 10).unwrap();
    let (short, sess) = auth.create_session("ann", T0 + 10).unwrap();
    assert_eq!((sess.idle_timeout_ms, sess.absolute_expiry_ms), (MIN, T0 + 10 + HOUR));
    assert!(matches!(auth.session(&short, T0 + 10 + MIN), Err(AuthError::Expired)));

    // Pruning forgets what is over, keeps what is live.
    let (keep, _) = Auth::new(&mut s).create_session("ann", T0 + 13 * HOUR).unwrap();
    let before = s.documents(KIND_SESSION).unwrap().len();
    let mut auth = Auth::new(&mut s);
    let cutoff = T0 + 13 * HOUR;
    let removed = auth.prune_sessions(cutoff, "root", cutoff).unwrap();
    assert_eq!(removed, before - 1);
    assert!(auth.session(&keep, cutoff + MIN).is_ok());
    assert!(actions(&s).iter().any(|a| a == "session.prune"));
}

#[test]
fn csrf_tokens_match_only_themselves() {
    let mut s = store();
    seed(&mut s, "ann", &[Role::Analyst]);
    let mut auth = Auth::new(&mut s);
    let (_, a) = auth.create_session("ann", T0).unwrap();
    let (_, b) = auth.create_session("ann", T0).unwrap();
    assert_eq!(a.csrf_token.len(), 64);
    assert!(check_csrf(&a, &a.csrf_token.clone()));
    assert!(!check_csrf(&a, &b.csrf_token));
    assert!(!check_csrf(&a, ""));
    assert!(!check_csrf(&a, &a.csrf_token[..63]));
    assert!(!check_csrf(&a, &format!("{}0", a.csrf_token)));
    assert!(!check_csrf(&a, &a.csrf_token.to_uppercase()));
    let blank = Session { csrf_token: String::new(), ..a };
    assert!(!check_csrf(&blank, ""), "an empty token never matches");
}

#[test]
fn auditors_see_only_granted_cases_within_the_period_until_expiry_or_revocation() {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    seed(&mut s, "audrey", &[Role::Auditor]);
    seed(&mut s, "ann", &[Role::Analyst]);
    let mut auth = Auth::new(&mut s);
    let cases = |c: &[&str]| c.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (from, to) = (T0 - 30 * 24 * HOUR, T0 - 24 * HOUR);
    let expires = T0 + 7 * 24 * HOUR;

    // Refusals.
    assert!(is_invalid(auth.grant("root", "ann", &cases(&["c1"]), from, to, expires, T0), "auditor"));
    assert!(matches!(
        auth.grant("root", "ghost", &cases(&["c1"]), from, to, expires, T0),
        Err(AuthError::NotFound { .. })
    ));
    assert!(is_invalid(auth.grant("root", "audrey", &cases(&[]), from, to, expires, T0), "cases"));
    assert!(is_invalid(auth.grant("root", "audrey", &cases(&[""]), from, to, expires, T0), "cases"));
    assert!(is_invalid(auth.grant("root", "audrey", &cases(&["c1"]), to, from, expires, T0), "period"));
    assert!(is_invalid(auth.grant("root", "audrey", &cases(&["c1"]), from, to, T0, T0), "expires_ms"));
    let too_far = T0 + 90 * 24 * HOUR + 1;
    let e = auth.grant("root", "audrey", &cases(&["c1"]), from, to, too_far, T0).unwrap_err();
    assert_eq!(e.to_string(), "invalid expires_ms: must be within 90 days of now");
    assert!(auth.grants(None).unwrap().is_empty());
    let longest = auth.grant("root", "audrey", &cases(&["c9"]), from, to, T0 + 90 * 24 * HOUR, T0).unwrap();

    let g = auth.grant("root", "audrey", &cases(&["c2", "c1", "c1"]), from, to, expires, T0).unwrap();
    assert_eq!((g.cases.clone(), g.granted_by.as_str()), (cases(&["c1", "c2"]), "root"));
    assert_eq!(auth.active_grants("audrey", T0).unwrap().len(), 2);

    // Through a token, as the auditor portal would see it.
    let (t, _) = auth.create_token("audrey", "portal", &[Role::Auditor], None, "root", T0).unwrap();
    let p = auth.verify_token(&t, T0 + 1).unwrap();
    assert!(p.can(Permission::AuditorPortal) && !p.can(Permission::ViewQueue));
    assert!(p.can_see_case("c1", from + 1, T0 + 1));
    assert!(p.can_see_case("c2", to, T0 + 1));
    assert!(!p.can_see_case("c3", from + 1, T0 + 1), "not granted");
    assert!(!p.can_see_case("c1", to + 1, T0 + 1), "outside the period");
    assert!(!p.can_see_case("c1", from + 1, expires), "expired");
    let later = auth.verify_token(&t, expires).unwrap();
    assert_eq!(later.grants, std::slice::from_ref(&longest), "expired grants are not loaded");
    assert!(!later.can_see_case("c1", from + 1, expires));

    // Revocation.
    auth.revoke_grant(&g.id, "root", T0 + 2).unwrap();
    assert_eq!(auth.revoke_grant(&g.id, "root", T0 + 3).unwrap().revoked_ms, Some(T0 + 2));
    assert_eq!(auth.active_grants("audrey", T0 + 2).unwrap(), [longest]);
    assert!(!auth.verify_token(&t, T0 + 4).unwrap().can_see_case("c1", from + 1, T0 + 4));
    assert!(matches!(auth.revoke_grant("zz", "root", T0), Err(AuthError::NotFound { .. })));

    // Non-auditors see everything; their principals carry no grants.
    let (ta, _) = auth.create_token("ann", "cli", &[Role::Analyst], None, "root", T0).unwrap();
    let pa = auth.verify_token(&ta, T0).unwrap();
    assert!(pa.grants.is_empty() && pa.can_see_case("c3", 0, T0));
    assert_eq!(actions(&s).iter().filter(|a| a.starts_with("grant.")).count(), 3);
}

#[test]
fn corrupt_documents_are_reported_not_panicked_on() {
    let mut s = store();
    let doc = Document { id: "ann".into(), updated_ms: T0, json: "{not json".into() };
    s.put_documents(KIND_USER, &[doc], false, &[]).unwrap();
    let mut auth = Auth::new(&mut s);
    let e = auth.users().unwrap_err();
    assert!(matches!(e, AuthError::Corrupt { kind: "user", .. }), "{e}");
    assert!(matches!(auth.create_session("ann", T0), Err(AuthError::Corrupt { .. })));
}

fn fuzz_store() -> (SqliteStore, String, String) {
    let mut s = store();
    seed(&mut s, "root", &[Role::Admin]);
    let mut auth = Auth::new(&mut s);
    let (token, _) = auth.create_token("root", "x", &[Role::Admin], None, "root", T0).unwrap();
    let (cookie, _) = auth.create_session("root", T0).unwrap();
    (s, token, cookie)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_strings_never_panic_token_or_session_checks(
        input in prop_oneof![
            any::<String>(),
            "vgl_[0-9a-f]{12}_[0-9a-f]{64}",
            "vgl_.{0,90}",
            "[0-9a-f]{64}",
            "[0-9a-fA-F_é]{60,82}",
        ],
        now in any::<i64>(),
    ) {
        let (mut s, token, cookie) = fuzz_store();
        let mut auth = Auth::new(&mut s);
        let t = auth.verify_token(&input, now);
        prop_assert!(t.is_err() || input == token);
        let sess = auth.session(&input, now);
        prop_assert!(sess.is_err() || input == cookie);
        let _ = auth.revoke_token(&input, "root", now);
        let _ = auth.revoke_grant(&input, "root", now);
        let _ = auth.end_session(&input, now);
        let _ = auth.user(&input);
        // The real secrets at any time: no overflow on extreme clocks.
        let _ = auth.verify_token(&token, now);
        let _ = auth.session(&cookie, now);
        let limiter = LoginLimiter::new();
        limiter.record_failure(&input, &input, now);
        let _ = limiter.check(&input, &input, now);
    }
}
