//! Real audio devices through cpal (`hearth_engine::audio::device`), on a machine without a sound
//! card.
//!
//! Each scenario runs in a child process (this test binary again, running only the ignored
//! [`scenario_child`]) whose environment points ALSA at a private `~/.asoundrc` and PulseAudio
//! clients at a private daemon in a scratch directory: ALSA reads its configuration once per
//! process, cpal's hosts find their server from the environment, and tests of this binary run in
//! parallel threads, so this cannot be set up in-process. There:
//!
//! - ALSA's `default` is a card that does not exist, so opening `alsa:default` fails on any
//!   machine;
//! - a private PulseAudio daemon (started by the child with its own runtime directory and
//!   autospawn off, killed by pid) is the real-time paced sound server, reached through cpal's
//!   native PulseAudio host: its null sink `pulseaudio:hearth` plays, and the monitor of a
//!   second null sink, `pulseaudio:hearth_tone.monitor`, captures the 440 Hz sine the daemon
//!   plays into that sink; `parec` records what reaches `hearth`.
//!
//! Scenarios that need PulseAudio (from `scripts/deps.sh`) are skipped when it is missing,
//! unless `HEARTH_REQUIRE_AUDIO` is set, which makes that a failure.

mod call;
mod echo;
mod rig;
mod scenarios;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use hearth_e2e::{Bot, tone_power};
use hearth_engine::audio::device::{
    DeviceCounters, DeviceError, DeviceInput, DeviceList, DeviceOutput, DeviceStatus,
    StreamPreference, list_devices,
};
use hearth_engine::audio::{AudioSink, AudioSource, SineSource, TalkMode, analysis};
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use hearth_engine::voice::{VoiceConfig, VoiceEngine};
use sfu_core::ids::ChannelId;

use call::call_scenario;
use echo::echo_scenario;
use rig::{Pulse, Recorder, Scratch};
use scenarios::{capture_scenario, list_scenario, loss_scenario, playback_scenario};

/// Tells the child which scenario to run.
const SCENARIO_ENV: &str = "HEARTH_DEVICE_SCENARIO";
/// The child's scratch directory.
const SCRATCH_ENV: &str = "HEARTH_DEVICE_SCRATCH";
/// Printed by a child that ran its scenario to the end.
const DONE: &str = "HEARTH DEVICE SCENARIO DONE";
/// A child taking longer than this is killed and the test fails.
const CHILD_TIMEOUT: Duration = Duration::from_secs(25);
const TONE_HZ: f32 = 440.0;
/// The daemon's null sink.
const SINK: &str = "pulseaudio:hearth";
/// The monitor of the daemon's second null sink, into which it plays a [`TONE_HZ`] sine.
const TONE_SOURCE: &str = "pulseaudio:hearth_tone.monitor";
/// Goertzel power that counts as hearing the 0.3-amplitude tone (which gives about 0.09).
const HEARD: f64 = 0.01;
const FRAME: usize = 960;
/// The device format the tests open: not the engine's (nor the server's), so resampling and
/// channel mixing are exercised against the real device path.
const DEVICE_RATE: u32 = 44_100;
const DEVICE_FORMAT: StreamPreference = StreamPreference {
    sample_rate: Some(DEVICE_RATE),
    channels: Some(2),
};

#[test]
fn device_list_works_and_a_missing_default_is_a_clear_error() -> anyhow::Result<()> {
    run_scenario("list", false)
}

#[test]
fn capture_delivers_the_tone_in_real_time() -> anyhow::Result<()> {
    run_scenario("capture", true)
}

#[test]
fn playback_reaches_the_device_in_real_time() -> anyhow::Result<()> {
    run_scenario("playback", true)
}

#[test]
fn a_lost_device_is_reported_and_reopened_when_it_returns() -> anyhow::Result<()> {
    run_scenario("loss", true)
}

#[test]
fn a_call_survives_losing_its_devices() -> anyhow::Result<()> {
    run_scenario("call", true)
}

#[test]
fn echo_cancellation_takes_the_speakers_out_of_the_microphone() -> anyhow::Result<()> {
    run_scenario("echo", true)
}

