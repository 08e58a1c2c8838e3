use super::*;

/// Redacts `text` with a fresh redactor and checks the round trip.
fn red(text: &str) -> String {
    let mut r = Redactor::new();
    let out = r.redact(text);
    assert_eq!(r.restore(&out), text, "round trip of {text:?} via {out:?}");
    out
}

#[test]
fn emails() {
    assert_eq!(red("mail ann.lee+x@corp.example.com now"), "mail <EMAIL_1> now");
    assert_eq!(red("<ann@corp.io>."), "<<EMAIL_1>>.");
    assert_eq!(red("to: a@b.com, c@d.org."), "to: <EMAIL_1>, <EMAIL_2>.");
    // An at-sign alone or a handle is not an address.
    assert_eq!(red("@channel ping me@ 5@6"), "@channel ping me@ 5@6");
}

#[test]
fn ipv4() {
    assert_eq!(red("from 10.0.0.1 to 192.168.1.254."), "from <IP_1> to <IP_2>.");
    assert_eq!(red("net 10.20.0.0/16 port 10.0.0.1:443"), "net <IP_1>/16 port <IP_2>:443");
    // Versions and over-range parts are not addresses.
    assert_eq!(red("v1.2.3.4 1.2.3 1.2.3.4.5 256.1.1.1 1.2.3.4a"), "v1.2.3.4 1.2.3 1.2.3.4.5 256.1.1.1 1.2.3.4a");
}

#[test]
fn ipv6_and_macs() {
    assert_eq!(red("from fe80::1ff:fe23:4567:890a and [2001:db8::1]:443"), "from <IP_1> and [<IP_2>]:443");
    assert_eq!(red("mapped ::ffff:10.0.0.1."), "mapped <IP_1>.");
    assert_eq!(red("nic 00:1a:2b:3c:4d:5e up"), "nic <MAC_1> up");
    // Times, C++ paths and `::` alone are not addresses.
    assert_eq!(red("at 10:30:45 std::vector a::b :: x"), "at 10:30:45 std::vector <IP_1> :: x");
}

#[test]
fn aws_key_ids_and_arns() {
    assert_eq!(red("key AKIAIOSFODNN7EXAMPLE used"), "key <KEY_1> used");
    assert_eq!(red("ASIAY34FZKBOKMUTVV7A."), "<KEY_1>.");
    // Too short, lowercase or part of a longer word: not a key id.
    assert_eq!(
        red("AKIAIOSFODNN7EXAMPL akiaiosfodnn7example XAKIAIOSFODNN7EXAMPLE"),
        "AKIAIOSFODNN7EXAMPL akiaiosfodnn7example XAKIAIOSFODNN7EXAMPLE"
    );
    assert_eq!(
        red("assumed arn:aws:iam::123456789012:role/Admin-Role (then arn:aws:s3:::my-bucket/key.txt)."),
        "assumed <ARN_1> (then <ARN_2>)."
    );
    assert_eq!(red("\"arn:aws-us-gov:sts::123456789012:assumed-role/x/y\""), "\"<ARN_1>\"");
    assert_eq!(red("arn:aws is a prefix"), "arn:aws is a prefix");
}

#[test]
fn jwts() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(red(&format!("Bearer {jwt}, ok")), "Bearer <SECRET_1>, ok");
    // Unsigned: the signature is empty, the last dot is part of the token.
    assert_eq!(red("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0. next"), "<SECRET_1> next");
    assert_eq!(red("eyJ alone"), "eyJ alone");
}

#[test]
fn prefixed_tokens() {
    let vgl = format!("vgl_{}_{}", "0a1b2c3d4e5f", "9f".repeat(32));
    assert_eq!(red(&format!("token {vgl} leaked")), "token <SECRET_1> leaked");
    assert_eq!(red("key sk-proj-AbCdEf0123456789xyz ok"), "key <SECRET_1> ok");
    assert_eq!(
        red("ghp_16C7e42F292c6912E7710c838347Ae178B4a and xoxb-123456789012-abcdefghijkl"),
        "<SECRET_1> and <SECRET_2>"
    );
    // Prefixes in ordinary words, or without a body, stay.
    assert_eq!(red("task-force disk-usage sk-short ghp_"), "task-force disk-usage sk-short ghp_");
}

