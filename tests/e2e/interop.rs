//! The interop link end to end: the main server's view of media presence follows the SFU's real
//! state, through restarts of the main server, and the world's moderation reaches the SFU.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hearth_e2e::world::WorldClient;
use hearth_e2e::{Bot, ISSUER, MEMBER, SECRET, host, host_with, unix_now};
use hearth_engine::events::EngineEvent;
use serde_json::Value;
use sfu_core::roles::Role;
use sfu_core::world::wire::{self, ClientMessage, ServerMessage};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn get_json(addr: SocketAddr, path: &str) -> anyhow::Result<Value> {
    hearth_e2e::get_operator_json(addr, path).await
}

/// The SFU's real channels and the main side's view, as comparable lists.
async fn both_views(sfu: SocketAddr, main: SocketAddr) -> anyhow::Result<(Value, Value)> {
    let real = get_json(sfu, "/api/sfu/channels").await?["channels"].clone();
    let seen = get_json(main, "/api/interop/presence").await?["channels"].clone();
    Ok((real, seen))
}

/// Waits until both the SFU's state and the main server's view are `want`.
async fn both_equal(
    sfu: SocketAddr,
    main: SocketAddr,
    want: Value,
    what: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (real, seen) = both_views(sfu, main).await?;
        if real == want && seen == want {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what}: want {want} on both sides; the SFU has {real}, main sees {seen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the main server's view equals the SFU's state.
async fn converged(sfu: SocketAddr, main: SocketAddr, what: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (real, seen) = both_views(sfu, main).await?;
        if real == seen {
            return Ok(real);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what}: main sees {seen} but the SFU has {real}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_view_equals_the_sfu_after_every_join_produce_and_leave() -> anyhow::Result<()> {
    let host = host().await?;
    let addr = host.http_addr;
    let mut a = Bot::join(&host, 1, 40, MEMBER, Some(440.0)).await?;
    a.expect("media", |e| matches!(e, EngineEvent::MediaConnected))
        .await?;
    both_equal(addr, addr, serde_json::json!([[40, [1]]]), "after A joined").await?;
    let mut b = Bot::join(&host, 2, 40, MEMBER, None).await?;
    let mut c = Bot::join(&host, 3, 41, MEMBER, None).await?;
    for bot in [&mut b, &mut c] {
        bot.expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
            .await?;
    }
    both_equal(
        addr,
        addr,
        serde_json::json!([[40, [1, 2]], [41, [3]]]),
        "after B and C joined",
    )
    .await?;
    let presence = get_json(addr, "/api/interop/presence").await?;
    assert!(
        presence["events"].as_u64().unwrap_or(0) >= 4,
        "media_presence events arrive: {presence}"
    );
    b.leave().await;
    both_equal(
        addr,
        addr,
        serde_json::json!([[40, [1]], [41, [3]]]),
        "after B left",
    )
    .await?;
    a.leave().await;
    c.leave().await;
    both_equal(addr, addr, serde_json::json!([]), "after everyone left").await?;
    host.shutdown().await;
    Ok(())
}

/// A `hearth-host` process used as the main server, on a fixed port so it can be restarted.
struct MainServer {
    child: Child,
}

impl Drop for MainServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hearth_host_binary() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .ok_or_else(|| anyhow::anyhow!("no target dir"))?;
    let bin = dir.join("hearth-host");
    anyhow::ensure!(
        bin.exists(),
        "{} is not built (cargo test --workspace builds it)",
        bin.display()
    );
    Ok(bin)
}

fn start_main(port: u16) -> anyhow::Result<MainServer> {
    let child = Command::new(hearth_host_binary()?)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--udp",
            "127.0.0.1:0",
        ])
        .args([
            "--secret",
            std::str::from_utf8(SECRET)?,
            "--issuer",
            ISSUER,
            "--invite",
            "x",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(MainServer { child })
}

async fn wait_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the main server did not come up on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_main_server_restarts_under_churn_lose_nothing() -> anyhow::Result<()> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let main_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut main = start_main(port)?;
    wait_listening(main_addr).await?;
    let sfu = host_with(Some(format!("ws://{main_addr}/dspeak/interop"))).await?;
    let mut bots: Vec<Bot> = Vec::new();
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next_user = 100;
    let mut caused = 0;
    for round in 0..10u64 {
        // Churn while the main server is up, then kill it and churn while it is down.
        for phase in 0..2 {
            for _ in 0..3 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                if bots.len() < 2 || (!rng.is_multiple_of(3) && bots.len() < 8) {
                    next_user += 1;
                    let channel = 50 + (rng % 2) as i64;
                    bots.push(Bot::join(&sfu, next_user, channel, MEMBER, None).await?);
                } else {
                    let at = (rng as usize) % bots.len();
                    bots.swap_remove(at).leave().await;
                }
                caused += 1;
            }
            if phase == 0 {
                let _ = main.child.kill();
                let _ = main.child.wait();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        main = start_main(port)?;
        wait_listening(main_addr).await?;
        // The SFU redials with backoff (1 s doubling, jitter); wait for it before the next kill.
        let deadline = Instant::now() + Duration::from_secs(40);
        let mut link = Value::Null;
        while Instant::now() < deadline {
            link = get_json(sfu.http_addr, "/api/sfu/channels").await?["interop"].clone();
            if link["connected"] == true && link["reconnects"].as_u64() == Some(round + 2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            link["reconnects"].as_u64(),
            Some(round + 2),
            "round {round}: the link reconnects: {link}"
        );
    }
    // Leaves just made may still be in flight: wait for a converged view with every remaining bot.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = converged(sfu.http_addr, main_addr, "after 10 restarts").await?;
        let users: usize = state.as_array().map_or(0, |cs| {
            cs.iter().map(|c| c[1].as_array().map_or(0, Vec::len)).sum()
        });
        if users == bots.len() {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the converged view {state} must hold the {} remaining bots",
            bots.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let link = get_json(sfu.http_addr, "/api/sfu/channels").await?["interop"].clone();
    assert_eq!(link["dropped"], 0, "no queued event was dropped: {link}");
    assert_eq!(link["queued"], 0, "everything queued was delivered: {link}");
    assert!(
        link["reconnects"].as_u64().unwrap_or(0) >= 11,
        "the link came back after every restart: {link}"
    );
    assert!(caused >= 60, "the churn did {caused} joins and leaves");
    for bot in &mut bots {
        bot.leave().await;
    }
    both_equal(
        sfu.http_addr,
        main_addr,
        serde_json::json!([]),
        "after the last leave",
    )
    .await?;
    sfu.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_world_kick_ends_sfu_media_within_a_second_and_a_world_mute_lifts_itself()
-> anyhow::Result<()> {
    let host = host().await?;
    let mut admin = WorldClient::join(&host, "admin", &[Role::Admin]).await?;
    let mut target = WorldClient::join(&host, "target", &[Role::Member]).await?;
    // Into the meeting room: straight to the SFU.
    for (x, y) in [(28.5, 13.5), (8.5, 13.5), (8.5, 9.5)] {
        target.walk(x, y).await?;
    }
    let promote = target
        .expect("PROMOTE_TO_SFU", |m| {
            matches!(m, ServerMessage::PromoteToSfu(_))
        })
        .await?;
    let ServerMessage::PromoteToSfu(promote) = promote else {
        unreachable!()
    };
    let channel = promote.channel_id.expect("channel").0;
    let sfu_user = sfu_core::ids::sfu_id_from_uuid_bytes(target.user.as_bytes());
    let source = Box::new(hearth_engine::audio::SineSource::new(440.0, 0.3));
    let mut media = Bot::join_with(&host, sfu_user, channel, promote.sfu_token, source).await?;
    media
        .expect("joined", |e| matches!(e, EngineEvent::Joined { .. }))
        .await?;

    let mute = ClientMessage::MuteUser(wire::MuteUser {
        target_user_id: target.id(),
        duration: 2,
    });
    admin.send(&mute).await?;
    media
        .expect_event(EngineEvent::ServerMuted {
            user_id: sfu_user,
            muted: true,
        })
        .await?;
    media
        .expect_event(EngineEvent::ServerMuted {
            user_id: sfu_user,
            muted: false,
        })
        .await?;

    let kick = ClientMessage::KickFromWorld(wire::KickFromWorld {
        target_user_id: target.id(),
        world_id: wire::WorldId::new(host.world_id.clone()),
    });
    let sent = Instant::now();
    admin.send(&kick).await?;
    media
        .expect_event(EngineEvent::Kicked {
            reason: "kicked".into(),
        })
        .await?;
    let took = sent.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "force_disconnect must end the media within 1 s, took {took:?}"
    );
    media
        .expect("session end", |e| matches!(e, EngineEvent::Left { .. }))
        .await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interop_endpoint_answers_bad_input_as_seed_000_and_refuses_strangers()
-> anyhow::Result<()> {
    let host = host().await?;
    let url = format!("ws://{}/dspeak/interop", host.http_addr);
    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(refused.is_err(), "no token, no link");
    let mut request = url.as_str().into_client_request()?;
    let sfu_token = hearth_e2e::token(1, 1, MEMBER);
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {sfu_token}").parse()?);
    assert!(
        tokio_tungstenite::connect_async(request).await.is_err(),
        "an SFU token is not an interop token"
    );

    let token = sfu_core::auth::mint_interop_token(SECRET, ISSUER, "test-sfu", 60, unix_now());
    let mut request = url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let next = async |ws: &mut tokio_tungstenite::WebSocketStream<_>| -> anyhow::Result<Value> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await? {
                Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
                Some(Ok(_)) => {}
                other => anyhow::bail!("socket ended: {other:?}"),
            }
        }
    };
    ws.send(Message::Text("{not json".into())).await?;
    ws.send(Message::Text(r#"{"userId":"1"}"#.into())).await?;
    assert_eq!(
        next(&mut ws).await?,
        serde_json::json!({"type":"error","data":"Invalid message format: missing type"}),
        "unparseable JSON is ignored; a missing type gets the seed's reply"
    );
    ws.send(Message::Text(r#"{"type":"dance"}"#.into())).await?;
    assert_eq!(
        next(&mut ws).await?,
        serde_json::json!({"type":"error","data":"Unknown message type: dance"})
    );
    ws.send(Message::Text(
        r#"{"type":"channel_presence_sync","channelId":"77","userIds":["5"]}"#.into(),
    ))
    .await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let presence = get_json(host.http_addr, "/api/interop/presence").await?;
        if presence["channels"] == serde_json::json!([[77, [5]]]) {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "a valid message after bad ones still works: {presence}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    host.shutdown().await;
    Ok(())
}