/// A voice engine on real devices (`input`, `output`), talking openly with `processing`,
/// joined to `channel` of `host`'s SFU as `user`.
async fn join_on_devices(
    host: &sfu_core::host::RunningHost,
    user: i64,
    channel: i64,
    input: Box<dyn AudioSource>,
    output: Box<dyn AudioSink>,
    processing: hearth_engine::audio::processing::ProcessingConfig,
) -> anyhow::Result<(
    VoiceEngine,
    SfuClient,
    tokio::sync::mpsc::Receiver<hearth_engine::events::EngineEvent>,
)> {
    let mut config = VoiceConfig::new(input, output);
    config.talk_mode = TalkMode::Open;
    config.processing = processing;
    let (engine, _voice_events) = VoiceEngine::start(config)?;
    let (client, events) = SfuClient::connect(SfuClientConfig {
        url: hearth_e2e::signal_url(host),
        channel: ChannelId(channel),
        token: hearth_e2e::token(user, channel, hearth_e2e::MEMBER),
        uplink: Uplink::Engine(engine.clone()),
        downlink: Downlink::Engine(engine.clone()),
        bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        tap: None,
    })
    .await
    .context("joining with the device engine")?;
    Ok((engine, client, events))
}

/// Runs one scenario in a child process with a private ALSA/PulseAudio setup.
fn run_scenario(scenario: &str, needs_pulse: bool) -> anyhow::Result<()> {
    if needs_pulse && let Err(missing) = pulse_available() {
        if std::env::var_os("HEARTH_REQUIRE_AUDIO").is_some() {
            bail!("{missing}; scripts/deps.sh installs it (HEARTH_REQUIRE_AUDIO is set)");
        }
        println!(
            "SKIPPED device scenario {scenario}: {missing} (set HEARTH_REQUIRE_AUDIO=1 to fail)"
        );
        return Ok(());
    }
    let scratch = Scratch::new(scenario)?;
    scratch.write_config()?;
    let exe = std::env::current_exe().context("finding the test binary")?;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "devices::scenario_child",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(SCENARIO_ENV, scenario)
        .env(SCRATCH_ENV, &scratch.path)
        .env("HOME", &scratch.path)
        .env_remove("XDG_CONFIG_HOME")
        .env("XDG_RUNTIME_DIR", scratch.path.join("run"))
        .env(
            "PULSE_SERVER",
            format!("unix:{}", scratch.socket().display()),
        )
        .env("PULSE_CLIENTCONFIG", scratch.path.join("client.conf"))
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(std::fs::File::create(scratch.path.join("child.out"))?)
        .stderr(std::fs::File::create(scratch.path.join("child.err"))?)
        .spawn()
        .context("starting the scenario child")?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |name: &str| std::fs::read_to_string(scratch.path.join(name)).unwrap_or_default();
    let (out, err) = (read("child.out"), read("child.err"));
    println!("--- child {scenario} stdout\n{out}\n--- child {scenario} stderr\n{err}");
    let Some(status) = status else {
        bail!("device scenario {scenario} did not finish within {CHILD_TIMEOUT:?}");
    };
    ensure!(
        status.success(),
        "device scenario {scenario} failed ({status}); see its output above"
    );
    ensure!(
        out.contains(DONE),
        "device scenario {scenario} did not run (no {DONE:?} in its output)"
    );
    println!(
        "device scenario {scenario} passed in {:?}",
        started.elapsed()
    );
    Ok(())
}

/// Why PulseAudio cannot be used here, if it cannot.
fn pulse_available() -> Result<(), String> {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
    };
    if !on_path("pulseaudio") {
        return Err("the pulseaudio daemon is not installed".to_owned());
    }
    for tool in ["parec", "pactl"] {
        if !on_path(tool) {
            return Err(format!("{tool} (pulseaudio-utils) is not installed"));
        }
    }
    Ok(())
}

/// The child side: runs the scenario named in [`SCENARIO_ENV`]. Ignored, so it only runs when
/// [`run_scenario`] asks for it.
#[test]
#[ignore = "run by the device scenarios in a child process with a private ALSA config"]
fn scenario_child() -> anyhow::Result<()> {
    let (Some(scenario), Some(scratch)) = (
        std::env::var_os(SCENARIO_ENV),
        std::env::var_os(SCRATCH_ENV),
    ) else {
        println!("scenario_child only runs under the device tests");
        return Ok(());
    };
    let scratch = PathBuf::from(scratch);
    match scenario.to_str() {
        Some("list") => list_scenario(&scratch)?,
        Some("capture") => capture_scenario(&scratch)?,
        Some("playback") => playback_scenario(&scratch)?,
        Some("loss") => loss_scenario(&scratch)?,
        Some("call") => call_scenario(&scratch)?,
        Some("echo") => echo_scenario(&scratch)?,
        other => bail!("unknown device scenario {other:?}"),
    }
    println!("{DONE}");
    Ok(())
}
