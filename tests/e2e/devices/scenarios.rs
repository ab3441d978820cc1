//! The device scenarios outside a call: the list, capture, playback, and a lost device.

use super::*;

pub(super) fn list_scenario() -> anyhow::Result<()> {
    let list = list_devices().context("listing devices")?;
    println!(
        "devices: {}",
        serde_json::to_string_pretty(&serde_json::json!({
            "inputs": list.inputs.iter().map(|d| &d.name).collect::<Vec<_>>(),
            "outputs": list.outputs.iter().map(|d| &d.name).collect::<Vec<_>>(),
        }))?
    );
    for (what, devices) in [("inputs", &list.inputs), ("outputs", &list.outputs)] {
        let default: Vec<_> = devices.iter().filter(|d| d.is_default).collect();
        ensure!(
            default.len() == 1,
            "exactly one default among the {what}: {devices:?}"
        );
        ensure!(
            default[0].name == "alsa:default",
            "the default {what} device is alsa:default"
        );
        ensure!(
            devices.iter().any(|d| d.name == "alsa:hearth_tone"),
            "the test's own PCMs are listed among the {what}: {devices:?}"
        );
    }
    let input = DeviceInput::open(Some("alsa:default"));
    match input {
        Err(DeviceError::Unavailable { device, reason }) => {
            println!("input alsa:default: unavailable: {reason}");
            ensure!(
                device == "alsa:default",
                "the error names the device, got {device}"
            );
            ensure!(!reason.is_empty(), "the error says why");
        }
        Err(other) => bail!("opening alsa:default for input must be Unavailable, got {other:?}"),
        Ok(_) => bail!("alsa:default points at a missing card and must not open for input"),
    }
    let output = DeviceOutput::open(None);
    ensure!(
        matches!(output, Err(DeviceError::Unavailable { ref device, .. }) if device == "alsa:default"),
        "opening the default output must be Unavailable naming alsa:default, got {:?}",
        output.as_ref().err()
    );
    ensure!(
        matches!(
            DeviceInput::open(Some("no-such-device")),
            Err(DeviceError::NotFound { .. })
        ),
        "an unknown name is NotFound"
    );
    Ok(())
}

pub(super) fn capture_scenario(scratch: &Path) -> anyhow::Result<()> {
    let _pulse = Pulse::start(scratch)?;
    let mut input = DeviceInput::open_with(Some("alsa:hearth_tone"), DEVICE_FORMAT)
        .context("opening the tone capture device")?;
    ensure!(input.paced(), "a device input is a paced source");
    // The PulseAudio plugin can take well over a second to deliver its first period.
    let (_, startup) = read_until_audio(&mut input, Duration::from_secs(4));
    println!("first audio after {startup:?}");
    let captured = read_for(&mut input, Duration::from_millis(1_500));
    let elapsed_ms = captured.1.as_millis();
    let samples = captured.0;
    println!(
        "captured {} samples in {elapsed_ms} ms: {:?}",
        samples.len(),
        input.counters()
    );
    let steady = &samples[samples.len() / 2..];
    let power = analysis::goertzel_power(steady, TONE_HZ);
    let off = analysis::goertzel_power(steady, 1_000.0);
    ensure!(
        power > HEARD,
        "the captured audio must carry the 440 Hz tone: power {power}"
    );
    ensure!(
        off < power / 20.0,
        "and only that tone: 1 kHz has {off}, 440 Hz {power}"
    );
    ensure!(
        (1_400..=1_800).contains(&elapsed_ms),
        "reading 1.5 s of audio must take 1.5 s on a paced device, took {elapsed_ms} ms"
    );
    ensure!(
        input.status() == DeviceStatus::Running,
        "status {:?}",
        input.status()
    );
    Ok(())
}

pub(super) fn playback_scenario(scratch: &Path) -> anyhow::Result<()> {
    let _pulse = Pulse::start(scratch)?;
    let mut output = DeviceOutput::open_with(Some("alsa:hearth_record"), DEVICE_FORMAT)
        .context("opening the recording playback device")?;
    write_for(&mut output, Duration::from_millis(1_500));
    let counters = output.counters();
    println!("played: {counters:?}");
    drop(output);
    let bytes = std::fs::read(scratch.join("played.raw")).context("reading what was played")?;
    // f32 stereo at DEVICE_RATE; both channels must carry the tone.
    let frames: Vec<[f32; 2]> = bytes
        .chunks_exact(8)
        .map(|b| {
            let l = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let r = f32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            [l, r]
        })
        .collect();
    println!("the device recorded {} frames", frames.len());
    let rate = DEVICE_RATE as usize;
    ensure!(
        frames.len() >= rate,
        "about 1.5 s at {rate} Hz must have been played, got {} frames",
        frames.len()
    );
    ensure!(
        frames.len() <= rate * 3,
        "a paced device plays in real time, but got {} frames for 1.5 s",
        frames.len()
    );
    ensure!(
        frames.iter().all(|[l, r]| l == r),
        "mono is played on both channels"
    );
    let played: Vec<i16> = frames.iter().map(|[l, _]| (l * 32_767.0) as i16).collect();
    // The analysis helpers assume 48 kHz: at DEVICE_RATE the tone shows up scaled.
    let shown_at = TONE_HZ * 48_000.0 / DEVICE_RATE as f32;
    let power = analysis::goertzel_power(&played, shown_at);
    ensure!(
        power > HEARD / 4.0,
        "the device must have played the 440 Hz tone: power {power}"
    );
    ensure!(counters.frames > 0, "the callback must have run");
    Ok(())
}

