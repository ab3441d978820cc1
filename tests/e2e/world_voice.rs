//! The whole client in a world (issue 5): P2P by proximity in the open area, a team area
//! promoted to the SFU without a gap, meeting rooms straight on the SFU, moderation as the user
//! sees it, and loss recovery. Every client is a real `HearthClient` with its voice engine,
//! talking a tone over real WebRTC; what each one hears is recorded and checked.

use std::time::Duration;

use hearth_e2e::host;
use hearth_e2e::voice::{VoiceBot, VoiceOptions};
use hearth_engine::audio::analysis;
use hearth_engine::client::{ClientEvent, MediaEvent};
use hearth_engine::p2p::link::LinkState;
use hearth_engine::voice::Path;
use hearth_engine::world_client::WorldEvent;
use sfu_core::roles::Role;
use sfu_core::world::wire::{
    ClientMessage, KickFromWorld, MuteUser, RemoveFromZone, WorldId, ZoneId,
};

const WAIT: Duration = Duration::from_secs(15);
/// A tone at the test amplitude (0.08) has a power of about 0.0064.
const HEARD: f64 = 0.001;

/// Tone power of `hz` in the last `ms` of `samples`.
fn recent(samples: &[i16], hz: f32, ms: usize) -> f64 {
    let n = ms * 48;
    if samples.len() < n {
        return 0.0;
    }
    analysis::goertzel_power(&samples[samples.len() - n..], hz)
}

/// Whether `listener` hears `speaker` in its mix now.
pub(crate) fn hears(listener: &VoiceBot, speaker: &VoiceBot) -> bool {
    recent(&listener.mix_tail(300), speaker.tone, 300) > HEARD
}

