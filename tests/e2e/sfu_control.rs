//! Moderation and mutes as a user notices them: who still hears whom after each request.

use std::time::Duration;

use hearth_e2e::{Bot, MEMBER, host, since, token_with, tone_power, wait_hearing};
use hearth_engine::events::EngineEvent;
use sfu_core::ids::{ChannelId, UserId};
use sfu_core::perms::Permissions;
use sfu_core::signal::{Block, ClientMessage, Kick, MoveUser, MuteUser, ServerDeafen, ServerMute};

const CHANNEL: i64 = 21;

/// Marks where each listener's recording of `remote` stands, waits, and returns the tone power
/// of what arrived since (0 when nothing arrived).
async fn power_over_next_second(listeners: &[&Bot], remote: i64, hz: f32) -> Vec<f64> {
    // Let packets already in flight drain before marking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let marks: Vec<usize> = listeners.iter().map(|b| b.heard_len(remote)).collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    listeners
        .iter()
        .zip(marks)
        .map(|(b, mark)| tone_power(&since(b, remote, mark), hz))
        .collect()
}

fn is_server_error(t: u16, code: &'static str) -> impl Fn(&EngineEvent) -> bool {
    move |e| matches!(e, EngineEvent::ServerError { t: Some(et), code: c, .. } if *et == t && c == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutes_and_deafen_silence_exactly_who_they_should() -> anyhow::Result<()> {
    let host = host().await?;
    let admin = Bot::join(&host, 1, CHANNEL, Permissions::ADMINISTRATOR, Some(300.0)).await?;
    let mut speaker = Bot::join(&host, 2, CHANNEL, MEMBER, Some(440.0)).await?;
    let mut listener = Bot::join(&host, 3, CHANNEL, MEMBER, Some(660.0)).await?;
    wait_hearing(&admin, 2, 440.0, 1.0).await?;
    wait_hearing(&listener, 2, 440.0, 1.0).await?;

    // 507 server mute: nobody hears the speaker; unmute brings it back.
    admin
        .client()
        .request(ClientMessage::ServerMute(ServerMute {
            user: UserId(2),
            muted: true,
        }))
        .await;
    listener
        .expect_event(EngineEvent::ServerMuted {
            user_id: 2,
            muted: true,
        })
        .await?;
    speaker
        .expect_event(EngineEvent::ServerMuted {
            user_id: 2,
            muted: true,
        })
        .await?;
    let powers = power_over_next_second(&[&admin, &listener], 2, 440.0).await;
    assert!(
        powers.iter().all(|p| *p < 0.001),
        "server-muted speaker still heard: {powers:?}"
    );
    admin
        .client()
        .request(ClientMessage::ServerMute(ServerMute {
            user: UserId(2),
            muted: false,
        }))
        .await;
    wait_hearing(&listener, 2, 440.0, 0.5).await?;
    wait_hearing(&admin, 2, 440.0, 0.5).await?;

    // 505 self mute: everyone is told and nobody hears it.
    speaker.client().set_self_muted(true).await;
    listener
        .expect_event(EngineEvent::Muted {
            user_id: 2,
            muted: true,
        })
        .await?;
    let powers = power_over_next_second(&[&admin, &listener], 2, 440.0).await;
    assert!(
        powers.iter().all(|p| *p < 0.001),
        "self-muted speaker still heard: {powers:?}"
    );
    speaker.client().set_self_muted(false).await;
    wait_hearing(&listener, 2, 440.0, 0.5).await?;

    // 506 local mute: only the requester stops hearing the speaker.
    listener
        .client()
        .request(ClientMessage::MuteUser(MuteUser {
            user: UserId(2),
            muted: true,
        }))
        .await;
    let powers = power_over_next_second(&[&listener, &admin], 2, 440.0).await;
    assert!(
        powers[0] < 0.001,
        "local mute must silence the speaker for the requester: {powers:?}"
    );
    assert!(
        powers[1] > 0.01,
        "local mute must not affect anyone else: {powers:?}"
    );
    listener
        .client()
        .request(ClientMessage::MuteUser(MuteUser {
            user: UserId(2),
            muted: false,
        }))
        .await;
    wait_hearing(&listener, 2, 440.0, 0.5).await?;

    // 508 deafen: the target hears nobody; the others are unaffected.
    admin
        .client()
        .request(ClientMessage::ServerDeafen(ServerDeafen {
            user: UserId(3),
            deafened: true,
        }))
        .await;
    listener
        .expect_event(EngineEvent::Deafened {
            user_id: 3,
            deafened: true,
        })
        .await?;
    let from_speaker = power_over_next_second(&[&listener, &admin], 2, 440.0).await;
    assert!(
        from_speaker[0] < 0.001,
        "a deafened user must hear nothing: {from_speaker:?}"
    );
    assert!(
        from_speaker[1] > 0.01,
        "deafening one user must not silence others: {from_speaker:?}"
    );
    let from_admin = power_over_next_second(&[&listener], 1, 300.0).await;
    assert!(
        from_admin[0] < 0.001,
        "a deafened user must hear nobody at all: {from_admin:?}"
    );
    wait_hearing(&speaker, 3, 660.0, 0.5).await?; // the deafened user can still be heard
    admin
        .client()
        .request(ClientMessage::ServerDeafen(ServerDeafen {
            user: UserId(3),
            deafened: false,
        }))
        .await;
    wait_hearing(&listener, 2, 440.0, 0.5).await?;

    for mut bot in [admin, speaker, listener] {
        bot.leave().await;
    }
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_block_and_move_remove_the_target_with_the_right_notice() -> anyhow::Result<()> {
    let host = host().await?;
    let mut admin = Bot::join(&host, 1, CHANNEL, Permissions::ADMINISTRATOR, None).await?;
    let mut kicked = Bot::join(&host, 2, CHANNEL, MEMBER, Some(440.0)).await?;
    let mut blocked = Bot::join(&host, 3, CHANNEL, MEMBER, Some(660.0)).await?;
    let mut moved = Bot::join(&host, 4, CHANNEL, MEMBER, None).await?;
    for bot in [&mut admin, &mut kicked, &mut blocked, &mut moved] {
        bot.expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
            .await?;
    }

    // 510: the target is told and its session ends.
    admin
        .client()
        .request(ClientMessage::Kick(Kick { user: UserId(2) }))
        .await;
    kicked
        .expect_event(EngineEvent::Kicked {
            reason: "kicked".into(),
        })
        .await?;
    kicked
        .expect("session end", |e| matches!(e, EngineEvent::Left { .. }))
        .await?;

    // 511: blocking a present user removes it, and its rejoin is refused...
    admin
        .client()
        .request(ClientMessage::Block(Block {
            user: UserId(3),
            block: true,
        }))
        .await;
    blocked
        .expect_event(EngineEvent::Kicked {
            reason: "blocked".into(),
        })
        .await?;
    let mut again = Bot::join(&host, 3, CHANNEL, MEMBER, None).await?;
    again
        .expect_event(EngineEvent::JoinRefused {
            code: "blocked".into(),
        })
        .await?;
    // ...unless the token says moved=true.
    let moved_token = token_with(3, CHANNEL, MEMBER, true);
    let source = Box::new(hearth_engine::audio::SineSource::new(660.0, 0.3));
    let mut forced = Bot::join_with(&host, 3, CHANNEL, moved_token, source).await?;
    forced
        .expect("moved=true passes the block", |e| {
            matches!(e, EngineEvent::Joined { .. })
        })
        .await?;
    wait_hearing(&moved, 3, 660.0, 0.5).await?;

    // 512: the target learns its new channel (with a moved=true token) and is disconnected.
    admin
        .client()
        .request(ClientMessage::Move(MoveUser {
            user: UserId(4),
            channel: ChannelId(99),
        }))
        .await;
    moved
        .expect_event(EngineEvent::Moved {
            channel: 99,
            has_token: true,
        })
        .await?;
    moved
        .expect("session end", |e| matches!(e, EngineEvent::Left { .. }))
        .await?;

    for mut bot in [admin, forced] {
        bot.leave().await;
    }
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_outlives_the_channel_emptying() -> anyhow::Result<()> {
    let host = host().await?;
    let mut admin = Bot::join(&host, 1, 22, Permissions::ADMINISTRATOR, None).await?;
    admin
        .expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
        .await?;
    admin
        .client()
        .request(ClientMessage::Block(Block {
            user: UserId(5),
            block: true,
        }))
        .await;
    admin.leave().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut blocked = Bot::join(&host, 5, 22, MEMBER, None).await?;
    blocked
        .expect_event(EngineEvent::JoinRefused {
            code: "blocked".into(),
        })
        .await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_requests_without_permission_are_denied_and_change_nothing() -> anyhow::Result<()>
{
    let host = host().await?;
    let mut member = Bot::join(&host, 1, CHANNEL, MEMBER, None).await?;
    let mut speaker = Bot::join(&host, 2, CHANNEL, MEMBER, Some(440.0)).await?;
    wait_hearing(&member, 2, 440.0, 0.5).await?;
    let requests = [
        (
            507,
            ClientMessage::ServerMute(ServerMute {
                user: UserId(2),
                muted: true,
            }),
        ),
        (
            508,
            ClientMessage::ServerDeafen(ServerDeafen {
                user: UserId(1),
                deafened: true,
            }),
        ),
        (510, ClientMessage::Kick(Kick { user: UserId(2) })),
        (
            511,
            ClientMessage::Block(Block {
                user: UserId(2),
                block: true,
            }),
        ),
        (
            512,
            ClientMessage::Move(MoveUser {
                user: UserId(2),
                channel: ChannelId(5),
            }),
        ),
    ];
    for (t, request) in requests {
        member.client().request(request).await;
        member
            .expect(
                &format!("permission_denied on t={t}"),
                is_server_error(t, "permission_denied"),
            )
            .await?;
    }
    // Nothing changed: the speaker is still connected and heard, and nobody was notified.
    let powers = power_over_next_second(&[&member], 2, 440.0).await;
    assert!(
        powers[0] > 0.01,
        "a denied request must change nothing: {powers:?}"
    );
    speaker.drain();
    assert!(
        !speaker.seen.iter().any(|e| matches!(
            e,
            EngineEvent::ServerMuted { .. }
                | EngineEvent::Kicked { .. }
                | EngineEvent::Moved { .. }
                | EngineEvent::Left { .. }
        )),
        "the target must not see any effect of denied requests: {:?}",
        speaker.seen
    );

    // The exact permission is enough without Administrator.
    let moderator = Permissions::MOVED_GRANT | Permissions::VOICE_MUTE_MEMBERS;
    let mut moderator_bot = Bot::join(&host, 3, CHANNEL, moderator, None).await?;
    moderator_bot
        .expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
        .await?;
    moderator_bot
        .client()
        .request(ClientMessage::ServerMute(ServerMute {
            user: UserId(2),
            muted: true,
        }))
        .await;
    speaker
        .expect_event(EngineEvent::ServerMuted {
            user_id: 2,
            muted: true,
        })
        .await?;
    moderator_bot
        .client()
        .request(ClientMessage::Kick(Kick { user: UserId(2) }))
        .await;
    moderator_bot
        .expect(
            "kick needs MoveMembers",
            is_server_error(510, "permission_denied"),
        )
        .await?;

    // Unmuting needs Speak: a listen-only user cannot unmute itself.
    let mut listen_only = Bot::join(&host, 4, CHANNEL, Permissions::VOICE_CONNECT, None).await?;
    listen_only
        .expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
        .await?;
    listen_only.client().set_self_muted(false).await;
    listen_only
        .expect(
            "unmute without Speak",
            is_server_error(505, "permission_denied"),
        )
        .await?;

    for mut bot in [member, speaker, moderator_bot, listen_only] {
        bot.leave().await;
    }
    host.shutdown().await;
    Ok(())
}
