//! A real browser on `/signal`: headless Chromium with its fake microphone playing an 880 Hz WAV
//! joins through `tests/web/signal_test.html`, hears a bot's 440 Hz tone, and the bot hears it.
//! A second bot joining later reaches the browser through a renegotiation offer.
//!
//! The page is driven and read through the DevTools protocol over the browser's WebSocket. The
//! test is skipped when `/usr/bin/chromium` is missing, unless `HEARTH_REQUIRE_BROWSER` is set.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use hearth_e2e::{Bot, MEMBER, host, signal_url, token, wait_hearing};
use hearth_engine::audio::{AudioSink, AudioSource, SineSource, WavSink};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
const PAGE: &str = include_str!("../web/signal_test.html");
const CHANNEL: i64 = 4242;
/// Joins before the browser, so the browser's first offer carries its track.
const EARLY_BOT: i64 = 1;
const BROWSER_USER: i64 = 2;
/// Joins after the browser hears the early bot, so the browser must renegotiate.
const LATE_BOT: i64 = 3;
const BOT_HZ: f32 = 440.0;
const BROWSER_HZ: f32 = 880.0;
/// How long the browser has to start, join, negotiate and hear the bot.
const BROWSER_WAIT: Duration = Duration::from_secs(30);
/// Goertzel power the page must report (a 0.3 amplitude tone gives about 0.09).
const HEARD_POWER: f64 = 0.01;
/// Consecutive polls above [`HEARD_POWER`] that count as hearing a steady tone, not a blip.
const HEARD_POLLS: usize = 4;

#[tokio::test]
async fn chromium_and_bots_hear_each_other() -> anyhow::Result<()> {
    if !Path::new(CHROMIUM).exists() && std::env::var_os("HEARTH_REQUIRE_BROWSER").is_none() {
        println!(
            "SKIPPED chromium_and_bots_hear_each_other: {CHROMIUM} not found \
             (set HEARTH_REQUIRE_BROWSER=1 to make this a failure)"
        );
        return Ok(());
    }
    let started = Instant::now();
    let host = host().await.context("starting the host")?;
    let page_addr = serve_page().await?;
    let scratch = Scratch::new()?;
    let wav = scratch.path.join("tone-880.wav");
    write_tone(&wav, BROWSER_HZ, Duration::from_secs(30))?;

    let mut early = Bot::join(&host, EARLY_BOT, CHANNEL, MEMBER, Some(BOT_HZ)).await?;

    let url = format!(
        "http://{page_addr}/?ws={}&channel={CHANNEL}&token={}&listen_hz={BOT_HZ}",
        signal_url(&host),
        token(BROWSER_USER, CHANNEL, MEMBER),
    );
    let mut browser = Browser::launch(&scratch.path, &wav, &url).await?;
    let mut page = browser.attach_page().await?;
    println!("chromium is up and attached after {:?}", started.elapsed());

    let mut late = None;
    let outcome = async {
        // The browser's first offer already carries the early bot's track; the bot renegotiates.
        wait_browser_hears(&mut page, EARLY_BOT).await?;
        println!(
            "browser hears user {EARLY_BOT} after {:?}",
            started.elapsed()
        );
        wait_hearing(&early, BROWSER_USER, BROWSER_HZ, 1.0)
            .await
            .context("the early bot must hear the browser's fake microphone")?;
        println!(
            "user {EARLY_BOT} hears the browser after {:?}",
            started.elapsed()
        );

        // A later joiner reaches the browser through a renegotiation offer.
        let bot = late.insert(Bot::join(&host, LATE_BOT, CHANNEL, MEMBER, Some(BOT_HZ)).await?);
        wait_browser_hears(&mut page, LATE_BOT).await?;
        println!(
            "browser hears user {LATE_BOT} after {:?}",
            started.elapsed()
        );
        wait_hearing(bot, BROWSER_USER, BROWSER_HZ, 1.0)
            .await
            .context("the late bot must hear the browser's fake microphone")?;
        println!(
            "user {LATE_BOT} hears the browser after {:?}",
            started.elapsed()
        );

        // Still both ways after the renegotiation, seconds later (a fading tone shows up here).
        wait_browser_hears(&mut page, EARLY_BOT).await?;
        wait_hearing(&early, BROWSER_USER, BROWSER_HZ, 1.0)
            .await
            .context("the early bot must still hear the browser after the renegotiation")?;
        anyhow::Ok(())
    }
    .await;

    if let Err(e) = page.screenshot(&artifact_path("browser-signal.png")).await {
        println!("could not save the screenshot: {e:#}");
    }
    if outcome.is_err() {
        report_failure(&mut page, &browser).await;
    }
    browser.close(page).await;
    early.leave().await;
    if let Some(bot) = late.as_mut() {
        bot.leave().await;
    }
    host.shutdown().await;
    outcome?;
    println!("browser test took {:?}", started.elapsed());
    Ok(())
}

