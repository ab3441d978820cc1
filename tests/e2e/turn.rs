//! TURN for real: a user who hides its address (relay only) talks with a neighbour through
//! Debian's coturn, with the credentials the host mints; coturn's own log shows the relayed
//! allocations, so the test cannot pass on a direct path.

use std::time::Duration;

use hearth_e2e::turn::Coturn;
use hearth_e2e::voice::{VoiceBot, VoiceOptions};
use hearth_e2e::{TURN_SECRET, host_with_turn};
use hearth_engine::client::{ClientEvent, MediaEvent};
use hearth_engine::p2p::link::LinkState;
use hearth_engine::world_client::WorldEvent;
use sfu_core::host::RunningHost;

use crate::world_voice::{desk, hears};

const WAIT: Duration = Duration::from_secs(20);

/// A private coturn whose secret is `secret`, and a host whose TURN credentials point at it
/// (minted with the test host's secret); `None` when coturn is not installed (skipped).
async fn coturn_and_host(secret: &[u8]) -> anyhow::Result<Option<(Coturn, RunningHost)>> {
    let Some(coturn) = Coturn::start(secret).await? else {
        return Ok(None);
    };
    let host = host_with_turn(coturn.url.clone()).await?;
    Ok(Some((coturn, host)))
}

/// A user who hides its address: every link through TURN.
fn relay_only() -> VoiceOptions {
    VoiceOptions {
        relay_only: true,
        ..VoiceOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_user_and_a_neighbour_hear_each_other_through_coturn() -> anyhow::Result<()> {
    let Some((coturn, host)) = coturn_and_host(TURN_SECRET).await? else {
        return Ok(());
    };
    let mut ada = VoiceBot::join_with(&host, "ada", 440.0, relay_only()).await?;
    let mut bo = VoiceBot::join(&host, "bo", 660.0).await?;
    ada.until("hearing bo", WAIT, |a| hears(a, &bo)).await?;
    bo.until("hearing ada", WAIT, |b| hears(b, &ada)).await?;

    let relayed_link = ada.events().iter().any(|e| {
        matches!(e, ClientEvent::Media(MediaEvent::Link { peer, state: LinkState::Connected, relayed: true })
            if *peer == bo.id())
    });
    assert!(
        relayed_link,
        "ada's link to bo is relayed: {}",
        ada.event_summary()
    );
    assert!(
        coturn.allocations() >= 1,
        "coturn granted the relay (its log):\n{}",
        coturn.log()
    );
    ada.leave().await;
    bo.leave().await;
    coturn.stop().await;
    Ok(())
}

/// Walks `bot` to desk `i` of the team area and waits until it is in.
async fn to_team_area(bot: &mut VoiceBot, i: usize) -> anyhow::Result<()> {
    let (x, y) = desk(i);
    bot.walk_via(&[(23.0, 22.5), (x, y)]).await?;
    bot.wait_for("the team area", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "team-area")
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_users_count_towards_promotion_past_thirty_percent() -> anyhow::Result<()> {
    let Some((coturn, host)) = coturn_and_host(TURN_SECRET).await? else {
        return Ok(());
    };
    let mut bots = Vec::new();
    for (i, name) in ["ada", "bo", "cy"].into_iter().enumerate() {
        let mut bot = VoiceBot::join(&host, name, 300.0 + 100.0 * i as f32).await?;
        to_team_area(&mut bot, i).await?;
        bots.push(bot);
    }
    // One relayed user of four (25 %): the team area stays P2P, its links to it relayed.
    let mut dee = VoiceBot::join_with(&host, "dee", 700.0, relay_only()).await?;
    to_team_area(&mut dee, 3).await?;
    for other in &bots {
        dee.until("hearing everyone through TURN", WAIT, |d| hears(d, other))
            .await?;
        other.until("hearing dee", WAIT, |o| hears(o, &dee)).await?;
    }
    assert!(
        bots.iter().chain([&dee]).all(|b| !b.on_sfu()),
        "25 % relayed: not promoted"
    );
    let relayed = dee
        .events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::Media(MediaEvent::Link {
                    state: LinkState::Connected,
                    relayed: true,
                    ..
                })
            )
        })
        .count();
    assert!(
        relayed >= 3,
        "dee's three links are relayed: {}",
        dee.event_summary()
    );

    // A second one (2 of 5, 40 %): promoted, everyone on the SFU.
    let mut eve = VoiceBot::join_with(&host, "eve", 800.0, relay_only()).await?;
    to_team_area(&mut eve, 4).await?;
    bots.push(dee);
    bots.push(eve);
    for bot in &bots {
        bot.until("on the SFU", WAIT, VoiceBot::on_sfu).await?;
    }
    assert!(
        coturn.allocations() >= 3,
        "coturn relayed them:\n{}",
        coturn.log()
    );
    for mut bot in bots {
        bot.leave().await;
    }
    coturn.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_coturn_refuses_end_in_a_failed_link_not_a_hang() -> anyhow::Result<()> {
    // coturn with a secret the host does not share: every credential it mints is refused.
    let Some((coturn, host)) = coturn_and_host(b"another-turn-secret").await? else {
        return Ok(());
    };
    let mut ada = VoiceBot::join_with(&host, "ada", 440.0, relay_only()).await?;
    let mut bo = VoiceBot::join(&host, "bo", 660.0).await?;
    let started = std::time::Instant::now();
    ada.wait_for("the relayed link to bo failing", Duration::from_secs(60), |e| {
        matches!(e, ClientEvent::Media(MediaEvent::Link { peer, state: LinkState::Failed, relayed: true }) if *peer == bo.id())
    })
    .await?;
    eprintln!(
        "refused credentials: link failed after {:?}",
        started.elapsed()
    );
    assert!(
        !hears(&ada, &bo) && !hears(&bo, &ada),
        "no direct path was used"
    );
    assert!(
        coturn.log().contains("401"),
        "coturn refused the credentials:\n{}",
        coturn.log()
    );
    ada.leave().await;
    bo.leave().await;
    coturn.stop().await;
    Ok(())
}
