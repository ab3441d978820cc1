//! A real call through the engine whose sound devices die mid-call and come back.

use super::*;

/// A device input whose status stays visible to the test after the engine has taken it.
pub(super) struct Watched {
    input: DeviceInput,
    seen: Arc<Mutex<(DeviceStatus, DeviceCounters)>>,
}

impl AudioSource for Watched {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let more = self.input.read(frame);
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) =
            (self.input.status(), self.input.counters());
        more
    }

    fn paced(&self) -> bool {
        self.input.paced()
    }
}

/// Power of `hz` in the last `ms` of what `bot` heard from `user`.
pub(super) fn recent_power(bot: &Bot, user: i64, hz: f32, ms: usize) -> (f64, usize) {
    let heard = bot.heard(user);
    let from = heard.len().saturating_sub(ms * 48);
    (tone_power(&heard[from..], hz), heard.len())
}

/// The tone captured by the device is heard when its power over the last 600 ms passes this:
/// the same as outside a call, since the device captures in real time.
pub(super) const CALL_HEARD: f64 = HEARD;

/// A real call through the engine: a [`DeviceInput`] (the injected tone) and a [`DeviceOutput`]
/// in a `VoiceEngine` joined to an SFU channel, and a bot listening. The sound server dies
/// mid-call and comes back.
pub(super) fn call_scenario(scratch: &Path) -> anyhow::Result<()> {
    let mut pulse = Pulse::start(scratch)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let input =
        DeviceInput::open_with(Some(TONE_SOURCE), DEVICE_FORMAT).context("opening capture")?;
    let output = DeviceOutput::open(Some(SINK)).context("opening playback")?;
    let seen = Arc::new(Mutex::new((input.status(), input.counters())));
    let watched = Watched {
        input,
        seen: seen.clone(),
    };
    let status = || seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
    const USER: i64 = 1;
    const CHANNEL: i64 = 7;
    runtime.block_on(async {
        let host = hearth_e2e::host().await?;
        // The captured tone is the signal under test: no noise suppression to remove it.
        let (engine, client, mut events) = join_on_devices(
            &host,
            USER,
            CHANNEL,
            Box::new(watched),
            Box::new(output),
            hearth_engine::audio::processing::ProcessingConfig::OFF,
        )
        .await?;
        let events_log = Arc::new(Mutex::new(Vec::new()));
        let log = events_log.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!("{event:?}"));
            }
        });
        let mut bot = Bot::join(&host, 2, CHANNEL, hearth_e2e::MEMBER, Some(660.0)).await?;
        let started = Instant::now();

        // 1. The bot hears the device's tone.
        let heard_at = wait_for(Duration::from_secs(8), || {
            recent_power(&bot, USER, TONE_HZ, 600).0 > CALL_HEARD
        })
        .await;
        let (before, n_before) = recent_power(&bot, USER, TONE_HZ, 600);
        let off_before = {
            let heard = bot.heard(USER);
            tone_power(&heard[heard.len().saturating_sub(600 * 48)..], 1_000.0)
        };
        println!(
            "call: tone heard after {heard_at:?}: power {before:.5} (1 kHz {off_before:.6}), \
             {n_before} samples, input {:?}",
            status()
        );
        ensure!(
            heard_at.is_some(),
            "the bot must hear the device's tone: power {before}, {n_before} samples"
        );
        ensure!(
            off_before < before / 5.0,
            "and it is the tone: 1 kHz {off_before}"
        );

        // 2. The sound server dies: the device is lost, the call goes on without its audio.
        pulse.kill();
        let killed = Instant::now();
        let lost_after = wait_for(Duration::from_secs(5), || {
            status().0 != DeviceStatus::Running
        })
        .await;
        println!(
            "call: input after killing the daemon ({lost_after:?}): {:?}",
            status()
        );
        ensure!(lost_after.is_some(), "the input must report the loss");
        // What was captured before the loss may still be in flight.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mark = bot.heard_len(USER);
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let gap = hearth_e2e::since(&bot, USER, mark);
        let during = tone_power(&gap, TONE_HZ);
        println!(
            "call: {:?} after the kill: the bot got {} samples in the last second, tone power \
             {during:.6}; input {:?}",
            killed.elapsed(),
            gap.len(),
            status()
        );
        ensure!(
            during < CALL_HEARD / 5.0,
            "the tone stops while the device is lost: {during} (was {before})"
        );
        ensure!(
            status().0 != DeviceStatus::Running,
            "still lost while the daemon is down: {:?}",
            status()
        );

        // 3. The sound server returns: the device re-opens and the tone is heard again.
        pulse.restart()?;
        let restarted = Instant::now();
        let mark = bot.heard_len(USER);
        let heard_again = |bot: &Bot| {
            let new = hearth_e2e::since(bot, USER, mark);
            let tail = &new[new.len().saturating_sub(600 * 48)..];
            (tone_power(tail, TONE_HZ), new.len())
        };
        let back_after = wait_for(Duration::from_secs(8), || {
            status().0 == DeviceStatus::Running && heard_again(&bot).0 > CALL_HEARD
        })
        .await;
        let (after, n_after) = heard_again(&bot);
        println!(
            "call: after restarting the daemon ({back_after:?}): power {after:.5} over {n_after} \
             new samples, input {:?}; whole call {:?}",
            status(),
            started.elapsed()
        );
        ensure!(
            back_after.is_some(),
            "the tone must be heard again once the device is back: power {after}, input {:?}, \
             {:?} after the restart",
            status(),
            restarted.elapsed()
        );
        ensure!(status().1.reopens >= 1, "the input was re-opened");
        let log = events_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        println!("call: client events: {log:?}");
        ensure!(
            !log.iter()
                .any(|e| e.contains("Disconnected") || e.contains("Closed")),
            "the SFU session must not end: {log:?}"
        );
        bot.leave().await;
        client.leave().await;
        engine.shutdown().await;
        anyhow::Ok(())
    })
}

/// Polls `done` every 50 ms for up to `limit`; returns how long it took, if it came true.
pub(super) async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}
