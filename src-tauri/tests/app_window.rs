//! The real desktop app under Xvfb: `hearth --host` starts, hosts a LAN room with the demo world
//! and joins it; a `hearth-bot` joins with the invite the window shows and talks; the window
//! draws the bot's avatar with its speaking ring (checked in the UI's state and by counting the
//! ring's green in screenshots before and after), and the app's recorded output holds the bot's
//! tone. The window is driven over WebDriver (Debian's `WebKitWebDriver`, what `tauri-driver`
//! wraps on Linux), so the page, its IPC and its canvas are the real ones.
//!
//! Needs `Xvfb`, `xvfb-run` and `WebKitWebDriver` (scripts/deps.sh installs them); skipped
//! without them unless `HEARTH_REQUIRE_DESKTOP=1` (CI).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use hearth_engine::audio::analysis::goertzel_power;
use hearth_engine::http;
use serde_json::{Value, json};

const BOT_TONE_HZ: f32 = 440.0;

/// A process group that is killed when dropped (xvfb-run, Xvfb, the driver, the app; the bot).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        // `--`: procps kill otherwise reads a negative process-group id as an option.
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        let _ = self.0.wait();
    }
}

fn spawn_group(command: &mut Command) -> anyhow::Result<Group> {
    Ok(Group(command.process_group(0).spawn()?))
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An Xvfb display with `WebKitWebDriver` on `port`, the app's config under `work`.
fn start_display(port: u16, work: &Path) -> anyhow::Result<Group> {
    spawn_group(
        Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x800x24", "WebKitWebDriver"])
            .arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("XDG_CONFIG_HOME", work)
            .stdout(Stdio::null()),
    )
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir
}

/// A WebDriver session with the app.
struct Driver {
    addr: String,
    session: String,
}

impl Driver {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let body = body.map(|b| b.to_string());
        let response = http::request(&self.addr, method, path, body.as_deref()).await?;
        let value: Value = serde_json::from_str(&response.body)
            .with_context(|| format!("WebDriver {path}: {}", response.body))?;
        if response.status != 200 {
            bail!(
                "WebDriver {method} {path} answered {}: {value}",
                response.status
            );
        }
        Ok(value["value"].clone())
    }

    async fn start(addr: String, app: &Path, args: &[String]) -> anyhow::Result<Self> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while http::request(&addr, "GET", "/status", None).await.is_err() {
            if Instant::now() > deadline {
                bail!("WebKitWebDriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut driver = Self {
            addr,
            session: String::new(),
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": app, "args": args}
        }}});
        let created = driver.call("POST", "/session", Some(caps)).await?;
        driver.session = created["sessionId"]
            .as_str()
            .context("no session id")?
            .to_owned();
        Ok(driver)
    }

    /// The UI's state (`window.__hearth.state`), or Null before the page is up.
    async fn ui_state(&self) -> anyhow::Result<Value> {
        let script = json!({"script": "return window.__hearth ? JSON.stringify(window.__hearth.state) : null", "args": []});
        let value = self
            .call(
                "POST",
                &format!("/session/{}/execute/sync", self.session),
                Some(script),
            )
            .await?;
        Ok(value.as_str().map_or(Value::Null, |s| {
            serde_json::from_str(s).unwrap_or(Value::Null)
        }))
    }

    /// Polls the UI's state until `check` finds what it wants.
    async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> Option<T>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.ui_state().await?;
            if let Some(found) = check(&state) {
                return Ok(found);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}; the UI state: {state}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Calls one of the app's commands from the page, through the real IPC.
    async fn invoke(&self, command: &str, args: Value) -> anyhow::Result<Value> {
        let script = json!({"script": format!(
            "const done = arguments[arguments.length - 1]; \
             window.__TAURI_INTERNALS__.invoke('{command}', {args}).then(() => done('ok'), e => done('error: ' + e));"
        ), "args": []});
        self.call(
            "POST",
            &format!("/session/{}/execute/async", self.session),
            Some(script),
        )
        .await
    }

    async fn screenshot(&self, name: &str) -> anyhow::Result<Vec<u8>> {
        let data = self
            .call(
                "GET",
                &format!("/session/{}/screenshot", self.session),
                None,
            )
            .await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().context("no screenshot")?)?;
        std::fs::write(artifacts().join(name), &png)?;
        Ok(png)
    }

    async fn quit(&self) {
        let _ = self
            .call("DELETE", &format!("/session/{}", self.session), None)
            .await;
    }
}

/// Pixels of the speaking ring's green (`rgb(59, 214, 113)` blended over the map).
fn ring_green_pixels(png_bytes: &[u8]) -> anyhow::Result<usize> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info()?;
    let mut buffer = vec![0; reader.output_buffer_size().context("png size")?];
    let info = reader.next_frame(&mut buffer)?;
    let channels = info.color_type.samples();
    Ok(buffer[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            g > 140 && g - r > 70 && g - b > 40
        })
        .count())
}

