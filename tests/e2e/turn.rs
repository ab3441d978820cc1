//! TURN for real: a user who hides its address (relay only) talks with a neighbour through
//! Debian's coturn, with the credentials the host mints; coturn's own log shows the relayed
//! allocations, so the test cannot pass on a direct path.

use std::time::Duration;

use hearth_e2e::turn::Coturn;
use hearth_e2e::voice::{VoiceBot, VoiceOptions};
use hearth_e2e::{TURN_SECRET, host_with_turn};
use hearth_engine::client::{ClientEvent, MediaEvent};
use hearth_engine::p2p::link::LinkState;

use crate::world_voice::hears;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_user_and_a_neighbour_hear_each_other_through_coturn() -> anyhow::Result<()> {
    let Some(coturn) = Coturn::start(TURN_SECRET).await? else {
        return Ok(());
    };
    let host = host_with_turn(coturn.url.clone()).await?;
    let hidden = VoiceOptions {
        relay_only: true,
        ..VoiceOptions::default()
    };
    let mut ada = VoiceBot::join_with(&host, "ada", 440.0, hidden).await?;
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
