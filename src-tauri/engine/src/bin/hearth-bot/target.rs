//! The SFU under load: one the run starts itself (`hearth-host` next to this binary) or one
//! given by URL, and the CPU time of a process read from `/proc`.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngCore;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long a spawned host may take to print its `listening` line.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the SFU under test is and how to get in.
#[derive(Clone)]
pub struct Sfu {
    /// `ws://HOST:PORT/signal`.
    pub signal_url: String,
    /// `HOST:PORT` of the HTTP listener (`/metrics`).
    pub http_addr: String,
    /// Token secret.
    pub secret: Vec<u8>,
    /// Token issuer.
    pub issuer: String,
    /// The host process, when known: its CPU time is read from `/proc/PID/stat`.
    pub pid: Option<u32>,
    /// The world the host serves, when known (a spawned host prints it).
    pub world_id: Option<String>,
    /// The workspace of that world, which world tokens must name (a spawned host prints it).
    pub workspace_id: Option<String>,
}

impl Sfu {
    /// A one-hour token for `user` in `channel` with a member's permissions.
    pub fn member_token(&self, user: i64, channel: i64) -> anyhow::Result<String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("reading the clock")?
            .as_secs();
        let request = sfu_core::auth::SfuTokenRequest {
            user: sfu_core::ids::UserId(user),
            channel: sfu_core::ids::ChannelId(channel),
            perms: sfu_core::perms::Permissions::MOVED_GRANT,
            moved: false,
            ttl_secs: 3600,
        };
        let now = i64::try_from(now).context("the clock is past 2262")?;
        Ok(sfu_core::auth::mint_sfu_token(
            &self.secret,
            &self.issuer,
            &request,
            now,
        ))
    }

    /// An SFU someone else started, at `signal_url` (`ws://HOST:PORT/signal`).
    pub fn external(
        signal_url: String,
        secret: String,
        issuer: String,
        pid: Option<u32>,
    ) -> anyhow::Result<Self> {
        let http_addr = signal_url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .filter(|authority| !authority.is_empty())
            .with_context(|| format!("expected ws://HOST:PORT/signal, got {signal_url:?}"))?
            .to_owned();
        Ok(Self {
            signal_url,
            http_addr,
            secret: secret.into_bytes(),
            issuer,
            pid,
            world_id: None,
            workspace_id: None,
        })
    }
}

/// A `hearth-host` this run started on 127.0.0.1 with a random secret. Killed when dropped (also
/// on an error path), or by [`SpawnedHost::stop`].
pub struct SpawnedHost {
    child: Child,
    /// Kept open so the host never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl SpawnedHost {
    /// Starts `hearth-host` from the directory of this executable and waits for it to listen.
    pub async fn start() -> anyhow::Result<(Self, Sfu)> {
        Self::start_with(&[]).await
    }

    /// [`SpawnedHost::start`] with extra `hearth-host` arguments (e.g. `--world FILE`).
    pub async fn start_with(extra_args: &[&std::ffi::OsStr]) -> anyhow::Result<(Self, Sfu)> {
        let exe = std::env::current_exe()
            .context("locating hearth-bot")?
            .with_file_name("hearth-host");
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let issuer = "hearth".to_owned();
        let mut child = Command::new(&exe)
            .args(["--listen", "127.0.0.1:0", "--udp", "127.0.0.1:0"])
            .args(extra_args)
            .env("HEARTH_SECRET", &secret)
            .env("HEARTH_ISSUER", &issuer)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let pid = child.id().context("the host exited at once")?;
        let stdout = child.stdout.take().context("the host's stdout")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        tokio::time::timeout(START_TIMEOUT, stdout.read_line(&mut line))
            .await
            .context("the host did not say it was listening")?
            .context("reading the host's stdout")?;
        let listening: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("host said {line:?}"))?;
        let Some(http) = listening.get("http").and_then(|v| v.as_str()) else {
            bail!("no http address in the host's listening line {line:?}");
        };
        let sfu = Sfu {
            signal_url: format!("ws://{http}/signal"),
            http_addr: http.to_owned(),
            secret: secret.into_bytes(),
            issuer,
            pid: Some(pid),
            world_id: listening
                .get("world_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            workspace_id: listening
                .get("workspace_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        };
        Ok((
            Self {
                child,
                _stdout: stdout,
            },
            sfu,
        ))
    }

    /// Kills the host and reaps it.
    pub async fn stop(mut self) {
        if let Err(e) = self.child.kill().await {
            tracing::warn!(error = %e, "cannot kill the spawned hearth-host");
        }
    }
}

/// Clock ticks per second of `/proc` CPU times: `getconf CLK_TCK`, or 100 (Linux's usual value)
/// when that cannot be run.
pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// User plus system CPU time of a process so far, in clock ticks (`pid` `None`: this process).
pub fn cpu_ticks(pid: Option<u32>) -> anyhow::Result<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_cpu_ticks(&stat).with_context(|| format!("unexpected {path}: {stat:?}"))
}

/// `utime + stime` (fields 14 and 15) from a `/proc/PID/stat` line. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted from the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_from_a_stat_line_with_an_awkward_name() {
        let stat = "4242 (hearth host) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 37 0 0 20 0 \
                    9 0 123456 1000000 500 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(287), "utime 250 + stime 37");
        assert_eq!(parse_cpu_ticks("42 (x) S 1"), None, "truncated line");
    }

    #[test]
    fn this_process_has_a_cpu_time() {
        assert!(cpu_ticks(None).is_ok(), "/proc/self/stat must be readable");
        assert!(clock_ticks_per_second() > 0.0);
    }

    #[test]
    fn the_metrics_address_comes_from_the_signal_url() {
        let sfu = Sfu::external(
            "ws://127.0.0.1:7800/signal".to_owned(),
            "s".to_owned(),
            "hearth".to_owned(),
            None,
        )
        .expect("a valid URL");
        assert_eq!(sfu.http_addr, "127.0.0.1:7800");
        let refused = Sfu::external("http://x/".to_owned(), "s".to_owned(), "i".into(), None);
        assert!(refused.is_err(), "only ws:// URLs");
    }
}