fn peer_named<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["peers"]
        .as_array()?
        .iter()
        .find(|p| p["displayName"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_hosts_a_lan_room_and_shows_and_hears_a_bot() -> anyhow::Result<()> {
    let required = std::env::var_os("HEARTH_REQUIRE_DESKTOP").is_some();
    let missing: Vec<_> = ["xvfb-run", "Xvfb", "WebKitWebDriver"]
        .into_iter()
        .filter(|p| !has(p))
        .collect();
    if !missing.is_empty() {
        assert!(
            !required,
            "HEARTH_REQUIRE_DESKTOP is set but {missing:?} are missing (scripts/deps.sh)"
        );
        eprintln!("skipped: {missing:?} not installed");
        return Ok(());
    }
    let work = std::env::temp_dir().join(format!("hearth-app-window-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let record = work.join("record");

    let port = free_port();
    let _display = start_display(port, &work)?;
    let app_args: Vec<String> = vec![
        "--host".into(),
        "--host-port".into(),
        "0".into(),
        "--name".into(),
        "Ada".into(),
        // The app listens only: a recording instead of speakers, silence instead of a microphone.
        "--record".into(),
        record.display().to_string(),
        "--settings".into(),
        work.join("settings.json").display().to_string(),
    ];
    let started = Instant::now();
    let app = env!("CARGO_BIN_EXE_hearth");
    let driver = Driver::start(format!("127.0.0.1:{port}"), Path::new(app), &app_args).await?;
    let result = run_scenario(&driver, &record, started).await;
    driver.quit().await;
    result
}

async fn run_scenario(driver: &Driver, record: &Path, started: Instant) -> anyhow::Result<()> {
    let invite = driver
        .wait_for("the app to host and join", Duration::from_secs(30), |s| {
            (s["me"].is_object()
                && s["host"]["running"] == true
                && s["session"]["status"] == "connected")
                .then(|| s["host"]["info"]["inviteLink"].as_str().map(str::to_owned))
                .flatten()
        })
        .await?;
    println!(
        "app hosting and in its world {} ms after launch; invite {invite}",
        started.elapsed().as_millis()
    );
    // Step aside from the spawn point, where the bot will appear.
    assert_eq!(
        driver
            .invoke("walk_to", json!({"x": 25.5, "y": 20.5}))
            .await?,
        "ok"
    );
    driver
        .wait_for("the walk to end", Duration::from_secs(10), |s| {
            let me = &s["me"];
            ((me["x"].as_f64()? - 25.5).abs() < 0.1 && (me["y"].as_f64()? - 20.5).abs() < 0.1)
                .then_some(())
        })
        .await?;
    let quiet = driver.screenshot("app-window-alone.png").await?;

    let (addr, code) = invite
        .strip_prefix("hearth://")
        .and_then(|rest| rest.split_once("/join/"))
        .context("invite link shape")?;
    let _bot = spawn_group(
        Command::new(bot_exe()?)
            .args([
                "world",
                "--url",
                &format!("ws://{addr}/world"),
                "--invite",
                code,
                "--name",
                "Bot",
            ])
            .args(["--tone", &BOT_TONE_HZ.to_string(), "--duration", "60s"])
            .stdout(Stdio::null()),
    )?;
    let bot = driver
        .wait_for(
            "the bot's avatar speaking over P2P",
            Duration::from_secs(30),
            |s| {
                let bot = peer_named(s, "Bot")?;
                (bot["speaking"] == true && bot["connected"] == true).then(|| bot.clone())
            },
        )
        .await?;
    assert_eq!(
        bot["path"], "p2p",
        "near each other in the open area: {bot}"
    );
    let me = driver.ui_state().await?["me"].clone();
    assert_eq!(
        me["roles"],
        json!(["Admin"]),
        "the host's own user runs the room: {me}"
    );
    // The map draws on its next frame after the state changes: give it a few frames.
    let before = ring_green_pixels(&quiet)?;
    let deadline = Instant::now() + Duration::from_secs(3);
    let after = loop {
        let talking = driver.screenshot("app-window-bot-speaking.png").await?;
        let after = ring_green_pixels(&talking)?;
        if after > before + 100 || Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("speaking-ring green pixels: {before} alone, {after} with the bot talking");
    assert!(
        after > before + 100,
        "no speaking ring drawn: {before} -> {after} green pixels"
    );

    // Listen for a while, then leave through the app's own command so the recording is
    // finished, and check its last second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(driver.invoke("leave", json!({})).await?, "ok");
    let mix = record.join("mix.wav");
    let samples: Vec<i16> = hound::WavReader::open(&mix)
        .with_context(|| format!("reading {}", mix.display()))?
        .into_samples::<i16>()
        .collect::<Result<_, _>>()?;
    let last_second = &samples[samples.len().saturating_sub(48_000)..];
    let tone = goertzel_power(last_second, BOT_TONE_HZ);
    let other = goertzel_power(last_second, 1_000.0);
    println!(
        "app's recording: {} s; 440 Hz power {tone:.4}, 1 kHz {other:.6}",
        samples.len() / 48_000
    );
    assert!(
        tone > 0.01 && tone > 50.0 * other,
        "the app did not hear the bot's tone"
    );
    Ok(())
}

/// `hearth-bot`, built by `hearth-engine` into the same target directory as `hearth` (a package's
/// tests get only its own binaries; `cargo test --workspace` builds the engine's too).
fn bot_exe() -> anyhow::Result<PathBuf> {
    let bot = Path::new(env!("CARGO_BIN_EXE_hearth")).with_file_name("hearth-bot");
    if !bot.exists() {
        bail!(
            "{} is missing: build it first (cargo build -p hearth-engine --bin hearth-bot)",
            bot.display()
        );
    }
    Ok(bot)
}

/// The app as a user installs it: the `.deb` from Tauri's bundler (`scripts/package.sh app`,
/// passed in `HEARTH_APP_DEB`; skipped without it) unpacked into a throwaway root. Its desktop
/// entry registers the `hearth://` links and hands the clicked link to the app; the unpacked
/// app, started as the entry starts it, opens under Xvfb on the join screen with the link
/// filled in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_app_opens_a_clicked_invite_on_the_join_screen() -> anyhow::Result<()> {
    let Some(deb) = std::env::var_os("HEARTH_APP_DEB") else {
        eprintln!("skipped: HEARTH_APP_DEB names no .deb (scripts/test.sh builds and passes one)");
        return Ok(());
    };
    let missing: Vec<_> = ["xvfb-run", "Xvfb", "WebKitWebDriver", "dpkg-deb"]
        .into_iter()
        .filter(|p| !has(p))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "{missing:?} are missing (scripts/deps.sh)"
    );
    let work = std::env::temp_dir().join(format!("hearth-app-deb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let root = work.join("root");
    std::fs::create_dir_all(&root)?;
    let unpacked = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .status()?;
    anyhow::ensure!(unpacked.success(), "dpkg-deb -x {deb:?} failed");

    // The desktop entry: the link handler, and the link passed on.
    let entry = std::fs::read_to_string(root.join("usr/share/applications/Hearth.desktop"))
        .context("the package has no desktop entry")?;
    for line in [
        "MimeType=x-scheme-handler/hearth;",
        "Exec=hearth %u",
        "Icon=hearth",
    ] {
        anyhow::ensure!(entry.lines().any(|l| l == line), "no {line:?} in:\n{entry}");
    }
    anyhow::ensure!(
        root.join("usr/share/icons/hicolor/128x128/apps/hearth.png")
            .is_file(),
        "no icon"
    );
    let app = root.join("usr/bin/hearth");
    let version = Command::new(&app).arg("--version").output()?;
    let version = String::from_utf8_lossy(&version.stdout);
    anyhow::ensure!(version.starts_with("hearth "), "--version: {version}");

    let port = free_port();
    let _display = start_display(port, &work)?;
    // As the desktop entry runs it for a clicked link (`Exec=hearth %u`).
    let link = "hearth://192.168.1.20:7800/join/AbC123";
    let args = vec![
        link.to_owned(),
        "--settings".into(),
        work.join("settings.json").display().to_string(),
    ];
    let driver = Driver::start(format!("127.0.0.1:{port}"), &app, &args).await?;
    let result = async {
        driver
            .wait_for("the join screen", Duration::from_secs(30), |s| {
                (s["session"]["status"] == "idle").then_some(())
            })
            .await?;
        // The state says idle before the screen is drawn: wait for the field itself.
        let script = json!({"script": "const i = document.querySelector('input[name=server]'); return i ? i.value : null", "args": []});
        let deadline = Instant::now() + Duration::from_secs(10);
        let filled = loop {
            let value = driver
                .call(
                    "POST",
                    &format!("/session/{}/execute/sync", driver.session),
                    Some(script.clone()),
                )
                .await?;
            if !value.is_null() || Instant::now() > deadline {
                break value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        println!("installed {version:?}: the join screen's server field holds {filled}");
        anyhow::ensure!(filled == link, "the join screen shows {filled}, not the link");
        driver.screenshot("app-installed-join.png").await?;
        anyhow::Ok(())
    }
    .await;
    driver.quit().await;
    let _ = std::fs::remove_dir_all(&work);
    result
}
