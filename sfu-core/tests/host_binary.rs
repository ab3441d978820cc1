//! The `hearth-host` binary as an operator meets it: the listening line, health, metrics, token
//! minting, JSON logs and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A token secret long enough for the host (32 bytes or more).
const S: &str = "host-binary-test-secret-0123456789";

use sfu_core::auth::{InteropTokenVerifier, SfuTokenVerifier, WorldTokenVerifier};
use sfu_core::ids::ChannelId;
use sfu_core::roles::Role;

const BIN: &str = env!("CARGO_BIN_EXE_hearth-host");

/// Kills the child if the test fails before it exits.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("the host accepts HTTP");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("set timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    response
}

#[test]
fn listens_reports_health_and_metrics_and_stops_cleanly_on_sigterm() {
    let child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--udp",
            "127.0.0.1:0",
            "--secret",
            "bin-test-secret-of-at-least-32-bytes",
            "--log-format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hearth-host starts");
    let mut host = Host(child);
    let stdout = host.0.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the listening line");
    let listening: serde_json::Value =
        serde_json::from_str(&line).expect("the listening line is JSON");
    assert_eq!(listening["event"], "listening", "{line}");
    let http = listening["http"].as_str().expect("http address").to_owned();
    assert!(
        listening["udp"]
            .as_str()
            .is_some_and(|u| u.starts_with("127.0.0.1:")),
        "{line}"
    );

    let health = http_get(&http, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let metrics = http_get(&http, "/metrics");
    for family in [
        "hearth_sfu_peers 0",
        "hearth_sfu_channels 0",
        "hearth_sfu_packets_forwarded_total 0",
        "hearth_sfu_join_failures_total{reason=\"unauthorized\"} 0",
        "hearth_sfu_forward_latency_seconds_count 0",
    ] {
        assert!(
            metrics.contains(family),
            "metrics lack {family:?}: {metrics}"
        );
    }

    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &host.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = host.0.try_wait().expect("poll the child") {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "hearth-host did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        exit.success(),
        "hearth-host must exit 0 on SIGTERM, got {exit}"
    );
    let mut logs = String::new();
    if let Some(mut stderr) = host.0.stderr.take() {
        let _ = stderr.read_to_string(&mut logs);
    }
    let json_lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        json_lines
            .iter()
            .any(|l| l["fields"]["message"] == "stopped"),
        "JSON logs must record the clean stop: {logs}"
    );
    assert!(
        !logs.contains("bin-test"),
        "the secret must never be logged"
    );
}

#[test]
fn token_subcommand_mints_a_token_the_sfu_accepts() {
    let output = Command::new(BIN)
        .args([
            "token",
            "sfu",
            "--user",
            "42",
            "--channel",
            "7",
            "--perms",
            "3145728",
            "--moved",
            "--secret",
            S,
        ])
        .output()
        .expect("hearth-host token runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).expect("UTF-8 token");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let grant = SfuTokenVerifier::new(S.as_bytes(), "hearth")
        .verify_join(token.trim(), ChannelId(7), now)
        .expect("the minted token verifies");
    assert_eq!(grant.user.0, 42);
    assert!(grant.moved, "--moved sets moved=true");
    let wrong =
        SfuTokenVerifier::new(b"other", "hearth").verify_join(token.trim(), ChannelId(7), now);
    assert!(
        wrong.is_err(),
        "a token must not verify under another secret"
    );
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Runs `hearth-host token <args>` and returns the token it prints.
fn mint(args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("token")
        .args(args)
        .env_remove("HEARTH_SECRET")
        .env_remove("HEARTH_ISSUER")
        .output()
        .expect("hearth-host token runs");
    assert!(
        output.status.success(),
        "token {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 token")
        .trim()
        .to_owned()
}

#[test]
fn token_world_and_interop_mint_tokens_the_verifiers_accept() {
    let user = "0b5f3c2e-8d4a-4f6b-9e21-7c3d5a1b2f40";
    let workspace = "6f1d2c3b-4a59-4e8f-8d7c-1b2a3c4d5e6f";
    let token = mint(&[
        "world",
        "--user",
        user,
        "--workspace",
        workspace,
        "--name",
        "Ada",
        "--avatar",
        "fox",
        "--roles",
        "Admin,Member",
        "--ttl",
        "60",
        "--secret",
        S,
        "--issuer",
        "lan",
    ]);
    let grant = WorldTokenVerifier::new(S.as_bytes(), "lan")
        .verify(&token, unix_now())
        .expect("the world token verifies");
    assert_eq!(grant.user_id.to_string(), user, "--user becomes user_id");
    assert_eq!(grant.workspace_id.to_string(), workspace, "--workspace");
    assert_eq!(grant.roles, [Role::Admin, Role::Member], "--roles");
    assert_eq!(
        (grant.display_name.as_str(), grant.avatar_id.as_str()),
        ("Ada", "fox")
    );
    assert!(
        WorldTokenVerifier::new(S.as_bytes(), "lan")
            .verify(&token, unix_now() + 63)
            .is_err(),
        "--ttl 60 must bound the token"
    );

    let defaults = mint(&["world", "--secret", S]);
    let grant = WorldTokenVerifier::new(S.as_bytes(), "hearth")
        .verify(&defaults, unix_now())
        .expect("a world token with default claims verifies");
    assert!(
        !grant.user_id.is_nil() && !grant.workspace_id.is_nil(),
        "random ids"
    );
    assert_eq!(grant.roles, [Role::Guest], "roles default to Guest");
    assert_eq!(grant.display_name, "Guest", "the name defaults to Guest");

    let interop = mint(&["interop", "--name", "sfu-eu-1", "--secret", S]);
    let grant = InteropTokenVerifier::new(S.as_bytes(), "hearth")
        .verify(&format!("Bearer {interop}"), unix_now())
        .expect("the interop token verifies");
    assert_eq!(grant.sfu_name, "sfu-eu-1", "--name becomes sub");
    assert!(
        WorldTokenVerifier::new(S.as_bytes(), "hearth")
            .verify(&interop, unix_now())
            .is_err(),
        "an interop token is no world token"
    );
}

#[test]
fn token_world_refuses_an_unknown_role() {
    let output = Command::new(BIN)
        .args(["token", "world", "--roles", "Owner", "--secret", S])
        .output()
        .expect("hearth-host token runs");
    assert!(
        !output.status.success(),
        "an unknown role must fail the command"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Owner"),
        "the error names the bad role: {stderr}"
    );
}

#[test]
fn a_short_secret_is_refused_with_a_sentence() {
    for args in [
        vec![
            "--secret",
            "dev",
            "--listen",
            "127.0.0.1:0",
            "--udp",
            "127.0.0.1:0",
        ],
        vec!["token", "world", "--secret", "dev"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_hearth-host"))
            .args(&args)
            .output()
            .expect("hearth-host runs");
        assert!(!out.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("at least 32"),
            "{args:?}: the refusal says why: {stderr}"
        );
    }
}
