//! The engine's world client (`hearth_engine::world_client`) against a real host: two users in
//! the same zone, one walks, the other sees it move.

use std::time::Duration;

use anyhow::{Context, bail};
use hearth_e2e::world::world_token;
use hearth_e2e::{WAIT, host};
use hearth_engine::world_client::{WorldClient, WorldEvent};
use sfu_core::roles::Role;
use sfu_core::world::wire::{Position, WorldId};
use tokio::sync::mpsc;

/// Waits for an event matching `pred`, returning it.
pub(crate) async fn expect(
    events: &mut mpsc::Receiver<WorldEvent>,
    what: &str,
    pred: impl Fn(&WorldEvent) -> bool,
) -> anyhow::Result<WorldEvent> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .with_context(|| format!("waited {WAIT:?} for {what}; saw {seen:?}"))?;
        let Some(event) = event else {
            bail!("events ended before {what}; saw {seen:?}");
        };
        if pred(&event) {
            return Ok(event);
        }
        seen.push(event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walking_user_is_seen_moving_by_another_user_of_its_zone() -> anyhow::Result<()> {
    let host = host().await?;
    let url = format!("ws://{}/world", host.http_addr);
    let world_id = WorldId::new(host.world_id.clone());

    let (alice_id, alice_token) = world_token("alice", &[Role::Member]);
    let (alice, mut alice_events) =
        WorldClient::connect(&url, alice_token, world_id.clone()).await?;
    expect(&mut alice_events, "alice's world_state", |e| {
        matches!(e, WorldEvent::WorldState { .. })
    })
    .await?;

    let (bob_id, bob_token) = world_token("bob", &[Role::Member]);
    let (bob, mut bob_events) = WorldClient::connect(&url, bob_token, world_id).await?;
    let state = expect(&mut bob_events, "bob's world_state", |e| {
        matches!(e, WorldEvent::WorldState { .. })
    })
    .await?;
    let WorldEvent::WorldState {
        zone,
        position,
        peers,
        ..
    } = state
    else {
        unreachable!("the predicate matched a world_state");
    };
    assert_eq!(zone.as_str(), "open-area", "both spawn in the open area");
    assert!(
        peers
            .iter()
            .any(|p| p.user_id.as_str() == alice_id.to_string()),
        "bob's snapshot lists alice: {peers:?}"
    );
    let start = position.context("the demo world's spawn point is known")?;
    expect(&mut alice_events, "bob joining", |e| {
        matches!(e, WorldEvent::PeerJoined { user_id, .. } if user_id.as_str() == bob_id.to_string())
    })
    .await?;

    // Bob walks two tiles east at 5 tiles/s, 20 moves a second: the engine sends at most 15.
    let goal = Position::new(start.x + 2.0, start.y);
    for step in 1..=8 {
        let x = start.x + f64::from(step) * 0.25;
        bob.move_to(Position::new(x, start.y)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bob_wire = bob_id.to_string();
    let seen = expect(&mut alice_events, "bob's presence at his goal", |e| {
        matches!(e, WorldEvent::Presence { user_id, x, .. } if user_id.as_str() == bob_wire && (*x - goal.x).abs() < 1e-9)
    })
    .await?;
    assert!(
        matches!(seen, WorldEvent::Presence { y, .. } if (y - goal.y).abs() < 1e-9),
        "bob is seen where he stopped: {seen:?}"
    );

    bob.leave().await;
    expect(
        &mut alice_events,
        "bob leaving",
        |e| matches!(e, WorldEvent::PeerLeft { user_id } if user_id.as_str() == bob_wire),
    )
    .await?;
    let closed = expect(&mut bob_events, "bob's closed event", |e| {
        matches!(e, WorldEvent::Closed { .. })
    })
    .await?;
    assert!(
        matches!(&closed, WorldEvent::Closed { reason, .. } if reason == "left"),
        "{closed:?}"
    );
    alice.leave().await;
    host.shutdown().await;
    Ok(())
}
