//! The engine's world client survives a lost connection: it reaches the host through a TCP proxy
//! the test owns, the test cuts the proxied connection, and the client dials again, rejoins and
//! walks back into the zone it was in, while another user sees it leave and come back.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use hearth_e2e::host;
use hearth_e2e::world::{WorldClient as RawClient, world_token};
use hearth_engine::world_client::{WorldClient, WorldEvent};
use sfu_core::roles::Role;
use sfu_core::world::wire::{Position, ServerMessage, WorldId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::world_bot::expect;

/// A TCP proxy to `upstream` whose connections can all be cut at once.
struct Proxy {
    addr: SocketAddr,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy")?;
        let addr = listener.local_addr()?;
        let (cut, cuts) = watch::channel(0u64);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut cuts = cuts.clone();
                cuts.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    // Dropping both streams on a cut is what a dead link looks like to each
                    // side: EOF or a reset, no close frame.
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Ok(Self { addr, cut })
    }

    /// Cuts every connection open now; later ones pass.
    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// The demo world's team area, in plain sight of the spawn points.
const ALICE_SPOT: Position = Position { x: 20.5, y: 22.5 };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_reconnects_into_the_same_zone_and_others_see_it_come_back()
-> anyhow::Result<()> {
    let host = host().await?;
    let proxy = Proxy::start(host.http_addr).await?;
    let world_id = WorldId::new(host.world_id.clone());

    let mut bob = RawClient::join(&host, "bob", &[Role::Member]).await?;
    bob.walk(19.5, 23.5).await?;
    bob.expect("bob in the team area", |m| {
        matches!(m, ServerMessage::ZoneTransitioned(t) if t.zone.zone_id.as_str() == "team-area")
    })
    .await?;

    let (alice_id, alice_token) = world_token("alice", &[Role::Member]);
    let url = format!("ws://{}/world", proxy.addr);
    let (alice, mut events) = WorldClient::connect(&url, alice_token, world_id).await?;
    let state = expect(&mut events, "alice's world_state", |e| {
        matches!(e, WorldEvent::WorldState { .. })
    })
    .await?;
    let WorldEvent::WorldState {
        position: Some(start),
        ..
    } = state
    else {
        anyhow::bail!("the host says where alice starts: {state:?}");
    };
    // Walk into the team area at 6 tiles/s, under the server's speed limit.
    let (dx, dy) = (ALICE_SPOT.x - start.x, ALICE_SPOT.y - start.y);
    let steps = (dx.hypot(dy) / 0.4).ceil().max(1.0);
    for i in 1..=steps as u32 {
        let t = f64::from(i) / steps;
        tokio::time::sleep(Duration::from_millis(70)).await;
        alice
            .move_to(Position::new(start.x + dx * t, start.y + dy * t))
            .await;
    }
    expect(
        &mut events,
        "alice entering the team area",
        |e| matches!(e, WorldEvent::ZoneChanged { zone, .. } if zone.as_str() == "team-area"),
    )
    .await?;
    let alice_wire = alice_id.to_string();
    bob.expect(
        "alice joining bob's zone",
        |m| matches!(m, ServerMessage::PeerJoined(j) if j.user.user_id.as_str() == alice_wire),
    )
    .await?;

    proxy.cut();

    bob.expect(
        "alice leaving when her link dies",
        |m| matches!(m, ServerMessage::PeerLeft(l) if l.user_id.as_str() == alice_wire),
    )
    .await?;
    let reconnecting = expect(&mut events, "alice reconnecting", |e| {
        matches!(e, WorldEvent::Reconnecting { .. })
    })
    .await?;
    assert!(
        matches!(
            reconnecting,
            WorldEvent::Reconnecting {
                attempt: 1,
                delay_ms: 1000,
                ..
            }
        ),
        "the first attempt waits one second: {reconnecting:?}"
    );
    expect(&mut events, "alice's fresh world_state", |e| {
        matches!(e, WorldEvent::WorldState { .. })
    })
    .await?;
    expect(&mut events, "alice reconnected", |e| {
        matches!(e, WorldEvent::Reconnected { .. })
    })
    .await?;
    expect(
        &mut events,
        "alice walked back into the team area",
        |e| matches!(e, WorldEvent::ZoneChanged { zone, .. } if zone.as_str() == "team-area"),
    )
    .await?;
    bob.expect(
        "alice back in bob's zone",
        |m| matches!(m, ServerMessage::PeerJoined(j) if j.user.user_id.as_str() == alice_wire),
    )
    .await?;
    bob.expect("alice back where she stood before the cut", |m| {
        matches!(m, ServerMessage::PresenceBroadcast(p)
            if p.user_id.as_str() == alice_wire && p.position == ALICE_SPOT)
    })
    .await?;
    alice.leave().await;
    Ok(())
}