pub(super) fn loss_scenario(scratch: &Path) -> anyhow::Result<()> {
    let mut pulse = Pulse::start(scratch)?;
    let mut input = DeviceInput::open_with(Some("alsa:hearth_tone"), DEVICE_FORMAT)
        .context("opening capture")?;
    let mut output = DeviceOutput::open(Some("alsa:hearth_out")).context("opening playback")?;
    let (_, startup) = read_until_audio(&mut input, Duration::from_secs(4));
    println!("first audio after {startup:?}");
    let (before, _) = read_for(&mut input, Duration::from_millis(1_000));
    ensure!(
        analysis::goertzel_power(&before[before.len() / 2..], TONE_HZ) > HEARD,
        "the tone must be heard before the device is lost"
    );

    pulse.kill();
    let lost_at = Instant::now();
    let mut tone = SineSource::new(TONE_HZ, 0.3);
    let mut frame = vec![0i16; FRAME];
    let mut seen_lost = (false, false);
    while lost_at.elapsed() < Duration::from_secs(5) && !(seen_lost.0 && seen_lost.1) {
        input.read(&mut frame);
        tone.read(&mut frame);
        output.write(&frame);
        seen_lost.0 |= input.status() != DeviceStatus::Running;
        seen_lost.1 |= output.status() != DeviceStatus::Running;
    }
    println!(
        "after killing the daemon ({:?}): input {:?}, output {:?}",
        lost_at.elapsed(),
        input.status(),
        output.status()
    );
    ensure!(
        seen_lost.0,
        "losing the daemon must be reported by the input"
    );
    ensure!(
        seen_lost.1,
        "losing the daemon must be reported by the output"
    );
    // Meanwhile input yields silence, at the frame pace.
    let (gap, took) = read_for(&mut input, Duration::from_millis(400));
    ensure!(analysis::rms(&gap) < 0.01, "a lost input yields silence");
    ensure!(
        took >= Duration::from_millis(300),
        "and is still paced: {took:?} for 400 ms"
    );

    pulse.restart()?;
    let back_at = Instant::now();
    let mut heard = false;
    while back_at.elapsed() < Duration::from_secs(8) {
        let (audio, _) = read_for(&mut input, Duration::from_millis(200));
        tone.read(&mut frame);
        output.write(&frame);
        if input.status() == DeviceStatus::Running
            && analysis::goertzel_power(&audio, TONE_HZ) > HEARD
        {
            heard = true;
            break;
        }
    }
    println!(
        "after restarting the daemon ({:?}): input {:?} {:?}, output {:?} {:?}",
        back_at.elapsed(),
        input.status(),
        input.counters(),
        output.status(),
        output.counters()
    );
    ensure!(
        heard,
        "the tone must be heard again once the device is back"
    );
    ensure!(
        input.counters().reopens >= 1,
        "the input must have been re-opened"
    );
    ensure!(input.counters().losses >= 1, "and the loss counted");
    let deadline = Instant::now() + Duration::from_secs(3);
    while output.status() != DeviceStatus::Running && Instant::now() < deadline {
        tone.read(&mut frame);
        output.write(&frame);
        std::thread::sleep(Duration::from_millis(20));
    }
    let frames = output.counters().frames;
    write_for(&mut output, Duration::from_millis(300));
    ensure!(
        output.status() == DeviceStatus::Running,
        "output back: {:?}",
        output.status()
    );
    ensure!(
        output.counters().reopens >= 1,
        "the output must have been re-opened"
    );
    ensure!(output.counters().frames > frames, "and play again");
    Ok(())
}

/// Reads frames until the device has delivered some audio (or `limit` passed); returns whether
/// it did and how long that took.
fn read_until_audio(input: &mut DeviceInput, limit: Duration) -> (bool, Duration) {
    let started = Instant::now();
    let mut frame = vec![0i16; FRAME];
    while started.elapsed() < limit {
        input.read(&mut frame);
        if input.counters().frames > 0 {
            return (true, started.elapsed());
        }
    }
    (false, started.elapsed())
}

/// Reads `duration` of audio from `input`; returns it and how long that took.
fn read_for(input: &mut DeviceInput, duration: Duration) -> (Vec<i16>, Duration) {
    let started = Instant::now();
    let frames = duration.as_millis() as usize / 20;
    let mut audio = Vec::with_capacity(frames * FRAME);
    let mut frame = vec![0i16; FRAME];
    for _ in 0..frames {
        input.read(&mut frame);
        audio.extend_from_slice(&frame);
    }
    (audio, started.elapsed())
}

/// Writes `duration` of a 440 Hz tone to `output`, paced at real time.
fn write_for(output: &mut DeviceOutput, duration: Duration) {
    let mut tone = SineSource::new(TONE_HZ, 0.3);
    let mut frame = vec![0i16; FRAME];
    let started = Instant::now();
    let frames = duration.as_millis() as u32 / 20;
    for i in 0..frames {
        tone.read(&mut frame);
        output.write(&frame);
        let next = started + Duration::from_millis(20) * (i + 1);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}