/// Prints the page's log and Chromium's stderr, and saves the page state (with the SDPs).
async fn report_failure(page: &mut Page, browser: &Browser) {
    match page.state().await {
        Ok(state) => {
            let path = artifact_path("browser-signal-state.json");
            let saved = serde_json::to_string_pretty(&state)
                .map_err(anyhow::Error::from)
                .and_then(|text| {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    Ok(std::fs::write(&path, text)?)
                });
            match saved {
                Ok(()) => println!("page state (with SDPs) saved to {}", path.display()),
                Err(e) => println!("could not save the page state to {}: {e}", path.display()),
            }
            let log: Vec<&str> = state["log"]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            println!("page log:\n{}", log.join("\n"));
        }
        Err(e) => println!("could not read the page state: {e:#}"),
    }
    println!(
        "chromium stderr (tail, D-Bus and ALSA noise left out):\n{}",
        browser.stderr_tail()
    );
}

/// Polls `window.hearthTest` until the page hears `user`'s tone in [`HEARD_POLLS`] polls in a row.
async fn wait_browser_hears(page: &mut Page, user: i64) -> anyhow::Result<Value> {
    let deadline = Instant::now() + BROWSER_WAIT;
    let mut in_a_row = 0;
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = page.state().await?;
        if let Some(error) = last["error"].as_str() {
            bail!("the page failed: {error}; log: {}", last["log"]);
        }
        let power = last["power"][user.to_string()].as_f64().unwrap_or(0.0);
        in_a_row = if power > HEARD_POWER { in_a_row + 1 } else { 0 };
        if in_a_row >= HEARD_POLLS {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!(
        "the browser did not hear user {user} at {BOT_HZ} Hz within {BROWSER_WAIT:?}: joined {}, \
         ice {}, offers {}, tracks {}, power {}, rms {}",
        last["joined"],
        last["ice"],
        last["offers"],
        last["tracks"],
        last["power"],
        last["rms"]
    )
}

/// Serves the test page on an ephemeral loopback port until the test ends.
async fn serve_page() -> anyhow::Result<std::net::SocketAddr> {
    use axum::response::Html;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the page server")?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { Html(PAGE) }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// Writes `length` of a 0.3 amplitude sine at `hz` as a 48 kHz mono 16-bit WAV.
pub(crate) fn write_tone(path: &Path, hz: f32, length: Duration) -> anyhow::Result<()> {
    let mut sink = WavSink::create(path)?;
    let mut source = SineSource::new(hz, 0.3);
    let mut frame = [0i16; 960];
    for _ in 0..length.as_millis() / 20 {
        source.read(&mut frame);
        sink.write(&frame);
    }
    sink.finish().context("writing the tone WAV")
}

/// `target/test-artifacts/<name>` of the workspace (or of `CARGO_TARGET_DIR`).
pub(crate) fn artifact_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("test-artifacts").join(name)
}

/// A fresh temporary directory (the WAV and Chromium's profile), removed on drop.
pub(crate) struct Scratch {
    pub(crate) path: PathBuf,
}

impl Scratch {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("hearth-browser-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(path.join("profile"))
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A headless Chromium in its own process group, killed (with its helpers) on drop.
pub(crate) struct Browser {
    child: tokio::process::Child,
    cdp: Option<Socket>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl Browser {
    pub(crate) async fn launch(scratch: &Path, wav: &Path, url: &str) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                "--remote-debugging-port=0",
                "--window-size=1000,800",
            ])
            .arg(format!(
                "--user-data-dir={}",
                scratch.join("profile").display()
            ))
            .arg(format!(
                "--use-file-for-fake-audio-capture={}",
                wav.display()
            ))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .context("starting chromium")?;
        let stderr = child.stderr.take().context("chromium's stderr")?;
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (endpoint_tx, endpoint_rx) = tokio::sync::oneshot::channel();
        let keep = tail.clone();
        // Drains stderr for the whole run (a full pipe would stall Chromium), keeping a tail.
        tokio::spawn(async move {
            let mut endpoint_tx = Some(endpoint_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ")
                    && let Some(tx) = endpoint_tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
                if let Ok(mut tail) = keep.lock() {
                    if tail.len() == 200 {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        });
        let mut browser = Self {
            child,
            cdp: None,
            stderr: tail,
        };
        let endpoint = match tokio::time::timeout(Duration::from_secs(15), endpoint_rx).await {
            Ok(Ok(endpoint)) => endpoint,
            _ => bail!(
                "chromium printed no DevTools endpoint within 15 s; stderr:\n{}",
                browser.stderr_tail()
            ),
        };
        let (socket, _) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(endpoint.as_str()),
        )
        .await
        .context("connecting to DevTools timed out")?
        .with_context(|| format!("connecting to DevTools at {endpoint}"))?;
        browser.cdp = Some(socket);
        Ok(browser)
    }

    /// Attaches to the test page's target (flat session on the browser socket).
    pub(crate) async fn attach_page(&mut self) -> anyhow::Result<Page> {
        let mut socket = self.cdp.take().context("DevTools socket already in use")?;
        let mut page = Page {
            cdp: Cdp::default(),
            session: None,
            socket: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let target = loop {
            let targets = page
                .cdp
                .call(&mut socket, None, "Target.getTargets", json!({}))
                .await?;
            let found = targets["targetInfos"].as_array().and_then(|all| {
                all.iter()
                    .find(|t| {
                        t["type"] == "page"
                            && t["url"].as_str().is_some_and(|u| u.contains("listen_hz"))
                    })
                    .and_then(|t| t["targetId"].as_str().map(str::to_owned))
            });
            match found {
                Some(id) => break id,
                None if Instant::now() > deadline => {
                    bail!("no page target for the test page within 10 s: {targets}")
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let attached = page
            .cdp
            .call(
                &mut socket,
                None,
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await?;
        page.session = Some(
            attached["sessionId"]
                .as_str()
                .context("attachToTarget without a sessionId")?
                .to_owned(),
        );
        page.socket = Some(socket);
        Ok(page)
    }

    pub(crate) fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|t| {
                t.iter()
                    .filter(|line| !line.contains("dbus") && !line.starts_with("ALSA lib"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// Asks Chromium to quit, then makes sure its whole process group is gone.
    pub(crate) async fn close(mut self, mut page: Page) {
        if let Some(mut socket) = page.socket.take() {
            let _ = page
                .cdp
                .call(&mut socket, None, "Browser.close", json!({}))
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        // Drop kills whatever is left.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium's helpers (zygote, renderers, utility) share its process group.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
    }
}

/// The test page, attached through a flat DevTools session.
pub(crate) struct Page {
    cdp: Cdp,
    session: Option<String>,
    socket: Option<Socket>,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let socket = self.socket.as_mut().context("page detached")?;
        self.cdp
            .call(socket, self.session.as_deref(), method, params)
            .await
    }

    /// `window.hearthTest`, as JSON.
    pub(crate) async fn state(&mut self) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": "JSON.stringify(window.hearthTest || null)", "returnByValue": true}),
            )
            .await?;
        let text = result["result"]["value"]
            .as_str()
            .context("Runtime.evaluate returned no string")?;
        serde_json::from_str(text).context("parsing window.hearthTest")
    }

    /// Evaluates `expression` in the page, awaiting it when it is a promise.
    pub(crate) async fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("{expression} threw: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    pub(crate) async fn screenshot(&mut self, path: &Path) -> anyhow::Result<()> {
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().context("screenshot without data")?)
            .context("decoding the screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
        println!("screenshot saved to {}", path.display());
        Ok(())
    }
}

/// DevTools protocol requests: numbered commands, each waiting for its own reply.
#[derive(Default)]
struct Cdp {
    next_id: u64,
}

impl Cdp {
    /// Sends `method` (to `session`, or the browser) and waits up to 10 s for its result, skipping
    /// events and other replies.
    async fn call(
        &mut self,
        socket: &mut Socket,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            request["sessionId"] = json!(session);
        }
        socket
            .send(Message::Text(request.to_string().into()))
            .await
            .with_context(|| format!("sending {method}"))?;
        let reply = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(frame) = socket.next().await {
                let Message::Text(text) = frame? else {
                    continue;
                };
                let value: Value = serde_json::from_str(text.as_str())?;
                if value["id"] == id {
                    return Ok(value);
                }
            }
            bail!("DevTools socket closed")
        })
        .await
        .with_context(|| format!("{method} got no reply within 10 s"))??;
        if let Some(error) = reply.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(reply["result"].clone())
    }
}
