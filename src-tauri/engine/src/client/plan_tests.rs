//! Sans-IO tests of [`MediaPlan`]: every input is a method call, time is an explicit `Instant`,
//! and the plan's decisions are read back from `poll_action`.

use std::collections::BTreeMap;

use sfu_core::world::wire::{MediaTopology, ZoneType};

use super::*;

/// This user. Ids compare as strings, so every id is `user-N` with one digit: a lower digit is a
/// lower id and offers first.
fn me() -> WorldUserId {
    WorldUserId::new("user-5")
}

fn user(n: u8) -> WorldUserId {
    WorldUserId::new(format!("user-{n}"))
}

fn at(x: f64, y: f64) -> Position {
    Position::new(x, y)
}

fn zone(name: &str) -> ZoneId {
    ZoneId::new(name)
}

fn media(zone_type: ZoneType, topology: MediaTopology) -> ZoneMedia {
    ZoneMedia {
        zone_type,
        topology,
    }
}

fn open_area() -> ZoneMedia {
    media(ZoneType::OpenArea, MediaTopology::P2pDirect)
}

fn promotion(zone_name: &str) -> Promotion {
    Promotion {
        zone: zone(zone_name),
        channel_id: Some(7),
        sfu_url: "ws://127.0.0.1:1/sfu".into(),
        sfu_token: "token".into(),
    }
}

fn turn_server() -> TurnServer {
    TurnServer {
        urls: vec!["turn:127.0.0.1:3478".into()],
        username: "u".into(),
        credential: "c".into(),
    }
}

fn drain(plan: &mut MediaPlan) -> Vec<PlanAction> {
    std::iter::from_fn(|| plan.poll_action()).collect()
}

/// Links opened: peer -> (offers_first, through TURN).
fn opened(actions: &[PlanAction]) -> BTreeMap<WorldUserId, (bool, bool)> {
    actions
        .iter()
        .filter_map(|a| match a {
            PlanAction::OpenLink {
                peer,
                offers_first,
                turn,
            } => Some((peer.clone(), (*offers_first, turn.is_some()))),
            _ => None,
        })
        .collect()
}

fn closed(actions: &[PlanAction]) -> Vec<WorldUserId> {
    actions
        .iter()
        .filter_map(|a| match a {
            PlanAction::CloseLink { peer, .. } => Some(peer.clone()),
            _ => None,
        })
        .collect()
}