/// Longest gap (ms) in what `listener` heard of `speaker` after its first `from` samples, from
/// the moment it is heard there, leaving out the last 100 ms (still being written).
fn longest_gap_since(listener: &VoiceBot, speaker: &VoiceBot, from: usize) -> u32 {
    let all = listener.heard(speaker);
    let heard = all.get(from..).unwrap_or_default();
    let Some(start) = heard.chunks(480).position(|c| analysis::rms(c) > 0.01) else {
        return u32::MAX;
    };
    let end = heard.len().saturating_sub(4_800);
    if start * 480 >= end {
        return u32::MAX;
    }
    analysis::longest_silence_ms(&heard[start * 480..end], 10, 0.01)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_area_neighbours_talk_p2p_fade_out_beyond_the_radius_and_return() -> anyhow::Result<()>
{
    let host = host().await?;
    let mut ada = VoiceBot::join(&host, "ada", 440.0).await?;
    let mut bo = VoiceBot::join(&host, "bo", 660.0).await?;
    ada.until("hearing bo", WAIT, |a| hears(a, &bo)).await?;
    bo.until("hearing ada", WAIT, |b| hears(b, &ada)).await?;
    assert_eq!(ada.link_state(&bo.id()), Some(LinkState::Connected));
    assert!(!ada.on_sfu() && !bo.on_sfu(), "the open area stays P2P");
    assert!(
        ada.engine.is_playing(bo.voice(), Path::P2p),
        "ada hears bo over P2P"
    );

    // Bo walks away east, past 6 tiles: the voice fades, then the link closes.
    bo.walk(34.0, 22.5).await?;
    ada.until("fading bo out", WAIT, |a| {
        let gain = a.engine.user_gain(bo.voice()).proximity;
        gain > 0.0 && gain < 1.0
    })
    .await?;
    bo.walk(42.0, 22.5).await?;
    ada.wait_for("the link to bo closing", WAIT, |e| {
        matches!(e, ClientEvent::Media(MediaEvent::LinkClosed { peer, .. }) if *peer == bo.id())
    })
    .await?;
    assert_eq!(ada.engine.user_gain(bo.voice()).proximity, 0.0);
    ada.until("no longer hearing bo", WAIT, |a| !hears(a, &bo))
        .await?;
    bo.until("no longer hearing ada", WAIT, |b| !hears(b, &ada))
        .await?;

    // And back: a new link, the voices return.
    bo.walk(30.0, 22.5).await?;
    ada.until("hearing bo again", WAIT, |a| hears(a, &bo))
        .await?;
    bo.until("hearing ada again", WAIT, |b| hears(b, &ada))
        .await?;
    assert_eq!(ada.link_state(&bo.id()), Some(LinkState::Connected));
    ada.leave().await;
    bo.leave().await;
    Ok(())
}

/// Where the `i`th bot stands in the team area (x 4..24, y 16..28), clear of the spawn.
pub(crate) fn desk(i: usize) -> (f64, f64) {
    (8.0 + (i % 4) as f64 * 3.0, 18.0 + (i / 4) as f64 * 3.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_area_of_nine_is_promoted_to_the_sfu_without_a_gap() -> anyhow::Result<()> {
    let host = host().await?;
    let mut bots: Vec<VoiceBot> = Vec::new();
    // How much bot0 had heard of each speaker just before the ninth came: the switch is after.
    let mut marks = Vec::new();
    for i in 0..9 {
        let tone = 300.0 + 150.0 * i as f32;
        if i == 8 {
            marks = bots.iter().map(|b| bots[0].heard(b).len()).collect();
        }
        let mut bot = VoiceBot::join(&host, &format!("bot{i}"), tone).await?;
        let (x, y) = desk(i);
        bot.walk_via(&[(23.0, 22.5), (x, y)]).await?;
        bot.wait_for("the team area", WAIT, |e| {
            matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "team-area")
        })
        .await?;
        bots.push(bot);
        if i < 8 {
            // Everyone so far talks P2P with everyone else.
            for a in &bots {
                for b in &bots {
                    if a.user != b.user {
                        a.until(&format!("a P2P link to {}", b.name), WAIT, |a| {
                            a.link_state(&b.id()) == Some(LinkState::Connected)
                        })
                        .await?;
                    }
                }
            }
            assert!(bots.iter().all(|b| !b.on_sfu()), "eight users stay P2P");
        }
    }
    // The ninth promotes the zone: all nine on the SFU, every P2P link handed over.
    for bot in &bots {
        bot.until("on the SFU", WAIT, VoiceBot::on_sfu).await?;
    }
    let listener = &bots[0];
    for speaker in &bots[1..] {
        listener
            .until(
                &format!("hearing {} via the SFU", speaker.name),
                WAIT,
                |l| l.engine.is_playing(speaker.voice(), Path::Sfu),
            )
            .await?;
    }
    for bot in &bots {
        bot.until("all P2P links closed", WAIT, |b| {
            bots.iter()
                .filter(|o| o.user != b.user)
                .all(|o| b.link_state(&o.id()) != Some(LinkState::Connected))
        })
        .await?;
    }
    // Let the SFU carry the audio for a while, then check the recordings across the switch.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (i, speaker) in bots.iter().enumerate().skip(1) {
        assert!(hears(listener, speaker), "{} is heard", speaker.name);
        if let Some(&mark) = marks.get(i) {
            let gap = longest_gap_since(listener, speaker, mark);
            eprintln!("bot0 hearing {}: longest gap {gap} ms", speaker.name);
            assert!(
                gap <= 60,
                "bot0's recording of {} has a {gap} ms gap across the switch",
                speaker.name
            );
        }
    }
    let last = &bots[8];
    for speaker in &bots[..8] {
        last.until(&format!("bot8 hearing {}", speaker.name), WAIT, |l| {
            hears(l, speaker)
        })
        .await?;
    }
    for mut bot in bots {
        bot.leave().await;
    }
    Ok(())
}

/// The way into the meeting room from the spawn: north, west along row 13, in by the doorway.
const INTO_MEETING: [(f64, f64); 3] = [(28.5, 13.5), (8.9, 13.5), (8.9, 7.0)];

async fn in_meeting_room(bot: &mut VoiceBot, spot: (f64, f64)) -> anyhow::Result<()> {
    bot.walk_via(&INTO_MEETING).await?;
    bot.walk(spot.0, spot.1).await?;
    bot.wait_for("the meeting room", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "meeting-room")
    })
    .await?;
    bot.until("on the SFU", WAIT, VoiceBot::on_sfu).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_room_goes_straight_to_the_sfu_and_moderation_works_as_users_see_it()
