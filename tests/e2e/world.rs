//! The world server at `/world` with real WebSocket clients against a real host.

use hearth_e2e::world::{WorldClient, world_token};
use hearth_e2e::{Bot, INVITE, TURN_SECRET, host, unix_now, wait_hearing};
use hearth_engine::events::EngineEvent;
use sfu_core::roles::Role;
use sfu_core::world::wire::{self, ClientMessage, ErrorCode, ServerMessage};

fn from_is(m: &ServerMessage, user: &WorldClient) -> bool {
    match m {
        ServerMessage::PeerJoined(p) => p.user.user_id == user.id(),
        ServerMessage::PresenceBroadcast(p) => p.user_id == user.id(),
        ServerMessage::PeerLeft(p) => p.user_id == user.id(),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_each_other_join_walk_and_leave_within_their_zone_only() -> anyhow::Result<()> {
    let host = host().await?;
    let mut alice = WorldClient::join(&host, "alice", &[Role::Member]).await?;
    let mut bob = WorldClient::join(&host, "bob", &[Role::Member]).await?;
    alice
        .expect("Bob joins", |m| {
            matches!(m, ServerMessage::PeerJoined(_)) && from_is(m, &bob)
        })
        .await?;
    bob.walk(29.5, 22.5).await?;
    let seen = alice
        .expect("Bob's presence", |m| {
            matches!(m, ServerMessage::PresenceBroadcast(_)) && from_is(m, &bob)
        })
        .await?;
    let ServerMessage::PresenceBroadcast(p) = seen else {
        unreachable!()
    };
    assert!(
        (p.position.x - 29.5).abs() < 0.6,
        "Bob's position reaches Alice: {p:?}"
    );

    // Carol goes into the team area: her walking there is not broadcast to the open area.
    let mut carol = WorldClient::join(&host, "carol", &[Role::Member]).await?;
    carol.walk(20.5, 22.5).await?;
    carol
        .expect("zone transition", |m| {
            matches!(m, ServerMessage::ZoneTransitioned(_))
        })
        .await?;
    alice.settle(300).await;
    alice.seen.clear();
    carol.walk(18.5, 22.5).await?;
    alice.settle(400).await;
    assert!(
        !alice
            .seen
            .iter()
            .any(|m| matches!(m, ServerMessage::PresenceBroadcast(_)) && from_is(m, &carol)),
        "presence from the team area must not reach the open area: {:?}",
        alice.seen
    );

    drop(bob);
    let left = alice
        .expect("PEER_LEFT when Bob's socket closes", |m| matches!(m, ServerMessage::PeerLeft(p) if p.user_id.as_str() != carol.user.to_string()))
        .await?;
    assert!(matches!(left, ServerMessage::PeerLeft(_)));
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_are_relayed_with_from_and_refused_across_zones_and_turn_credentials_verify()
-> anyhow::Result<()> {
    let host = host().await?;
    let mut alice = WorldClient::join(&host, "alice", &[Role::Member]).await?;
    let mut bob = WorldClient::join(&host, "bob", &[Role::Member]).await?;
    let mut carol = WorldClient::join(&host, "carol", &[Role::Member]).await?;
    carol.walk(20.5, 22.5).await?;
    let offer = |to: &WorldClient| {
        ClientMessage::SdpOffer(wire::SdpToPeer {
            to: to.id(),
            sdp: "djA=".into(),
        })
    };
    alice.send(&offer(&bob)).await?;
    let got = bob
        .expect("relayed offer", |m| matches!(m, ServerMessage::SdpOffer(_)))
        .await?;
    let ServerMessage::SdpOffer(o) = got else {
        unreachable!()
    };
    assert_eq!(o.from, alice.id(), "the server fills in from");
    alice.send(&offer(&carol)).await?;
    alice.expect_error(ErrorCode::PermissionDenied).await?;

    alice
        .send(&ClientMessage::IceFailed(wire::IceFailed {
            peer_id: bob.id(),
        }))
        .await?;
    let creds = alice
        .expect("TURN_CREDENTIALS", |m| {
            matches!(m, ServerMessage::TurnCredentials(_))
        })
        .await?;
    let ServerMessage::TurnCredentials(c) = creds else {
        unreachable!()
    };
    assert!(
        sfu_core::auth::verify_turn_credentials(
            TURN_SECRET,
            &c.username,
            &c.credential,
            unix_now()
        ),
        "the credentials verify against the TURN secret: {c:?}"
    );
    assert_eq!(c.urls, vec!["turn:127.0.0.1:3478".to_owned()]);
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ninth_user_in_the_team_area_promotes_it_and_the_tokens_join_the_sfu()
-> anyhow::Result<()> {
    let host = host().await?;
    let mut users = Vec::new();
    for n in 0..9 {
        let mut c = WorldClient::join(&host, &format!("user{n}"), &[Role::Member]).await?;
        c.walk(23.5, 18.5 + f64::from(n)).await?;
        c.expect("into the team area", |m| {
            matches!(m, ServerMessage::ZoneTransitioned(_))
        })
        .await?;
        users.push(c);
    }
    let mut promotions = Vec::new();
    for c in &mut users {
        let p = c
            .expect("PROMOTE_TO_SFU", |m| {
                matches!(m, ServerMessage::PromoteToSfu(_))
            })
            .await?;
        let ServerMessage::PromoteToSfu(p) = p else {
            unreachable!()
        };
        assert_eq!(p.zone_id.as_str(), "team-area");
        assert_eq!(
            p.sfu_url,
            format!("ws://{}/signal", host.http_addr),
            "the SFU URL as the client reaches the host"
        );
        promotions.push(p);
    }
    // Two of them join the SFU with the tokens they were given, and hear each other.
    let channel = promotions[0].channel_id.expect("channel id").0;
    let source = |hz| Box::new(hearth_engine::audio::SineSource::new(hz, 0.3));
    let a = Bot::join_with(
        &host,
        1,
        channel,
        promotions[0].sfu_token.clone(),
        source(440.0),
    )
    .await?;
    let b = Bot::join_with(
        &host,
        2,
        channel,
        promotions[1].sfu_token.clone(),
        source(660.0),
    )
    .await?;
    let a_id = sfu_core::ids::sfu_id_from_uuid_bytes(users[0].user.as_bytes());
    wait_hearing(&b, a_id, 440.0, 0.5).await?;
    for c in &mut users[..2] {
        let zone_id = wire::ZoneId::new("team-area");
        c.send(&ClientMessage::SfuConnected(wire::SfuConnected { zone_id }))
            .await?;
    }
    // The second walks out of the team area: its SFU session ends, and the promotion token it
    // still holds no longer joins; the first stays on the SFU.
    let mut b = b;
    users[1].walk(28.5, 22.5).await?;
    b.expect(
        "a 510 for leaving the zone",
        |e| matches!(e, EngineEvent::Kicked { reason } if reason == "left the zone"),
    )
    .await?;
    let mut again = Bot::join_with(
        &host,
        2,
        channel,
        promotions[1].sfu_token.clone(),
        source(660.0),
    )
    .await?;
    again
        .expect(
            "the held token refused",
            |e| matches!(e, EngineEvent::JoinRefused { code } if code == "unauthorized"),
        )
        .await?;
    let mut a = a;
    a.drain();
    assert!(
        !a.seen
            .iter()
            .any(|e| matches!(e, EngineEvent::Kicked { .. } | EngineEvent::Left { .. })),
        "the one who stayed is still on the SFU: {:?}",
        a.seen
    );
    drop((a, b, again));
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_kick_is_denied_and_an_admins_closes_the_target() -> anyhow::Result<()> {
    let host = host().await?;
    let mut member = WorldClient::join(&host, "member", &[Role::Member]).await?;
    let mut admin = WorldClient::join(&host, "admin", &[Role::Admin]).await?;
    let mut target = WorldClient::join(&host, "target", &[Role::Member]).await?;
    let kick = ClientMessage::KickFromWorld(wire::KickFromWorld {
        target_user_id: target.id(),
        world_id: wire::WorldId::new(host.world_id.clone()),
    });
    member.send(&kick).await?;
    member.expect_error(ErrorCode::PermissionDenied).await?;
    admin.send(&kick).await?;
    let notice = target.expect_error(ErrorCode::PermissionDenied).await?;
    assert_eq!(
        notice.details.get("reason").and_then(|r| r.as_str()),
        Some("kicked")
    );
    assert_eq!(
        target.expect_close().await?,
        Some(4010),
        "the kicked user's socket closes"
    );
    member
        .expect(
            "PEER_LEFT for the kicked user",
            |m| matches!(m, ServerMessage::PeerLeft(p) if p.user_id == target.id()),
        )
        .await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_flood_is_rate_limited_while_others_keep_flowing() -> anyhow::Result<()> {
    let host = host().await?;
    let mut flooder = WorldClient::join(&host, "flooder", &[Role::Member]).await?;
    let mut alice = WorldClient::join(&host, "alice", &[Role::Member]).await?;
    let mut bob = WorldClient::join(&host, "bob", &[Role::Member]).await?;
    let (x, y) = flooder.position;
    for _ in 0..60 {
        flooder.presence(x, y).await?;
    }
    flooder.expect_error(ErrorCode::RateLimited).await?;
    alice.walk(29.0, 22.5).await?;
    bob.expect("Alice's presence despite the flood", |m| {
        matches!(m, ServerMessage::PresenceBroadcast(_)) && from_is(m, &alice)
    })
    .await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_the_right_error_and_harms_nobody() -> anyhow::Result<()> {
    let host = host().await?;
    let mut alice = WorldClient::join(&host, "alice", &[Role::Member]).await?;
    let mut bob = WorldClient::join(&host, "bob", &[Role::Member]).await?;
    for bad in [
        "not json",
        "[1,2]",
        "{}",
        r#"{"payload":{}}"#,
        r#"{"type":"DANCE","payload":{}}"#,
        r#"{"type":"PRESENCE_UPDATE","payload":{"position":{"x":"a","y":1},"facing":"north","state":"idle"}}"#,
        r#"{"type":"MOVE_INTENT","payload":{"position":{"x":1}}}"#,
    ] {
        alice.send_text(bad).await?;
        let e = alice.expect_error(ErrorCode::InvalidRequest).await?;
        assert!(!e.message.is_empty(), "{bad}: the error says what is wrong");
    }
    alice.presence(500.0, 3.0).await?;
    let corrected = alice
        .expect("correction", |m| {
            matches!(m, ServerMessage::PositionCorrection(_))
        })
        .await?;
    assert!(
        matches!(corrected, ServerMessage::PositionCorrection(c) if c.reason == wire::CorrectionReason::Invalid)
    );
    alice
        .send(&ClientMessage::InteractRequest(wire::InteractRequest {
            object_id: wire::ObjectId::new("no-such-object"),
            action: wire::InteractAction::Use,
        }))
        .await?;
    alice.expect_error(ErrorCode::ObjectNotFound).await?;
    alice
        .send(&ClientMessage::Connect(wire::Connect {
            token: "x".into(),
            client_version: "1".into(),
        }))
        .await?;
    alice.expect_error(ErrorCode::InvalidRequest).await?;
    alice.send_text(r#"{"type":"CONNECT","payload":{"token":"x","client_version":"2"},"protocol_version":2}"#).await?;
    alice.expect_error(ErrorCode::InvalidRequest).await?;

    // A fresh socket that skips CONNECT.
    let (user, _) = world_token("eve", &[Role::Member]);
    let mut eve = WorldClient::join_with(&host, user, "eve", "bad-token".into())
        .await
        .err();
    assert!(eve.take().is_some(), "a bad token cannot join");

    // Bob is unaffected.
    bob.walk(29.5, 23.5).await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_gets_a_token_that_joins_the_world() -> anyhow::Result<()> {
    let host = host().await?;
    let (status, body) = post_session(
        &host,
        &format!(r#"{{"invite":"{INVITE}","display_name":"Guest One"}}"#),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let session: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(
        session["world_url"],
        format!("ws://{}/world", host.http_addr)
    );
    assert_eq!(session["world_id"], host.world_id.as_str());
    let token = session["token"].as_str().unwrap_or_default().to_owned();
    let user = session["user_id"].as_str().unwrap_or_default().parse()?;
    let client = WorldClient::join_with(&host, user, "Guest One", token).await?;
    assert_eq!(client.user, user);
    let (status, _) = post_session(&host, r#"{"invite":"wrong","display_name":"x"}"#).await?;
    assert_eq!(status, 403, "a wrong invite is refused");
    let (status, _) = post_session(
        &host,
        &format!(r#"{{"invite":"{INVITE}","display_name":"   "}}"#),
    )
    .await?;
    assert_eq!(status, 400, "an empty name is refused");
    host.shutdown().await;
    Ok(())
}

async fn post_session(
    host: &sfu_core::host::RunningHost,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host.http_addr).await?;
    let request = format!(
        "POST /api/session HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        host.http_addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.split_whitespace().nth(1).unwrap_or("0").parse()?;
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Ok((status, body))
}