fn sent(actions: &[PlanAction]) -> Vec<ClientMessage> {
    actions
        .iter()
        .filter_map(|a| match a {
            PlanAction::Send(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn joins(actions: &[PlanAction]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, PlanAction::JoinSfu(_)))
        .count()
}

/// The last proximity gain set for `peer` in `actions`.
fn gain(actions: &[PlanAction], peer: &WorldUserId) -> Option<f32> {
    actions.iter().rev().find_map(|a| match a {
        PlanAction::SetProximity { peer: p, gain } if p == peer => Some(*gain),
        _ => None,
    })
}

fn sfu_disconnected(zone_name: &str, reason: SfuDisconnectReason) -> ClientMessage {
    ClientMessage::SfuDisconnected(SfuDisconnected {
        zone_id: zone(zone_name),
        reason,
    })
}

/// A plan standing at the origin of open area `plaza` with `peers` around, actions drained.
fn in_open_area(peers: &[(WorldUserId, Position)]) -> MediaPlan {
    let mut plan = MediaPlan::new(me(), AudioRange::default());
    plan.entered_zone(
        zone("plaza"),
        open_area(),
        Some(at(0.0, 0.0)),
        peers.iter().cloned(),
    );
    drain(&mut plan);
    plan
}

/// A plan in open area `plaza` linked to `user-1` and `user-9` (both Connected), promoted to
/// the SFU and connected to it at `t0`, actions drained.
fn handing_over(t0: Instant) -> MediaPlan {
    let mut plan = in_open_area(&[(user(1), at(1.0, 0.0)), (user(9), at(2.0, 0.0))]);
    plan.link_state(&user(1), LinkState::Connected);
    plan.link_state(&user(9), LinkState::Connected);
    plan.promoted(t0, promotion("plaza"));
    plan.sfu_connected(t0);
    drain(&mut plan);
    plan
}

#[test]
fn entering_an_open_area_links_peers_within_six_tiles_lower_id_offering() {
    let peers = [
        (user(1), at(3.0, 0.0)),
        (user(2), at(0.0, 6.0)),
        (user(7), at(4.0, 4.0)),
        (user(8), at(6.5, 0.0)),
        (user(9), at(30.0, 30.0)),
        (me(), at(0.0, 0.0)),
    ];
    let mut plan = MediaPlan::new(me(), AudioRange::default());
    plan.entered_zone(
        zone("plaza"),
        open_area(),
        Some(at(0.0, 0.0)),
        peers.iter().cloned(),
    );
    let actions = drain(&mut plan);
    let want = BTreeMap::from([
        (user(1), (false, false)),
        (user(2), (false, false)),
        (user(7), (true, false)),
    ]);
    assert_eq!(
        opened(&actions),
        want,
        "links within 6 tiles (5.66 and exactly 6 included, 6.5 and 42 not), direct, the lower id offering"
    );
    assert!(plan.has_link(&user(7)));
    assert!(!plan.has_link(&user(8)), "6.5 tiles is beyond the radius");
    assert!(!plan.has_link(&me()), "never a link to oneself");
    assert_eq!(gain(&actions, &user(1)), Some(1.0), "3 tiles: full volume");
    assert_eq!(gain(&actions, &user(9)), Some(0.0), "far away: silent");
    assert!(sent(&actions).is_empty(), "nothing to tell the server");
    assert_eq!(
        joins(&actions),
        0,
        "an open area on P2P does not join the SFU"
    );
}

#[test]
fn a_peer_walking_past_seven_tiles_is_unlinked_after_fading_out() {
    let peer = user(1);
    let mut plan = in_open_area(&[(peer.clone(), at(2.0, 0.0))]);
    assert!(plan.has_link(&peer));

    plan.peer_moved(&peer, at(5.0, 0.0));
    let actions = drain(&mut plan);
    assert!(
        gain(&actions, &peer).is_none(),
        "5 tiles is still full volume: no change to report"
    );

    plan.peer_moved(&peer, at(5.5, 0.0));
    let actions = drain(&mut plan);
    let g = gain(&actions, &peer).expect("the gain changes between 5 and 6 tiles");
    assert!(
        (g - 0.5).abs() < 1e-6,
        "halfway from 5 to 6 tiles: gain {g}"
    );

    plan.peer_moved(&peer, at(6.5, 0.0));
    let actions = drain(&mut plan);
    assert_eq!(gain(&actions, &peer), Some(0.0), "silent beyond 6 tiles");
    assert!(
        closed(&actions).is_empty() && plan.has_link(&peer),
        "the link survives within the 1-tile hysteresis"
    );

    plan.peer_moved(&peer, at(7.5, 0.0));
    let actions = drain(&mut plan);
    assert_eq!(
        closed(&actions),
        vec![peer.clone()],
        "beyond 7 tiles: closed"
    );
    assert!(!plan.has_link(&peer));
    assert!(opened(&actions).is_empty());

    plan.peer_moved(&peer, at(6.5, 0.0));
    assert!(
        opened(&drain(&mut plan)).is_empty(),
        "coming back to 6.5 tiles does not reopen: new links need 6 tiles"
    );
    plan.moved(at(1.0, 0.0));
    assert_eq!(
        opened(&drain(&mut plan)),
        BTreeMap::from([(peer, (false, false))]),
        "walking towards the peer reopens it"
    );
}

#[test]
fn a_team_area_on_p2p_links_everyone_at_full_volume() {
    let peers = [(user(1), at(1.0, 0.0)), (user(9), at(40.0, 40.0))];
    let mut plan = MediaPlan::new(me(), AudioRange::default());
    plan.entered_zone(
        zone("team"),
        media(ZoneType::TeamArea, MediaTopology::P2pDirect),
        Some(at(0.0, 0.0)),
        peers.iter().cloned(),
    );
    let actions = drain(&mut plan);
    assert_eq!(
        opened(&actions),
        BTreeMap::from([(user(1), (false, false)), (user(9), (true, false))]),
        "a team area links the whole zone, however far"
    );
    assert_eq!(gain(&actions, &user(9)), Some(1.0), "no proximity fading");
    plan.peer_moved(&user(9), at(80.0, 0.0));
    assert!(
        closed(&drain(&mut plan)).is_empty(),
        "distance never closes"
    );
}

#[test]
fn a_promotion_for_this_zone_joins_the_sfu_and_keeps_the_links() {
    let t0 = Instant::now();
    let mut plan = in_open_area(&[(user(1), at(1.0, 0.0)), (user(9), at(2.0, 0.0))]);
    plan.promoted(t0, promotion("plaza"));
    let actions = drain(&mut plan);
    assert_eq!(actions, vec![PlanAction::JoinSfu(promotion("plaza"))]);
    assert!(!plan.on_sfu(), "joining is not connected yet");

    plan.tick(t0 + Duration::from_secs(1), |_| false);
    plan.peer_moved(&user(9), at(30.0, 0.0));
    let actions = drain(&mut plan);
    assert!(
        closed(&actions).is_empty(),
        "make before break: links stay while the SFU is joining"
    );
    assert!(opened(&actions).is_empty());
    assert!(plan.has_link(&user(1)) && plan.has_link(&user(9)));

    plan.promoted(t0 + Duration::from_secs(2), promotion("plaza"));
    assert_eq!(
        joins(&drain(&mut plan)),
        0,
        "already joining: no second join"
    );

    plan.peer_left(&user(9));
    assert_eq!(
        closed(&drain(&mut plan)),
        vec![user(9)],
        "a peer who left the zone loses its link even before the handover"
    );
}

#[test]
fn a_promotion_for_another_zone_is_ignored() {
    let t0 = Instant::now();
    let mut plan = in_open_area(&[(user(1), at(1.0, 0.0))]);
    plan.promoted(t0, promotion("elsewhere"));
    assert!(drain(&mut plan).is_empty(), "not this user's zone");
    plan.tick(t0 + HANDOVER_GRACE * 2, |_| true);
    assert!(drain(&mut plan).is_empty(), "still plain P2P");
    assert!(plan.has_link(&user(1)));
    assert!(plan.offer_arrived(&user(1)), "the zone is still on P2P");
}

#[test]
fn links_close_only_once_each_peer_is_heard_via_the_sfu() {
    let t0 = Instant::now();
    let mut plan = in_open_area(&[(user(1), at(1.0, 0.0)), (user(9), at(2.0, 0.0))]);
    plan.promoted(t0, promotion("plaza"));
    drain(&mut plan);

    let t1 = t0 + Duration::from_millis(300);
    plan.sfu_connected(t1);
    let actions = drain(&mut plan);
    assert_eq!(
        sent(&actions),
        vec![ClientMessage::SfuConnected(SfuConnected {
            zone_id: zone("plaza"),
        })]
    );
    assert!(
        closed(&actions).is_empty(),
        "connecting alone closes nothing"
    );
    assert!(plan.on_sfu());
    assert_eq!(plan.poll_timeout(), Some(t1 + HANDOVER_GRACE));

    plan.tick(t1 + Duration::from_millis(100), |_| false);
    assert!(
        closed(&drain(&mut plan)).is_empty(),
        "nobody heard through the SFU yet: every link stays"
    );

    plan.tick(t1 + Duration::from_millis(200), |p| *p == user(9));
    let actions = drain(&mut plan);
    assert_eq!(
        closed(&actions),
        vec![user(9)],
        "only the peer heard via the SFU"
    );
    assert!(plan.has_link(&user(1)));
    assert!(!plan.has_link(&user(9)));
    assert!(opened(&actions).is_empty(), "no link reopens on the SFU");

    plan.tick(t1 + Duration::from_millis(300), |_| true);
    assert_eq!(closed(&drain(&mut plan)), vec![user(1)]);
    assert_eq!(plan.poll_timeout(), None, "no links left: nothing to time");
}

#[test]
fn links_close_after_the_handover_grace_even_if_never_heard() {
    let t0 = Instant::now();
    let mut plan = handing_over(t0);
    plan.tick(t0 + HANDOVER_GRACE - Duration::from_millis(1), |_| false);
    assert!(
        closed(&drain(&mut plan)).is_empty(),
        "still within the grace"
    );
    plan.tick(t0 + HANDOVER_GRACE, |_| false);
    let mut gone = closed(&drain(&mut plan));
    gone.sort();
    assert_eq!(
        gone,
        vec![user(1), user(9)],
        "grace over: a silent peer's link closes too"
    );
    plan.tick(t0 + HANDOVER_GRACE * 2, |_| false);
    assert!(drain(&mut plan).is_empty(), "nothing left to do");
}

#[test]
fn a_meeting_room_opens_no_links() {
    let mut plan = MediaPlan::new(me(), AudioRange::default());
    plan.entered_zone(
        zone("meeting"),
        media(ZoneType::MeetingRoom, MediaTopology::P2pDirect),
        Some(at(0.0, 0.0)),
        [(user(1), at(1.0, 0.0)), (user(9), at(1.0, 1.0))],
    );
    let actions = drain(&mut plan);
    assert!(
        opened(&actions).is_empty(),
        "a meeting room is always on the SFU"
    );
    assert_eq!(
        gain(&actions, &user(1)),
        Some(1.0),
        "no proximity in a room"
    );
    plan.peer_joined(user(2), at(0.5, 0.0));
    plan.tick(Instant::now(), |_| false);
    assert!(opened(&drain(&mut plan)).is_empty());
    assert!(!plan.offer_arrived(&user(1)), "offers are refused too");
    assert!(drain(&mut plan).is_empty());
}

#[test]
fn offers_in_an_sfu_zone_are_refused() {
    let t0 = Instant::now();
    let mut plan = handing_over(t0);
    assert!(
        !plan.offer_arrived(&user(1)),
        "a promoted zone takes no P2P offers"
    );
    assert!(
        drain(&mut plan).is_empty(),
        "the existing link is neither replaced nor closed by a refused offer"
    );
    assert!(plan.has_link(&user(1)));
}

#[test]
fn leaving_an_sfu_zone_leaves_the_sfu_manually() {
    let t0 = Instant::now();
    let mut plan = handing_over(t0);
    plan.tick(t0 + HANDOVER_GRACE, |_| true);
    drain(&mut plan);
    plan.entered_zone(
        zone("corridor"),
        open_area(),
        None,
        [(user(1), at(1.0, 0.0))],
    );
    let actions = drain(&mut plan);
    assert_eq!(
        actions[..2],
        [
            PlanAction::LeaveSfu,
            PlanAction::Send(sfu_disconnected("plaza", SfuDisconnectReason::Manual)),
        ],
        "leave first, then tell the server, for the zone left"
    );
    assert!(!plan.on_sfu());
    assert_eq!(
        opened(&actions),
        BTreeMap::from([(user(1), (false, false))]),
        "the new open area links again, at the position kept from before"
    );
}

#[test]
fn an_sfu_error_is_reported_and_the_rejoin_waits_for_a_backoff() {
    let t0 = Instant::now();
    let mut plan = handing_over(t0);
    plan.sfu_ended(false);
    let actions = drain(&mut plan);
    assert_eq!(
        actions,
        vec![PlanAction::Send(sfu_disconnected(
            "plaza",
            SfuDisconnectReason::Error
        ))]
    );
    assert!(!plan.on_sfu());
    assert!(
        plan.has_link(&user(1)),
        "links not yet handed over stay while the SFU is down"
    );

    let t1 = t0 + Duration::from_millis(50);
    plan.promoted(t1, promotion("plaza"));
    assert_eq!(joins(&drain(&mut plan)), 0, "not at once after a failure");
    assert_eq!(plan.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    plan.tick(t1 + Duration::from_millis(999), |_| false);
    assert_eq!(joins(&drain(&mut plan)), 0, "the backoff is 1 s");
    plan.tick(t1 + Duration::from_secs(1), |_| false);
    assert_eq!(
        drain(&mut plan),
        vec![PlanAction::JoinSfu(promotion("plaza"))],
        "the tick at the deadline joins"
    );

    // Failing again before connecting doubles the wait.
    plan.sfu_ended(false);
    drain(&mut plan);
    let t2 = t1 + Duration::from_secs(2);
    plan.promoted(t2, promotion("plaza"));
    assert_eq!(plan.poll_timeout(), Some(t2 + Duration::from_secs(2)));
    plan.tick(t2 + Duration::from_secs(2), |_| false);
    assert_eq!(joins(&drain(&mut plan)), 1);
}

#[test]
fn a_kicked_user_never_rejoins_the_sfu_in_that_zone() {
    let t0 = Instant::now();
    let mut plan = handing_over(t0);
    plan.sfu_ended(true);
    assert!(
        sent(&drain(&mut plan)).is_empty(),
        "a kick is not a connection error to report"
    );
    for s in [1, 5, 60] {
        let t = t0 + Duration::from_secs(s);
        plan.promoted(t, promotion("plaza"));
        plan.tick(t, |_| false);
        assert_eq!(joins(&drain(&mut plan)), 0, "barred from this zone's SFU");
    }
    assert_eq!(plan.poll_timeout(), None);

    plan.entered_zone(
        zone("meeting"),
        media(ZoneType::MeetingRoom, MediaTopology::Sfu),
        None,
        [],
    );
    drain(&mut plan);
    plan.promoted(t0 + Duration::from_secs(61), promotion("meeting"));
    assert_eq!(joins(&drain(&mut plan)), 1, "the bar is for one zone only");
}

#[test]
fn a_failed_link_asks_for_turn_once_and_reopens_through_it() {
    let peer = user(1);
    let mut plan = in_open_area(&[(peer.clone(), at(1.0, 0.0))]);
    plan.link_state(&peer, LinkState::Failed);
    let actions = drain(&mut plan);
    assert_eq!(closed(&actions), vec![peer.clone()]);
    assert_eq!(
        sent(&actions),
        vec![ClientMessage::IceFailed(IceFailed {
            peer_id: peer.clone(),
        })]
    );
    assert!(!plan.has_link(&peer));

    // Replanning while waiting for TURN neither reopens directly nor asks again.
    plan.peer_moved(&peer, at(2.0, 0.0));
    plan.moved(at(0.5, 0.0));
    plan.tick(Instant::now(), |_| false);
    plan.link_state(&peer, LinkState::Failed);
    let actions = drain(&mut plan);
    assert!(opened(&actions).is_empty(), "waiting for TURN credentials");
    assert!(sent(&actions).is_empty(), "ICE_FAILED is sent once");

    plan.turn_credentials(turn_server());
    let actions = drain(&mut plan);
    assert_eq!(
        actions,
        vec![PlanAction::OpenLink {
            peer: peer.clone(),
            offers_first: false,
            turn: Some(turn_server()),
        }]
    );
    assert!(plan.has_link(&peer));
}

#[test]
fn a_link_failing_through_turn_is_not_reopened() {
    let peer = user(9);
    let mut plan = in_open_area(&[(peer.clone(), at(1.0, 0.0))]);
    plan.link_state(&peer, LinkState::Failed);
    plan.turn_credentials(turn_server());
    drain(&mut plan);

    plan.link_state(&peer, LinkState::Failed);
    let actions = drain(&mut plan);
    assert_eq!(closed(&actions), vec![peer.clone()]);
    assert!(opened(&actions).is_empty(), "TURN failed too: unreachable");
    assert!(sent(&actions).is_empty(), "no second ICE_FAILED");

    plan.peer_moved(&peer, at(2.0, 0.0));
    plan.tick(Instant::now(), |_| false);
    plan.turn_credentials(turn_server());
    assert!(
        opened(&drain(&mut plan)).is_empty(),
        "not retried in this zone"
    );
    assert!(
        plan.offer_arrived(&peer),
        "an unreachable peer's own offer is still taken"
    );
    let actions = drain(&mut plan);
    assert!(
        matches!(&actions[..], [PlanAction::OpenLink { peer: p, turn: Some(_), .. }] if *p == peer),
        "the answering link goes through TURN: {actions:?}"
    );
}

#[test]
fn later_links_to_a_peer_whose_direct_link_failed_use_turn() {
    let peer = user(1);
    let mut plan = in_open_area(&[(peer.clone(), at(1.0, 0.0))]);
    plan.link_state(&peer, LinkState::Failed);
    plan.turn_credentials(turn_server());
    drain(&mut plan);

    plan.peer_moved(&peer, at(20.0, 0.0));
    assert_eq!(closed(&drain(&mut plan)), vec![peer.clone()]);
    plan.peer_moved(&peer, at(1.0, 0.0));
    assert_eq!(
        opened(&drain(&mut plan)),
        BTreeMap::from([(peer, (false, true))]),
        "the direct path is known to fail in this zone: go through TURN at once"
    );
}

#[test]
fn an_offer_from_an_unlinked_peer_opens_an_answering_link() {
    // user-1 stands 6.5 tiles away: too far for us to open, but it may still call.
    let peer = user(1);
    let mut plan = in_open_area(&[(peer.clone(), at(6.5, 0.0))]);
    assert!(!plan.has_link(&peer));
    assert!(plan.offer_arrived(&peer), "hand the offer to the new link");
    assert_eq!(
        drain(&mut plan),
        vec![PlanAction::OpenLink {
            peer: peer.clone(),
            offers_first: false,
            turn: None,
        }],
        "the lower id offered: we answer"
    );
    assert!(plan.has_link(&peer));

    assert!(
        plan.offer_arrived(&peer),
        "a connecting link takes the offer"
    );
    assert!(
        drain(&mut plan).is_empty(),
        "no new link for a connecting one"
    );

    assert!(
        !plan.offer_arrived(&user(3)),
        "an offer from someone not in the zone is refused"
    );
    assert!(drain(&mut plan).is_empty());
}

#[test]
fn an_offer_on_a_connected_link_replaces_it() {
    let peer = user(1);
    let mut plan = in_open_area(&[(peer.clone(), at(1.0, 0.0))]);
    plan.link_state(&peer, LinkState::Connected);
    assert!(plan.offer_arrived(&peer));
    let actions = drain(&mut plan);
    assert_eq!(
        actions,
        vec![
            PlanAction::CloseLink {
                peer: peer.clone(),
                reason: "replaced",
            },
            PlanAction::OpenLink {
                peer: peer.clone(),
                offers_first: false,
                turn: None,
            },
        ],
        "the peer reconnected: close the old link, then open a fresh one"
    );
    assert!(plan.has_link(&peer));
}

#[test]
fn a_link_closed_by_the_peer_reopens_while_still_wanted() {
    let peer = user(9);
    let mut plan = in_open_area(&[(peer.clone(), at(1.0, 0.0))]);
    plan.link_state(&peer, LinkState::Closed);
    assert_eq!(closed(&drain(&mut plan)), vec![peer.clone()]);
    plan.tick(Instant::now(), |_| false);
    assert_eq!(
        opened(&drain(&mut plan)),
        BTreeMap::from([(peer, (true, false))])
    );
}

#[test]
fn relay_only_asks_for_credentials_on_entering_and_opens_every_link_through_turn() {
    let mut plan = MediaPlan::new(me(), AudioRange::default());
    plan.set_relay_only(true);
    plan.entered_zone(
        zone("open-area"),
        open_area(),
        Some(at(10.0, 10.0)),
        [(user(1), at(11.0, 10.0)), (user(2), at(10.0, 12.0))],
    );
    let actions = drain(&mut plan);
    assert_eq!(
        sent(&actions),
        vec![ClientMessage::IceFailed(IceFailed { peer_id: me() })],
        "credentials are asked for at once, naming the user itself"
    );
    assert!(
        opened(&actions).is_empty(),
        "no link before the credentials: a direct one would show the address"
    );
    plan.turn_credentials(turn_server());
    let links = opened(&drain(&mut plan));
    assert_eq!(links.len(), 2, "both neighbours, once the credentials came");
    assert!(
        links.values().all(|(_, turn)| *turn),
        "every link through TURN"
    );

    // A peer arriving later gets a relayed link at once; a new zone asks again (it counts this
    // user as a TURN user for its promotion rule).
    plan.peer_joined(user(3), at(11.0, 11.0));
    let late = drain(&mut plan);
    assert_eq!(opened(&late).get(&user(3)).map(|o| o.1), Some(true));
    plan.entered_zone(zone("team-area"), open_area(), Some(at(30.0, 30.0)), []);
    assert_eq!(
        sent(&drain(&mut plan)),
        vec![ClientMessage::IceFailed(IceFailed { peer_id: me() })]
    );
}