-> anyhow::Result<()> {
    let host = host().await?;
    let admin_options = VoiceOptions {
        roles: vec![Role::Admin],
        ..VoiceOptions::default()
    };
    let mut boss = VoiceBot::join_with(&host, "boss", 440.0, admin_options).await?;
    let mut cy = VoiceBot::join(&host, "cy", 660.0).await?;
    let mut di = VoiceBot::join(&host, "di", 880.0).await?;
    in_meeting_room(&mut boss, (5.0, 5.0)).await?;
    in_meeting_room(&mut cy, (7.0, 5.0)).await?;
    in_meeting_room(&mut di, (9.0, 5.0)).await?;
    for bot in [&boss, &cy, &di] {
        let events = bot.events();
        let entered = events
            .iter()
            .position(|e| {
                matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "meeting-room")
            })
            .unwrap_or_default();
        let opened = events[entered..]
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    ClientEvent::Media(MediaEvent::Link {
                        state: LinkState::Connecting,
                        ..
                    })
                )
            })
            .count();
        assert_eq!(
            opened, 0,
            "{} opened no P2P link in the meeting room",
            bot.name
        );
    }
    boss.until("hearing cy", WAIT, |b| hears(b, &cy)).await?;
    boss.until("hearing di", WAIT, |b| hears(b, &di)).await?;
    cy.until("hearing boss", WAIT, |c| hears(c, &boss)).await?;

    // Mute: cy falls silent for everyone, and sees it.
    boss.client()?
        .request(ClientMessage::MuteUser(MuteUser {
            target_user_id: cy.id(),
            duration: 60,
        }))
        .await;
    cy.wait_for("being muted", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::UserMuted { user_id, muted: true, .. }) if *user_id == cy.id())
    })
    .await?;
    boss.until("cy falling silent", WAIT, |b| !hears(b, &cy))
        .await?;
    di.until("cy falling silent", WAIT, |d| !hears(d, &cy))
        .await?;
    assert!(hears(&boss, &di), "di still talks");

    // Remove: di is sent out to an open area, leaves the SFU, and the room stops hearing her.
    boss.client()?
        .request(ClientMessage::RemoveFromZone(RemoveFromZone {
            target_user_id: di.id(),
            zone_id: ZoneId::new("meeting-room"),
        }))
        .await;
    di.wait_for("being sent to the open area", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "open-area")
    })
    .await?;
    di.until("off the SFU", WAIT, |d| !d.on_sfu()).await?;
    boss.until("no longer hearing di", WAIT, |b| !hears(b, &di))
        .await?;

    // Kick: cy is thrown out of the world and off the SFU.
    boss.client()?
        .request(ClientMessage::KickFromWorld(KickFromWorld {
            target_user_id: cy.id(),
            world_id: WorldId::new(host.world_id.clone()),
        }))
        .await;
    cy.wait_for("the world closing", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::Closed { .. }))
    })
    .await?;
    cy.wait_for("its media ending", WAIT, |e| {
        matches!(e, ClientEvent::Media(MediaEvent::SfuLeft { .. }))
    })
    .await?;
    boss.until("cy gone from the SFU", WAIT, |b| {
        !b.engine.remote_status().contains_key(&cy.voice())
    })
    .await?;
    boss.leave().await;
    cy.leave().await;
    di.leave().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_five_percent_loss_the_tone_holds_without_a_gap_over_60_ms() -> anyhow::Result<()> {
    hearth_e2e::logs();
    let host = host().await?;
    let mut talker = VoiceBot::join(&host, "talker", 440.0).await?;
    let lossy = VoiceOptions {
        receive_loss: 0.05,
        ..VoiceOptions::default()
    };
    let mut listener = VoiceBot::join_with(&host, "listener", 660.0, lossy).await?;
    in_meeting_room(&mut talker, (5.0, 5.0)).await?;
    in_meeting_room(&mut listener, (7.0, 5.0)).await?;
    listener
        .until("hearing the talker", WAIT, |l| hears(l, &talker))
        .await?;
    listener
        .until("hearing the talker via the SFU", WAIT, |l| {
            l.engine.is_playing(talker.voice(), Path::Sfu)
        })
        .await?;
    let from = listener.heard(&talker).len();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let stats = listener
        .engine
        .jitter_stats(talker.voice(), Path::Sfu)
        .ok_or_else(|| anyhow::anyhow!("no SFU stream from the talker"))?;
    let gap = longest_gap_since(&listener, &talker, from);
    let heard = listener.heard(&talker);
    // Per 100 ms window, then averaged: a frame rebuilt by FEC or dropped to catch up breaks the
    // tone's phase, which would cancel a single 4 s measurement without the tone stopping.
    let last = &heard[heard.len().saturating_sub(48_000 * 4)..];
    let windows: Vec<f64> = last
        .chunks_exact(4_800)
        .map(|w| analysis::goertzel_power(w, 440.0))
        .collect();
    let power = windows.iter().sum::<f64>() / windows.len().max(1) as f64;
    eprintln!("loss test: {stats:?}, longest gap {gap} ms, tone power {power:.4}");
    assert!(stats.lost > 0, "the injected loss showed up: {stats:?}");
    assert!(
        stats.recovered_fec + stats.concealed > 0,
        "lost packets were recovered or concealed: {stats:?}"
    );
    assert!(gap <= 60, "a {gap} ms gap with 5% loss");
    assert!(power > HEARD, "the tone holds (power {power:.4})");
    talker.leave().await;
    listener.leave().await;
    Ok(())
}
