//! A private coturn (Debian's `turnserver`) on loopback ports for the TURN tests: REST-API
//! credentials (`use-auth-secret`) with the test host's TURN secret, loopback peers allowed, and
//! its log kept so a test can check that allocations really went through it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// Relay ports each coturn may use (a range of its own per test process and instance).
const RELAY_PORTS: u16 = 40;

/// A running coturn, killed on drop.
pub struct Coturn {
    child: Child,
    /// `turn:127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
}

impl Coturn {
    /// Starts coturn with `secret`; `None` (test skipped) when `turnserver` is not installed and
    /// `HEARTH_REQUIRE_TURN` is not set.
    pub async fn start(secret: &[u8]) -> anyhow::Result<Option<Self>> {
        Self::start_on(secret, "127.0.0.1").await
    }

    /// Like [`Coturn::start`], listening and relaying on `ip`.
    pub async fn start_on(secret: &[u8], ip: &str) -> anyhow::Result<Option<Self>> {
        if std::process::Command::new("turnserver")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            if std::env::var_os("HEARTH_REQUIRE_TURN").is_some() {
                bail!("HEARTH_REQUIRE_TURN is set but turnserver is missing (scripts/deps.sh)");
            }
            eprintln!("skipped: turnserver (coturn) is not installed");
            return Ok(None);
        }
        let port = free_udp_port()?;
        let relay_min = free_udp_port()?.clamp(20_000, 60_000);
        let dir = std::env::temp_dir().join(format!("hearth-coturn-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let log = dir.join("turn.log");
        let secret = std::str::from_utf8(secret).context("the TURN secret is text")?;
        let child = Command::new("turnserver")
            .args([
                "-n",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--allow-loopback-peers",
            ])
            .args(["--realm=hearth"])
            .arg(format!("--listening-ip={ip}"))
            .arg(format!("--relay-ip={ip}"))
            .arg(format!("--listening-port={port}"))
            .arg(format!("--min-port={relay_min}"))
            .arg(format!("--max-port={}", relay_min + RELAY_PORTS))
            .arg("--use-auth-secret")
            .arg(format!("--static-auth-secret={secret}"))
            .arg(format!("--log-file={}", log.display()))
            .args(["--simple-log", "--verbose"])
            .arg(format!("--pidfile={}", dir.join("turn.pid").display()))
            .arg(format!("--db={}", dir.join("turn.db").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting turnserver")?;
        let coturn = Self {
            child,
            url: format!("turn:{ip}:{port}"),
            log,
        };
        // Listening once its log says the relay and the listeners are up.
        for _ in 0..50 {
            if coturn.log().contains("Total General servers") {
                return Ok(Some(coturn));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("turnserver did not start: {}", coturn.log())
    }

    /// Everything coturn logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Relayed allocations coturn granted so far (its log's successful `ALLOCATE`s).
    pub fn allocations(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("ALLOCATE processed, success"))
            .count()
    }

    /// Stops it now.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_udp_port() -> anyhow::Result<u16> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    Ok(socket.local_addr()?.port())
}
