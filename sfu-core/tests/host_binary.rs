//! The `hearth-host` binary as an operator meets it: the listening line, health, metrics, token
//! minting, JSON logs and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sfu_core::auth::SfuTokenVerifier;
use sfu_core::ids::ChannelId;

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
            "bin-test",
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
            "s",
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
    let grant = SfuTokenVerifier::new(b"s", "hearth")
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
