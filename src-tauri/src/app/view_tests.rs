//! The view, driven by engine events and voice samples with no IO.

use std::collections::BTreeMap;

use sfu_core::roles::Role;
use sfu_core::world::wire::{MediaTopology, WorldId, WorldUserId, ZoneId, ZoneType};

use super::contract::{AppEvent, SessionStatus, Topology, VoicePath};
use super::view::{View, VoiceSample};
use hearth_engine::client::{ClientEvent, MediaEvent, WalkEvent, voice_id};
use hearth_engine::p2p::link::LinkState;
use hearth_engine::voice::{Path, RemoteStatus, UserLevel};
use hearth_engine::world_client::{PeerView, Point, WorldEvent};

const ME: &str = "6f1c9a52-0000-4000-8000-000000000001";
const BOB: &str = "6f1c9a52-0000-4000-8000-000000000002";

fn world(event: WorldEvent) -> ClientEvent {
    ClientEvent::World(event)
}

fn bob() -> PeerView {
    PeerView {
        user_id: WorldUserId::new(BOB),
        display_name: "Bob".into(),
        x: 30.5,
        y: 22.5,
    }
}

/// A view that joined the demo world's open area, with Bob there.
fn joined() -> View {
    let mut view = View::default();
    view.set_session(SessionStatus::Connecting {
        server: "hearth://h:1/join/x".into(),
    });
    view.apply(&world(WorldEvent::Connected {
        user_id: WorldUserId::new(ME),
        display_name: "Ada".into(),
        roles: vec![Role::Admin],
    }));
    let events = view.apply(&world(WorldEvent::WorldState {
        world_id: WorldId::new("w"),
        zone: ZoneId::new("open-area"),
        zone_type: ZoneType::OpenArea,
        topology: MediaTopology::P2pDirect,
        position: Some(Point { x: 28.5, y: 22.5 }),
        peers: vec![bob()],
        world: None,
    }));
    assert!(
        events.contains(&AppEvent::Session(SessionStatus::Connected {
            server: "hearth://h:1/join/x".into()
        }))
    );
    view
}

fn bob_state(view: &View) -> super::contract::PeerState {
    view.peers()
        .into_iter()
        .find(|p| p.user_id == BOB)
        .expect("Bob is there")
}

#[test]
fn joining_shows_me_my_zone_and_the_peers() {
    let view = joined();
    let me = view.me().expect("me");
    assert_eq!((me.display_name.as_str(), me.x, me.y), ("Ada", 28.5, 22.5));
    assert_eq!(me.roles, [Role::Admin]);
    assert_eq!(
        me.topology,
        Topology::Proximity,
        "an open area talks by proximity"
    );
    assert_eq!(bob_state(&view).path, VoicePath::None);
}

#[test]
fn a_link_then_the_sfu_change_how_a_peer_is_heard() {
    let mut view = joined();
    let link = |state, relayed| {
        ClientEvent::Media(MediaEvent::Link {
            peer: WorldUserId::new(BOB),
            state,
            relayed,
        })
    };
    view.apply(&link(LinkState::Connecting, false));
    assert_eq!(
        (bob_state(&view).path, bob_state(&view).connected),
        (VoicePath::P2p, false)
    );
    view.apply(&link(LinkState::Connected, true));
    assert_eq!(
        (bob_state(&view).path, bob_state(&view).connected),
        (VoicePath::Turn, true)
    );
    // The SFU copy plays: the peer is heard through the SFU even while the link lingers.
    let bob_voice = voice_id(&WorldUserId::new(BOB)).expect("a UUID");
    let sample = VoiceSample {
        remote: BTreeMap::from([(
            bob_voice,
            RemoteStatus {
                heard: Some(Path::Sfu),
                paths: vec![Path::P2p, Path::Sfu],
            },
        )]),
        levels: BTreeMap::from([(
            bob_voice,
            UserLevel {
                level: 0.3,
                speaking: true,
            },
        )]),
        ..VoiceSample::default()
    };
    let events = view.sample(&sample);
    assert_eq!(bob_state(&view).path, VoicePath::Sfu);
    assert!(bob_state(&view).speaking);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AppEvent::Levels { peers, .. } if peers.get(BOB) == Some(&0.3)))
    );
    // Nothing changed: only the levels are sent again.
    let again = view.sample(&sample);
    assert!(
        again.iter().all(|e| matches!(e, AppEvent::Levels { .. })),
        "{again:?}"
    );
}

#[test]
fn presence_moderation_and_leaving_peers() {
    let mut view = joined();
    view.apply(&world(WorldEvent::Presence {
        user_id: WorldUserId::new(BOB),
        x: 31.0,
        y: 23.0,
    }));
    assert_eq!((bob_state(&view).x, bob_state(&view).y), (31.0, 23.0));
    view.apply(&world(WorldEvent::UserMuted {
        user_id: WorldUserId::new(BOB),
        muted: true,
        duration: Some(60),
    }));
    assert!(bob_state(&view).server_muted);
    view.apply(&world(WorldEvent::UserMuted {
        user_id: WorldUserId::new(ME),
        muted: true,
        duration: None,
    }));
    assert!(view.self_voice().server_muted, "a moderator muted me");
    let left = view.apply(&world(WorldEvent::PeerLeft {
        user_id: WorldUserId::new(BOB),
    }));
    assert_eq!(
        left,
        vec![AppEvent::PeerLeft {
            user_id: BOB.into()
        }]
    );
    assert!(view.peers().is_empty());
}

#[test]
fn losing_the_world_reconnects_then_fails_and_forgets_it() {
    let mut view = joined();
    let events = view.apply(&world(WorldEvent::Reconnecting {
        attempt: 1,
        delay_ms: 1500,
        reason: "socket closed".into(),
    }));
    assert_eq!(
        events,
        vec![AppEvent::Session(SessionStatus::Reconnecting {
            attempt: 1,
            in_secs: 1.5,
            error: "socket closed".into()
        })]
    );
    view.apply(&world(WorldEvent::Closed {
        code: None,
        reason: "gave up after 10 tries".into(),
    }));
    assert_eq!(
        view.session(),
        &SessionStatus::Failed {
            error: "gave up after 10 tries".into()
        }
    );
    assert!(view.me().is_none() && view.peers().is_empty());
}

#[test]
fn a_correction_moves_me_back() {
    let mut view = joined();
    let events = view.apply(&ClientEvent::Walk(WalkEvent::Moved { x: 29.0, y: 22.5 }));
    assert!(
        matches!(&events[..], [AppEvent::Me { me }] if (me.x, me.y) == (29.0, 22.5)),
        "a step of the client's walk moves me: {events:?}"
    );
    view.apply(&world(WorldEvent::Corrected {
        x: 28.5,
        y: 22.5,
        reason: sfu_core::world::wire::CorrectionReason::Collision,
    }));
    let me = view.me().expect("me");
    assert_eq!((me.x, me.y), (28.5, 22.5));
}
