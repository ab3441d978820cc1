//! The device scenarios outside a call: the list, capture, playback, and a lost device.

use super::*;

pub(super) fn list_scenario(scratch: &Path) -> anyhow::Result<()> {
    // No sound server: ALSA alone, whose default points at a missing card.
    let list = list_devices().context("listing devices")?;
    print_list("without a sound server", &list)?;
    for (what, devices) in [("inputs", &list.inputs), ("outputs", &list.outputs)] {
        let default: Vec<_> = devices.iter().filter(|d| d.is_default).collect();
        ensure!(
            default.len() == 1,
            "exactly one default among the {what}: {devices:?}"
        );
        ensure!(
            default[0].name == "alsa:default",
            "without a sound server the default {what} device is alsa:default"
        );
        ensure!(
            devices.iter().any(|d| d.name == "alsa:null"),
            "ALSA's own PCMs are listed among the {what}: {devices:?}"
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
    ensure!(
        matches!(
            DeviceOutput::open(Some("pulseaudio:hearth")),
            Err(DeviceError::Unavailable { .. })
        ),
        "a device of a host that is not running is Unavailable"
    );

    // A sound server answers: its devices are listed beside ALSA's, and its defaults are the
    // defaults.
    if let Err(missing) = pulse_available() {
        ensure!(
            std::env::var_os("HEARTH_REQUIRE_AUDIO").is_none(),
            "{missing} (HEARTH_REQUIRE_AUDIO is set)"
        );
        println!("SKIPPED listing with a sound server: {missing}");
        return Ok(());
    }
    let _pulse = Pulse::start(scratch)?;
    let list = list_devices().context("listing devices with PulseAudio")?;
    print_list("with PulseAudio", &list)?;
    for (what, devices, default, other) in [
        (
            "inputs",
            &list.inputs,
            "pulseaudio:hearth_tone.monitor",
            "pulseaudio:hearth.monitor",
        ),
        ("outputs", &list.outputs, "pulseaudio:hearth", "alsa:null"),
    ] {
        let defaults: Vec<_> = devices.iter().filter(|d| d.is_default).collect();
        ensure!(
            defaults.len() == 1 && defaults[0].name == default,
            "the default {what} device is the sound server's {default}: {devices:?}"
        );
        ensure!(
            devices.iter().any(|d| d.name == other)
                && devices.iter().any(|d| d.name == "alsa:default"),
            "{other} and the ALSA devices are listed among the {what}: {devices:?}"
        );
    }
    let output = DeviceOutput::open(None).context("the default output opens")?;
    ensure!(
        output.device() == "pulseaudio:hearth",
        "the default output is the sound server's: {}",
        output.device()
    );
    Ok(())
}

fn print_list(when: &str, list: &DeviceList) -> anyhow::Result<()> {
    println!(
        "devices {when}: {}",
        serde_json::to_string_pretty(&serde_json::json!({
            "inputs": list.inputs.iter().map(|d| &d.name).collect::<Vec<_>>(),
            "outputs": list.outputs.iter().map(|d| &d.name).collect::<Vec<_>>(),
        }))?
    );
    Ok(())
}

pub(super) fn capture_scenario(scratch: &Path) -> anyhow::Result<()> {
    let _pulse = Pulse::start(scratch)?;
    let mut input = DeviceInput::open_with(Some(TONE_SOURCE), DEVICE_FORMAT)
        .context("opening the tone capture device")?;
    ensure!(input.paced(), "a device input is a paced source");
    let startup = read_until_flowing(&mut input, Duration::from_secs(4));
    println!("audio flows after {startup:?}");
    let before = input.counters();
    let (samples, elapsed) = read_for(&mut input, Duration::from_millis(2_000));
    let after = input.counters();
    let rate = (after.frames - before.frames) as f64 / elapsed.as_secs_f64();
    let silent = after.silent_samples - before.silent_samples;
    println!(
        "captured {} samples in {elapsed:?}: the device delivered {rate:.0} frames/s \
         (of {DEVICE_RATE}); {silent} samples filled with silence; {after:?}",
        samples.len(),
    );
    let steady = &samples[samples.len() / 4..];
    let power = analysis::goertzel_power(steady, TONE_HZ);
    let off = analysis::goertzel_power(steady, 1_000.0);
    // The frames that do not arrive (see below) are silence, and break the tone's phase.
    ensure!(
        power > HEARD / 4.0,
        "the captured audio must carry the 440 Hz tone: power {power}"
    );
    ensure!(
        off < power / 20.0,
        "and only that tone: 1 kHz has {off}, 440 Hz {power}"
    );
    ensure!(
        (1_900..=2_300).contains(&elapsed.as_millis()),
        "reading 2 s of audio must take 2 s on a paced device, took {elapsed:?}"
    );
    // PulseAudio capture is opened with a record buffer larger than one fragment (the engine's
    // audio/device/pulse.rs): with cpal's single-fragment buffer, about 7.5 % of the frames
    // did not arrive here (40,800 of 44,100 frames/s) and were filled in with silence.
    ensure!(
        (f64::from(DEVICE_RATE) * 0.95..=f64::from(DEVICE_RATE) * 1.05).contains(&rate),
        "the device must capture in real time: {rate:.0} frames/s of {DEVICE_RATE}"
    );
    // (A few frames late by more than the input's slack, on a busy machine, are filled in.)
    ensure!(
        silent as usize <= samples.len() / 50,
        "audio must not go missing once it flows: {silent} of {} samples filled with silence",
        samples.len()
    );
    ensure!(
        input.status() == DeviceStatus::Running && after.losses == 0,
        "status {:?}, {after:?}",
        input.status()
    );
    Ok(())
}

pub(super) fn playback_scenario(scratch: &Path) -> anyhow::Result<()> {
    let _pulse = Pulse::start(scratch)?;
    let recorder = Recorder::start(scratch)?;
    let mut output = DeviceOutput::open_with(Some(SINK), DEVICE_FORMAT)
        .context("opening the playback device")?;
    // Let the stream start before measuring its pace.
    let startup = write_until_flowing(&mut output, Duration::from_secs(4));
    println!("audio flows after {startup:?}");
    let before = output.counters();
    let started = Instant::now();
    write_for(&mut output, Duration::from_millis(2_000));
    let after = output.counters();
    let elapsed = started.elapsed();
    let rate = (after.frames - before.frames) as f64 / elapsed.as_secs_f64();
    println!(
        "played for {elapsed:?}: the device took {rate:.0} frames/s (of {DEVICE_RATE}); \
         {after:?}"
    );
    write_for(&mut output, Duration::from_millis(200));
    drop(output);
    // What is still in the sink's and parec's buffers.
    std::thread::sleep(Duration::from_millis(200));
    let frames = recorder.finish()?;
    // Exactly real time when the machine is quiet (44,100 frames/s); the margin is for the
    // device scenarios running in parallel, each with its own daemon, on a small machine.
    ensure!(
        (f64::from(DEVICE_RATE) * 0.9..=f64::from(DEVICE_RATE) * 1.05).contains(&rate),
        "the device must play in real time: {rate:.0} frames/s of {DEVICE_RATE}"
    );
    // (Overruns are not checked: the ring fills up while the server starts the stream, and the
    // engine's writes then keep it full.)
    ensure!(after.losses == 0, "no loss: {after:?}");
    ensure!(
        after.underruns - before.underruns <= 2,
        "the device must not run dry: {after:?}"
    );
    ensure!(
        frames.iter().all(|[l, r]| l == r),
        "mono is played on both channels"
    );
    // Where the recording carries the tone, in 10 ms blocks.
    let block = DEVICE_RATE as usize / 100;
    let loud: Vec<bool> = frames
        .chunks_exact(block)
        .map(|b| b.iter().map(|[l, _]| l * l).sum::<f32>() / block as f32 > 0.01)
        .collect();
    let first = loud.iter().position(|&l| l).unwrap_or(loud.len());
    let last = loud.iter().rposition(|&l| l).unwrap_or(0);
    let tone_ms = 10 * (last + 1).saturating_sub(first);
    let gap_ms = 10
        * loud
            .get(first..=last)
            .unwrap_or_default()
            .split(|&l| l)
            .map(<[bool]>::len)
            .max()
            .unwrap_or(0);
    println!(
        "parec recorded {} frames: the tone spans {tone_ms} ms, longest gap {gap_ms} ms",
        frames.len()
    );
    ensure!(
        (2_300..=2_800).contains(&tone_ms),
        "the 2.5 s of tone played must reach the sink as 2.5 s of audio: {tone_ms} ms"
    );
    ensure!(gap_ms <= 100, "and without a long gap: {gap_ms} ms");
    let played: Vec<i16> = frames[first * block..(last + 1) * block]
        .iter()
        .map(|[l, _]| (l * 32_767.0) as i16)
        .collect();
    // The analysis helpers assume 48 kHz: at DEVICE_RATE the tone shows up scaled.
    let shown_at = TONE_HZ * 48_000.0 / DEVICE_RATE as f32;
    let power = analysis::goertzel_power(&played, shown_at);
    ensure!(
        power > HEARD,
        "the device must have played the 440 Hz tone: power {power}"
    );
    Ok(())
}

pub(super) fn loss_scenario(scratch: &Path) -> anyhow::Result<()> {
    let mut pulse = Pulse::start(scratch)?;
    let mut input =
        DeviceInput::open_with(Some(TONE_SOURCE), DEVICE_FORMAT).context("opening capture")?;
    let mut output = DeviceOutput::open(Some(SINK)).context("opening playback")?;
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
    write_until_flowing(&mut output, Duration::from_secs(4));
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

/// Reads frames until the device delivers in real time, judged over the last 200 ms (or `limit`
/// passed); returns how long that took. A sound server can take a while to start a stream.
fn read_until_flowing(input: &mut DeviceInput, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut frame = vec![0i16; FRAME];
    let mut window = std::collections::VecDeque::new();
    while started.elapsed() < limit {
        input.read(&mut frame);
        window.push_back(input.counters().silent_samples);
        if window.len() > 10 {
            window.pop_front();
            if window.front() == window.back() {
                break;
            }
        }
    }
    started.elapsed()
}

/// Writes a tone until the device takes it in real time, judged over the last 200 ms (or
/// `limit` passed); returns how long that took.
fn write_until_flowing(output: &mut DeviceOutput, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut window = std::collections::VecDeque::new();
    while started.elapsed() < limit {
        write_for(output, Duration::from_millis(20));
        window.push_back((Instant::now(), output.counters().frames));
        if window.len() > 10 {
            window.pop_front();
            let (Some((t0, f0)), Some((t1, f1))) = (window.front(), window.back()) else {
                continue;
            };
            let rate = (f1 - f0) as f64 / (*t1 - *t0).as_secs_f64();
            if rate > f64::from(DEVICE_RATE) * 0.9 {
                break;
            }
        }
    }
    started.elapsed()
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
