//! Voice through the SFU: who hears whom.

use hearth_e2e::{Bot, MEMBER, host, tone_power, wait_hearing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_each_hear_the_other_two_and_not_themselves() -> anyhow::Result<()> {
    let host = host().await?;
    let tones = [(1, 440.0), (2, 660.0), (3, 880.0)];
    let mut bots = Vec::new();
    for (user, hz) in tones {
        bots.push(Bot::join(&host, user, 7, MEMBER, Some(hz)).await?);
    }
    for bot in &bots {
        for (remote, hz) in tones.iter().copied().filter(|(u, _)| *u != bot.user) {
            wait_hearing(bot, remote, hz, 1.0).await?;
        }
    }
    for bot in &bots {
        assert!(
            bot.heard(bot.user).is_empty(),
            "user {} must not receive its own audio",
            bot.user
        );
        for (remote, _) in tones.iter().copied().filter(|(u, _)| *u != bot.user) {
            let heard = bot.heard(remote);
            let recent = &heard[heard.len() - 48_000..];
            let own_hz = tones
                .iter()
                .find(|(u, _)| *u == bot.user)
                .map(|t| t.1)
                .unwrap_or_default();
            let remote_hz = tones
                .iter()
                .find(|(u, _)| *u == remote)
                .map(|t| t.1)
                .unwrap_or_default();
            assert!(
                tone_power(recent, remote_hz) > 100.0 * tone_power(recent, own_hz),
                "user {}'s stream from user {remote} must carry {remote_hz} Hz, not the listener's own {own_hz} Hz",
                bot.user
            );
        }
    }
    for mut bot in bots {
        bot.leave().await;
    }
    host.shutdown().await;
    Ok(())
}
