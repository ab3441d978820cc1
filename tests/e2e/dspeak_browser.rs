//! A real mediasoup-client on `/socket`: headless Chromium loads `tests/web/dspeak/` (the npm
//! package `mediasoup-client`, bundled by `tests/web/dspeak/build.sh`), joins a channel with a
//! signed SFU token, produces its fake microphone (an 880 Hz WAV) and consumes a `/signal` bot
//! playing 440 Hz in the same channel. Each must hear the other's tone. Like dspeak's own client
//! the page produces, closes and produces again on join, and mutes by closing its producer and
//! unmutes by producing again: the bot must hear it after each re-produce, the server must never
//! list a producer of the page before it produced, and the page's leave must close cleanly.
//!
//! Skipped when Chromium or npm is missing, unless `HEARTH_REQUIRE_BROWSER` is set.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hearth_e2e::{Bot, MEMBER, host, since, token, tone_power, wait_hearing};
use serde_json::Value;

use crate::browser::{Browser, CHROMIUM, Page, Scratch, artifact_path, write_tone};

const CHANNEL: i64 = 4343;
const BOT: i64 = 11;
const BROWSER_USER: i64 = 12;
const BOT_HZ: f32 = 440.0;
const BROWSER_HZ: f32 = 880.0;
const BROWSER_WAIT: Duration = Duration::from_secs(30);
const HEARD_POWER: f64 = 0.01;
const HEARD_POLLS: usize = 4;

fn page_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/web/dspeak"))
}

#[tokio::test]
async fn mediasoup_client_and_signal_bot_hear_each_other() -> anyhow::Result<()> {
    let required = std::env::var_os("HEARTH_REQUIRE_BROWSER").is_some();
    let npm = Command::new("npm").arg("--version").output().is_ok();
    if !required && (!Path::new(CHROMIUM).exists() || !npm) {
        println!(
            "SKIPPED mediasoup_client_and_signal_bot_hear_each_other: chromium or npm missing"
        );
        return Ok(());
    }
    let started = Instant::now();
    let built = tokio::task::spawn_blocking(|| Command::new(page_dir().join("build.sh")).status())
        .await?
        .context("running tests/web/dspeak/build.sh")?;
    if !built.success() {
        bail!("tests/web/dspeak/build.sh failed: {built}");
    }
    println!("test page bundle built after {:?}", started.elapsed());

    let host = host().await.context("starting the host")?;
    let page_addr = serve_page().await?;
    let scratch = Scratch::new()?;
    let wav = scratch.path.join("tone-880.wav");
    write_tone(&wav, BROWSER_HZ, Duration::from_secs(30))?;

    let mut bot = Bot::join(&host, BOT, CHANNEL, MEMBER, Some(BOT_HZ)).await?;
    let socket_url = format!(
        "ws://{}/socket?auth={}&channelId={CHANNEL}",
        host.http_addr,
        token(BROWSER_USER, CHANNEL, MEMBER)
    );
    let url = format!(
        "http://{page_addr}/?listen_hz={BOT_HZ}&ws={}",
        socket_url.replace('&', "%26").replace('?', "%3F")
    );
    let mut browser = Browser::launch(&scratch.path, &wav, &url).await?;
    let mut page = browser.attach_page().await?;
    println!("chromium is up after {:?}", started.elapsed());

    let outcome = async {
        wait_browser_hears(&mut page, BOT).await?;
        println!(
            "mediasoup-client hears the /signal bot after {:?}",
            started.elapsed()
        );
        wait_hearing(&bot, BROWSER_USER, BROWSER_HZ, 1.0)
            .await
            .context("the /signal bot must hear the mediasoup-client's fake microphone")?;
        println!(
            "the /signal bot hears mediasoup-client (after produce, close, produce) after {:?}",
            started.elapsed()
        );

        // Mute as dspeak does (close the producer), then unmute (produce again).
        page.eval("hearthTest.mute()").await?;
        wait_silent(&bot, BROWSER_USER, BROWSER_HZ)
            .await
            .context("after mute the /signal bot must stop hearing the browser")?;
        let from = bot.heard_len(BROWSER_USER);
        page.eval("hearthTest.unmute()").await?;
        wait_hearing_since(&bot, BROWSER_USER, BROWSER_HZ, from)
            .await
            .context("after unmute (a second re-produce) the /signal bot must hear it again")?;
        println!(
            "the /signal bot hears mediasoup-client again after unmute, at {:?}",
            started.elapsed()
        );

        let state = page.state().await?;
        assert_eq!(
            state["announcedBeforeProducing"],
            serde_json::json!([]),
            "the server listed a producer of this client that it never produced"
        );
        assert_eq!(
            state["errors"],
            serde_json::json!([]),
            "no request of the dspeak flow may be refused"
        );
        assert_eq!(
            state["produced"].as_array().map(Vec::len),
            Some(3),
            "produce, re-produce, and the unmute's produce each got a producer id"
        );

        page.eval("hearthTest.leave()").await?;
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut clean = Value::Null;
        while Instant::now() < deadline && clean.is_null() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            clean = page.state().await?["closedCleanly"].clone();
        }
        assert_eq!(
            clean,
            Value::Bool(true),
            "the browser must see a clean close after its own leave"
        );
        anyhow::Ok(())
    }
    .await;

    if outcome.is_err() {
        match page.state().await {
            Ok(state) => {
                let log: Vec<&str> = state["log"]
                    .as_array()
                    .map(|l| l.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                println!("page log:\n{}", log.join("\n"));
                println!("page errors: {}", state["errors"]);
            }
            Err(e) => println!("could not read the page state: {e:#}"),
        }
        println!("chromium stderr:\n{}", browser.stderr_tail());
        let _ = page.screenshot(&artifact_path("browser-dspeak.png")).await;
    }
    browser.close(page).await;
    bot.leave().await;
    host.shutdown().await;
    outcome?;
    println!("dspeak browser test took {:?}", started.elapsed());
    Ok(())
}