#[test]
fn keyword_values() {
    assert_eq!(red("login password=hunter22 user=x"), "login password=<SECRET_1> user=x");
    assert_eq!(red(r#"{"api_key": "abc def", "n": 1}"#), r#"{"api_key": "<SECRET_1>", "n": 1}"#);
    assert_eq!(red("DB_PASSWORD: s3cr3t; next"), "DB_PASSWORD: <SECRET_1>; next");
    assert_eq!(red("Authorization: Bearer opaque-value\n"), "Authorization: Bearer <SECRET_1>\n");
    // Counting tokens is not a secret.
    assert_eq!(red("prompt_tokens: 12, tokens: 5"), "prompt_tokens: 12, tokens: 5");
}

#[test]
fn private_keys() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----";
    assert_eq!(red(&format!("key:\n{pem}\nend")), "key:\n<SECRET_1>\nend");
    let cert = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----";
    assert_eq!(red(cert), cert);
}

#[test]
fn high_entropy_runs() {
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(red(&format!("secret is {aws_secret} ok")), "secret is <SECRET_1> ok");
    let hex48 = "3f9a0c7b12e45d6f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d";
    assert_eq!(red(hex48), "<SECRET_1>");
    // Words, paths and identifiers of the same length stay.
    for plain in [
        "process_creation_with_encoded_command_2",
        "/usr/lib/x86_64-linux-gnu/libssl.so.3",
        "ThisIsAVeryLongCamelCaseIdentifierName",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
        "--------------------------------------------------",
    ] {
        assert_eq!(red(plain), plain);
    }
}

#[test]
fn hex_ids_and_uuids_are_not_redacted() {
    let ids = [
        "9f86d081884c7d659a2feaa0c55ad015",
        "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
        "550e8400-e29b-41d4-a716-446655440000",
    ];
    for id in ids {
        let text = format!("event {id} (sha256:{id}) cited");
        assert_eq!(red(&text), text);
    }
}

#[test]
fn hosts() {
    assert_eq!(red("login on dc01.corp.local from web-1.example.com."), "login on <HOST_1> from <HOST_2>.");
    assert_eq!(red("https://api.vendor.io/v1/x"), "https://<HOST_1>/v1/x");
    assert_eq!(red("DC01.CORP.INTERNAL"), "<HOST_1>");
    // File names, versions, abbreviations and run-on sentences are not hosts.
    for plain in [
        "a.json",
        "report.pdf run.sh main.rs README.md lib.so archive.zip",
        "1.2.3",
        "v1.2",
        "e.g. i.e. U.S.",
        "it failed.It was",
        "config.yaml",
        "event.id user.domain user.home source.ip host.name",
    ] {
        assert_eq!(red(plain), plain);
    }
}

#[test]
fn known_values_are_whole_tokens_in_any_case() {
    let mut r = Redactor::new();
    r.know("user", "ann");
    r.know("host", "ws-042");
    r.know("bucket", "corp-backups");
    r.know("user", "ab");
    let text = "ann's annual review: ANN logged on ws-042 (not ws-0421) and read s3://corp-backups/x; joanna ok";
    let out = r.redact(text);
    assert_eq!(
        out,
        "<USER_1>'s annual review: <USER_2> logged on <HOST_3> (not ws-0421) and read s3://<BUCKET_4>/x; joanna ok"
    );
    assert_eq!(r.restore(&out), text);
    // "ab" is too short to register.
    assert_eq!(r.redact("ab"), "ab");
}

#[test]
fn known_values_longest_first() {
    let mut r = Redactor::new();
    r.know("user", "ann");
    r.know("user", "ann.lee");
    assert_eq!(r.redact("ann.lee and ann"), "<USER_1> and <USER_2>");
    // A known user inside an address takes the user placeholder; the rest is still redacted.
    assert_eq!(r.redact("ann@corp.example.com"), "<USER_2>@<HOST_3>");
}

#[test]
fn placeholders_are_stable_and_shared_across_calls() {
    let mut r = Redactor::new();
    let a = r.redact("10.0.0.1 ann@x.com 10.0.0.1");
    assert_eq!(a, "<IP_1> <EMAIL_2> <IP_1>");
    let b = r.redact("again ann@x.com then 10.0.0.2 and 10.0.0.1");
    assert_eq!(b, "again <EMAIL_2> then <IP_3> and <IP_1>");
    assert_eq!(r.placeholders(), 3);
    assert_eq!(r.placeholder_for("10.0.0.2"), Some("<IP_3>"));
    assert_eq!(r.placeholder_for("10.9.9.9"), None);
    // The model's reply uses the placeholders; restoring gives the originals back.
    assert_eq!(r.restore("<EMAIL_2> came from <IP_1>, not <IP_3>."), "ann@x.com came from 10.0.0.1, not 10.0.0.2.");
}

#[test]
fn restore_leaves_unissued_placeholders() {
    let mut r = Redactor::new();
    let out = r.redact("host 10.0.0.1");
    assert_eq!(
        r.restore(&format!("{out} <IP_9> <USER_1> <IP_1 <ip_1> <IP_>")),
        "host 10.0.0.1 <IP_9> <USER_1> <IP_1 <ip_1> <IP_>"
    );
}

#[test]
fn placeholder_text_in_input_survives_the_round_trip() {
    let mut r = Redactor::new();
    let text = "literal <IP_1> then 10.0.0.1";
    let out = r.redact(text);
    assert_eq!(out, "literal <IP_1> then <IP_2>");
    assert_eq!(r.restore(&out), text);
}

#[test]
fn non_ascii_text() {
    let mut r = Redactor::new();
    r.know("user", "jörg");
    let text = "Benutzer jörg (JÖRG?) an 10.0.0.1 — straße.de ✓";
    let out = r.redact(text);
    assert_eq!(out, "Benutzer <USER_1> (JÖRG?) an <IP_2> — straße.de ✓");
    assert_eq!(r.restore(&out), text);
}

#[test]
fn debug_does_not_show_values() {
    let mut r = Redactor::new();
    r.know("user", "secretname");
    r.redact("secretname 10.1.2.3");
    let dbg = format!("{r:?}");
    assert!(!dbg.contains("secretname") && !dbg.contains("10.1.2.3"), "{dbg}");
}

#[test]
fn entropy_of_extremes() {
    assert_eq!(entropy("aaaa"), 0.0);
    assert!((entropy("abcd") - 2.0).abs() < 1e-9);
}