/// Waits until a second of what `bot` hears from `user` holds no tone at `hz` (or nothing
/// arrives for a second: a closed producer sends no packets).
async fn wait_silent(bot: &Bot, user: i64, hz: f32) -> anyhow::Result<()> {
    let deadline = Instant::now() + BROWSER_WAIT;
    while Instant::now() < deadline {
        let from = bot.heard_len(user);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if tone_power(&since(bot, user, from), hz) < HEARD_POWER {
            return Ok(());
        }
    }
    bail!("user {user}'s {hz} Hz tone went on for {BROWSER_WAIT:?}")
}

/// Waits until `bot` has heard a second of `user`'s tone at `hz` after sample `from`.
async fn wait_hearing_since(bot: &Bot, user: i64, hz: f32, from: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + BROWSER_WAIT;
    while Instant::now() < deadline {
        let heard = since(bot, user, from);
        if heard.len() >= 48_000 && tone_power(&heard[heard.len() - 48_000..], hz) > HEARD_POWER {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("user {user}'s {hz} Hz tone did not come back within {BROWSER_WAIT:?}")
}

/// Polls `window.hearthTest` until the page hears `user`'s tone in [`HEARD_POLLS`] polls in a row.
async fn wait_browser_hears(page: &mut Page, user: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + BROWSER_WAIT;
    let mut in_a_row = 0;
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = page.state().await?;
        if let Some(error) = last["error"].as_str() {
            bail!("the page failed: {error}");
        }
        let power = last["power"][user.to_string()].as_f64().unwrap_or(0.0);
        in_a_row = if power > HEARD_POWER { in_a_row + 1 } else { 0 };
        if in_a_row >= HEARD_POLLS {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!(
        "mediasoup-client did not hear user {user} within {BROWSER_WAIT:?}: joined {}, \
         producing {}, send {}, recv {}, consumers {}, power {}, rms {}",
        last["joined"],
        last["producing"],
        last["sendState"],
        last["recvState"],
        last["consumers"],
        last["power"],
        last["rms"]
    )
}

/// Serves `index.html` and the bundle on an ephemeral loopback port until the test ends.
async fn serve_page() -> anyhow::Result<std::net::SocketAddr> {
    use axum::response::{Html, IntoResponse};
    let index = std::fs::read_to_string(page_dir().join("index.html"))?;
    let bundle = std::fs::read_to_string(page_dir().join("dist/client.js"))
        .context("reading the bundle tests/web/dspeak/dist/client.js")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the page server")?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { Html(index) }))
        .route(
            "/client.js",
            axum::routing::get(move || async move {
                ([("content-type", "text/javascript")], bundle).into_response()
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
