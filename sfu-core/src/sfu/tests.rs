//! Deterministic tests of the SFU core's negotiation: explicit time, str0m peers as clients,
//! no sockets.

use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaKind};

use super::*;
use crate::auth::{SfuTokenRequest, SfuTokenVerifier, mint_sfu_token};
use crate::perms::Permissions;
use crate::signal::{ClientMessage, Join, JoinAck, ServerMessage, SessionDescription};

const SECRET: &[u8] = b"unit-secret";
const UNIX0: i64 = 1_700_000_000_000;

/// A join token for `user` in `channel`, issued at `iat` (unix seconds).
fn token_issued(user: i64, channel: i64, perms: Permissions, iat: i64) -> String {
    let request = SfuTokenRequest {
        user: UserId(user),
        channel: ChannelId(channel),
        perms,
        moved: false,
        ttl_secs: 600,
    };
    mint_sfu_token(SECRET, "hearth", &request, iat)
}

struct Harness {
    sfu: Sfu,
    t0: Instant,
    ms: u64,
    outputs: Vec<Output>,
}

impl Harness {
    fn new() -> Self {
        Self::with_max_peers(256)
    }

    fn with_max_peers(max: usize) -> Self {
        let addr = "127.0.0.1:5000".parse().expect("literal address");
        let mut config = SfuConfig::new(vec![addr], SfuTokenVerifier::new(SECRET, "hearth"));
        config.max_channel_peers = max;
        config.minting = Some((SECRET.to_vec(), "hearth".to_owned()));
        Self {
            sfu: Sfu::new(config),
            t0: Instant::now(),
            ms: 0,
            outputs: Vec::new(),
        }
    }

    fn now(&self) -> Now {
        Now {
            instant: self.t0 + Duration::from_millis(self.ms),
            unix_ms: UNIX0 + self.ms as i64,
        }
    }

    fn advance(&mut self, ms: u64) {
        self.ms += ms;
        let now = self.now().instant;
        self.sfu.handle_timeout(now);
        self.collect();
    }

    fn collect(&mut self) {
        while let Some(o) = self.sfu.poll_output() {
            self.outputs.push(o);
        }
    }

    fn join(&mut self, conn: u64, user: i64, channel: i64) {
        self.join_as(conn, user, channel, Permissions::MOVED_GRANT);
    }

    fn join_as(&mut self, conn: u64, user: i64, channel: i64, perms: Permissions) {
        let token = token_issued(user, channel, perms, UNIX0 / 1000);
        self.join_with(conn, channel, token);
    }

    fn join_with(&mut self, conn: u64, channel: i64, token: String) {
        let now = self.now();
        self.sfu.handle_join(
            now,
            ConnId(conn),
            Join {
                channel: ChannelId(channel),
                token,
            },
        );
        self.collect();
    }

    fn send(&mut self, conn: u64, message: ClientMessage) {
        let now = self.now();
        self.sfu.handle_message(now, ConnId(conn), message);
        self.collect();
    }

    /// Takes the signaling messages sent to `conn` so far.
    fn take_for(&mut self, conn: u64) -> Vec<ServerMessage> {
        let mut taken = Vec::new();
        self.outputs.retain(|o| match o {
            Output::Signal { conn: c, message } if c.0 == conn => {
                taken.push(message.clone());
                false
            }
            _ => true,
        });
        taken
    }

    /// Marks `conn`'s tracks as carrying media, as their first packet does.
    fn sound(&mut self, conn: u64) {
        let now = self.now().instant;
        let keys: Vec<TrackKey> = self
            .sfu
            .tracks
            .keys()
            .filter(|k| k.conn == ConnId(conn))
            .copied()
            .collect();
        for key in keys {
            self.sfu.mark_heard(now, key);
        }
        self.collect();
    }

    fn offers_for(&mut self, conn: u64) -> Vec<String> {
        self.take_for(conn)
            .into_iter()
            .filter_map(|m| match m {
                ServerMessage::Offer(o) => Some(o.sdp),
                _ => None,
            })
            .collect()
    }
}

/// A client that answers like a browser that adds a microphone: sendonly on our recvonly m-line.
fn client_answer(client: &mut Rtc, offer: &str) -> String {
    let offer = SdpOffer::from_sdp_string(offer).expect("the SFU's offer parses");
    let answer: SdpAnswer = client
        .sdp_api()
        .accept_offer(offer)
        .expect("the client accepts the SFU's offer");
    answer.to_sdp_string()
}

fn answer(sdp: String) -> ClientMessage {
    ClientMessage::Answer(SessionDescription::new(sdp))
}

/// Joins `conn` as `user` and completes its first offer/answer.
fn join_and_answer(h: &mut Harness, conn: u64, user: i64, client: &mut Rtc) {
    h.join(conn, user, 1);
    let acks = h.take_for(conn);
    let offer = acks
        .iter()
        .find_map(|m| match m {
            ServerMessage::Offer(o) => Some(o.sdp.clone()),
            _ => None,
        })
        .expect("an offer right after the join");
    assert_eq!(
        acks.first(),
        Some(&ServerMessage::JoinAck(JoinAck::ok())),
        "the ack comes first"
    );
    let sdp = client_answer(client, &offer);
    h.send(conn, answer(sdp));
    // Its microphone's first packet.
    h.sound(conn);
}

/// Joins `conn` as `user` and completes its first offer/answer; its microphone stays silent.
fn join_and_answer_silent(h: &mut Harness, conn: u64, user: i64, client: &mut Rtc) {
    h.join(conn, user, 1);
    let offer = h
        .offers_for(conn)
        .pop()
        .expect("an offer right after the join");
    let sdp = client_answer(client, &offer);
    h.send(conn, answer(sdp));
}

#[test]
fn a_track_is_offered_to_the_others_only_once_it_carries_media() {
    let mut h = Harness::new();
    let (mut a, mut b) = (new_client(&h), new_client(&h));
    join_and_answer(&mut h, 1, 1, &mut a);
    join_and_answer_silent(&mut h, 2, 2, &mut b);
    h.advance(500);
    assert!(
        h.offers_for(1).is_empty(),
        "a silent microphone renegotiates nobody"
    );
    h.sound(2);
    h.advance(50);
    let offers = h.offers_for(1);
    assert_eq!(offers.len(), 1, "B's first packet opens its m-line at A");
    assert!(offers[0].contains("msid:user-2 "), "{}", offers[0]);
}

#[test]
fn a_joiner_is_offered_only_the_tracks_that_carried_media() {
    let mut h = Harness::new();
    let (mut a, mut b) = (new_client(&h), new_client(&h));
    join_and_answer(&mut h, 1, 1, &mut a);
    join_and_answer_silent(&mut h, 2, 2, &mut b);
    h.join(3, 3, 1);
    let offer = h.offers_for(3).pop().expect("the joiner's offer");
    assert!(offer.contains("msid:user-1 "), "A has spoken: {offer}");
    assert!(!offer.contains("msid:user-2 "), "B never sent: {offer}");
}

fn new_client(h: &Harness) -> Rtc {
    Rtc::new(h.now().instant)
}

#[test]
fn a_new_producer_is_offered_to_the_others_after_the_coalescing_window() {
    let mut h = Harness::new();
    let (mut a, mut b) = (new_client(&h), new_client(&h));
    join_and_answer(&mut h, 1, 1, &mut a);
    join_and_answer(&mut h, 2, 2, &mut b);
    assert!(
        h.offers_for(1).is_empty(),
        "no offer to A before the window closes"
    );
    h.advance(49);
    assert!(h.offers_for(1).is_empty(), "still inside the 50 ms window");
    h.advance(1);
    let offers = h.offers_for(1);
    assert_eq!(offers.len(), 1, "one offer to A when the window closes");
    assert!(
        offers[0].contains("msid:user-2 2-"),
        "A's offer carries B's track as user-2: {}",
        offers[0]
    );
}

#[test]
fn a_burst_of_joins_yields_one_offer() {
    let mut h = Harness::new();
    let mut a = new_client(&h);
    join_and_answer(&mut h, 1, 1, &mut a);
    for (conn, user) in [(2, 2), (3, 3), (4, 4)] {
        let mut c = new_client(&h);
        join_and_answer(&mut h, conn, user, &mut c);
        h.advance(10);
    }
    h.advance(50);
    let offers = h.offers_for(1);
    assert_eq!(
        offers.len(),
        1,
        "three producers within the window: one offer"
    );
    for user in 2..=4 {
        assert!(
            offers[0].contains(&format!("msid:user-{user} ")),
            "offer lacks user {user}"
        );
    }
}

#[test]
fn topology_changes_while_an_offer_is_out_are_offered_after_the_answer() {
    let mut h = Harness::new();
    let (mut a, mut b, mut c) = (new_client(&h), new_client(&h), new_client(&h));
    join_and_answer(&mut h, 1, 1, &mut a);
    join_and_answer(&mut h, 2, 2, &mut b);
    h.advance(50);
    let first = h.offers_for(1);
    assert_eq!(first.len(), 1);
    // C starts producing while A has not answered.
    join_and_answer(&mut h, 3, 3, &mut c);
    h.advance(100);
    assert!(
        h.offers_for(1).is_empty(),
        "only a stable peer gets an offer"
    );
    let sdp = client_answer(&mut a, &first[0]);
    h.send(1, answer(sdp));
    h.advance(0);
    let next = h.offers_for(1);
    assert_eq!(next.len(), 1, "a new offer follows the answer at once");
    assert!(
        next[0].contains("msid:user-3 "),
        "the follow-up carries C's track"
    );
}

#[test]
fn on_glare_the_sfu_rolls_back_and_answers_then_offers_again() {
    let mut h = Harness::new();
    let mut a = new_client(&h);
    join_and_answer(&mut h, 1, 1, &mut a);
    // B joins: the SFU's offer to B is out; B's client offers on its own instead.
    h.join(2, 2, 1);
    let sfu_offer = h.offers_for(2);
    assert_eq!(sfu_offer.len(), 1);
    let mut b = new_client(&h);
    let mut api = b.sdp_api();
    api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, pending) = api.apply().expect("the client has a change to offer");
    h.send(
        2,
        ClientMessage::Offer(SessionDescription::new(offer.to_sdp_string())),
    );
    let replies = h.take_for(2);
    let answer_sdp = replies
        .iter()
        .find_map(|m| match m {
            ServerMessage::Answer(a) => Some(a.sdp.clone()),
            _ => None,
        })
        .expect("the SFU answers the client's offer");
    let answer = SdpAnswer::from_sdp_string(&answer_sdp).expect("the SFU's answer parses");
    b.sdp_api()
        .accept_answer(pending, answer)
        .expect("the client accepts the answer");
    let again: Vec<String> = replies
        .iter()
        .skip_while(|m| !matches!(m, ServerMessage::Answer(_)))
        .filter_map(|m| match m {
            ServerMessage::Offer(o) => Some(o.sdp.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        again.len(),
        1,
        "the rolled-back offer is made again right after the answer"
    );
    assert!(
        again[0].contains("msid:user-1 "),
        "the new offer carries A's track again"
    );
    client_answer(&mut b, &again[0]);
}

#[test]
fn a_departed_producer_is_stopped_in_the_next_offer() {
    let mut h = Harness::new();
    let (mut a, mut b) = (new_client(&h), new_client(&h));
    join_and_answer(&mut h, 1, 1, &mut a);
    join_and_answer(&mut h, 2, 2, &mut b);
    h.advance(50);
    let offer = h.offers_for(1).pop().expect("offer with B's track");
    let sdp = client_answer(&mut a, &offer);
    h.send(1, answer(sdp));
    h.sfu.handle_disconnect(h.now().instant, ConnId(2));
    h.collect();
    h.advance(50);
    let offer = h.offers_for(1).pop().expect("an offer after B left");
    assert!(
        offer.lines().any(|l| l.starts_with("m=audio 0 ")),
        "B's m-line must be stopped (port 0): {offer}"
    );
    let events: Vec<&SfuEvent> = h
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(events.contains(&&SfuEvent::Left {
        user: UserId(2),
        channel: ChannelId(1),
        reason: LeaveReason::Disconnected
    }));
}

#[test]
fn a_full_channel_refuses_the_join_and_closes() {
    let mut h = Harness::with_max_peers(1);
    h.join(1, 1, 1);
    assert_eq!(
        h.take_for(1).first(),
        Some(&ServerMessage::JoinAck(JoinAck::ok()))
    );
    h.join(2, 2, 1);
    assert_eq!(
        h.take_for(2),
        vec![ServerMessage::JoinAck(JoinAck::rejected(
            crate::signal::JoinErrorCode::Full
        ))],
        "the second join gets `full` and nothing else"
    );
    assert!(
        h.outputs.iter().any(|o| matches!(
            o,
            Output::Close {
                conn: ConnId(2),
                code: 4006,
                ..
            }
        )),
        "a refused join closes with 4006"
    );
    assert_eq!(h.sfu.stats().join_failures.get("full"), Some(&1));
    h.join(3, 3, 2);
    assert_eq!(
        h.take_for(3).first(),
        Some(&ServerMessage::JoinAck(JoinAck::ok())),
        "other channels are not full"
    );
}

fn speaking(user: i64, on: bool) -> ServerMessage {
    ServerMessage::Speaking(crate::signal::UserSpeaking {
        user_id: UserId(user),
        speaking: on,
    })
}

fn says_speaking(on: bool) -> ClientMessage {
    ClientMessage::Speaking(crate::signal::Speaking { speaking: on })
}

#[test]
fn a_late_joiner_learns_who_is_already_speaking() {
    let mut h = Harness::new();
    h.join(1, 10, 1);
    h.join(2, 20, 1);
    h.send(1, says_speaking(true));
    h.take_for(3);
    h.join(3, 30, 1);
    let got = h.take_for(3);
    assert_eq!(
        got.first(),
        Some(&ServerMessage::JoinAck(JoinAck::ok())),
        "the ack comes first"
    );
    assert!(
        got.contains(&speaking(10, true)),
        "the newcomer hears at once that user 10 speaks, got {got:?}"
    );
    assert!(
        !got.contains(&speaking(20, true)),
        "user 20 is silent and is not reported speaking"
    );
}

#[test]
fn an_explicit_speaking_event_is_relayed_even_when_levels_said_so_already() {
    let mut h = Harness::new();
    h.join(1, 10, 1);
    h.join(2, 20, 1);
    h.take_for(2);
    // Level detection (RFC 6464) already calls user 10 speaking.
    if let Some(peer) = h.sfu.peers.get_mut(&ConnId(1)) {
        peer.speaking = true;
    }
    h.send(1, says_speaking(true));
    assert!(
        h.take_for(2).contains(&speaking(10, true)),
        "the client's own \"1\" must reach the others"
    );
    h.send(1, says_speaking(true));
    assert!(
        !h.take_for(2).contains(&speaking(10, true)),
        "a repeated \"1\" changes nothing and is not relayed again"
    );
}

fn move_to(user: i64, channel: i64) -> ClientMessage {
    ClientMessage::Move(crate::signal::MoveUser {
        user: UserId(user),
        channel: ChannelId(channel),
    })
}

fn refused(messages: &[ServerMessage]) -> bool {
    messages.iter().any(|m| {
        matches!(m, ServerMessage::Error(e) if e.code == crate::signal::ErrorCode::PermissionDenied)
    })
}

#[test]
fn a_user_cannot_move_itself_nor_a_moderator_across_channels_without_administrator() {
    let mut h = Harness::new();
    let moderator = Permissions::MOVED_GRANT | Permissions::VOICE_MOVE_MEMBERS;
    h.join_as(1, 1, 7, Permissions::ADMINISTRATOR);
    h.join_as(2, 2, 7, moderator);
    h.join(3, 3, 7);
    h.take_for(1);
    h.take_for(2);
    h.take_for(3);
    // Itself, even as Administrator: refused, still in the channel.
    h.send(1, move_to(1, 9));
    assert!(refused(&h.take_for(1)), "a self-move is refused");
    // MoveMembers in channel 7 says nothing about channel 9.
    h.send(2, move_to(3, 9));
    assert!(
        refused(&h.take_for(2)),
        "no cross-channel move without Administrator"
    );
    assert!(
        !h.take_for(3)
            .iter()
            .any(|m| matches!(m, ServerMessage::Moved(_))),
        "the target saw nothing"
    );
    assert_eq!(h.sfu.channel_users(ChannelId(7)).len(), 3, "nobody left");
}

#[test]
fn a_moved_user_gets_only_the_moved_grant_in_the_destination() {
    let mut h = Harness::new();
    // The target moderates channel 7; moved to 9 it must not moderate there.
    let moderator = Permissions::MOVED_GRANT
        | Permissions::VOICE_MUTE_MEMBERS
        | Permissions::VOICE_MOVE_MEMBERS;
    h.join_as(1, 1, 7, Permissions::ADMINISTRATOR);
    h.join_as(2, 2, 7, moderator);
    h.send(1, move_to(2, 9));
    let token = h
        .take_for(2)
        .into_iter()
        .find_map(|m| match m {
            ServerMessage::Moved(moved) => moved.sfu_token,
            _ => None,
        })
        .expect("a moved=true token for channel 9");
    let grant = SfuTokenVerifier::new(SECRET, "hearth")
        .verify_join(&token, ChannelId(9), UNIX0 / 1000)
        .expect("the token joins channel 9");
    assert_eq!(grant.perms, Permissions::MOVED_GRANT);
    assert!(grant.moved);
}

fn join_refused(messages: &[ServerMessage]) -> Option<crate::signal::JoinErrorCode> {
    messages.iter().find_map(|m| match m {
        ServerMessage::JoinAck(ack) => ack.error,
        _ => None,
    })
}

#[test]
fn a_user_forced_off_a_channel_cannot_rejoin_with_the_token_it_still_holds() {
    let mut h = Harness::new();
    let held = token_issued(5, 7, Permissions::MOVED_GRANT, UNIX0 / 1000);
    h.join_with(1, 7, held.clone());
    assert_eq!(
        join_refused(&h.take_for(1)),
        None,
        "the first join succeeds"
    );
    // Removed from the zone (or kicked from the world), a second later.
    h.advance(1_000);
    let now = h.now();
    assert!(
        h.sfu
            .force_disconnect(now, UserId(5), ChannelId(7), "removed")
    );
    h.collect();
    assert!(h.sfu.channel_users(ChannelId(7)).is_empty());
    h.join_with(2, 7, held);
    assert_eq!(
        join_refused(&h.take_for(2)),
        Some(crate::signal::JoinErrorCode::Unauthorized),
        "the held promotion token is revoked"
    );
    // Walking back in later, the user gets a fresh token: it joins.
    h.advance(1_000);
    let fresh = token_issued(5, 7, Permissions::MOVED_GRANT, h.now().unix_secs());
    h.join_with(3, 7, fresh);
    assert_eq!(
        join_refused(&h.take_for(3)),
        None,
        "a token issued after the removal joins"
    );
    // Another channel is not affected.
    h.join_with(
        4,
        8,
        token_issued(5, 8, Permissions::MOVED_GRANT, UNIX0 / 1000),
    );
    assert_eq!(join_refused(&h.take_for(4)), None);
}

#[test]
fn a_peer_sends_only_the_kinds_it_may_and_a_handful_of_tracks() {
    let mut h = Harness::new();
    // May speak, may not show video.
    h.join_as(
        1,
        1,
        1,
        Permissions::VOICE_CONNECT | Permissions::VOICE_SPEAK,
    );
    h.join(2, 2, 1);
    // What str0m reports as the client's m-lines once media flows (MediaAdded, receiving).
    h.sfu
        .add_track_in(ConnId(1), str0m::media::Mid::from("v"), MediaKind::Video);
    for n in 0..6 {
        let mid = str0m::media::Mid::from(format!("a{n}").as_str());
        h.sfu.add_track_in(ConnId(1), mid, MediaKind::Audio);
    }
    let cap = super::media::MAX_TRACKS_IN;
    assert_eq!(
        h.sfu.stats().tracks_refused,
        1 + (6 - cap) as u64,
        "the video track and the audio tracks past the cap are refused"
    );
    assert_eq!(h.sfu.tracks.len(), cap, "only allowed tracks are forwarded");
    assert!(
        h.sfu
            .tracks
            .values()
            .all(|track| track.kind == MediaKind::Audio),
        "no video from a user without Video"
    );
}

#[test]
fn a_strangers_non_ice_datagrams_are_dropped_without_asking_the_peers() {
    let mut h = Harness::new();
    for conn in 1..=3 {
        h.join(conn, conn as i64, 1);
    }
    let stranger: std::net::SocketAddr = "192.0.2.7:40000".parse().expect("literal");
    let local: std::net::SocketAddr = "127.0.0.1:5000".parse().expect("literal");
    let now = h.now().instant;
    // An RTP-looking packet and a DTLS-looking one from an address no peer owns.
    h.sfu.handle_datagram(now, stranger, local, &[0x80; 60]);
    h.sfu.handle_datagram(now, stranger, local, &[22; 40]);
    assert_eq!(h.sfu.stats().stranger_datagrams, 2);
    assert_eq!(
        h.sfu.channel_users(ChannelId(1)).len(),
        3,
        "nobody was disturbed"
    );
}

#[test]
fn a_peer_gives_a_bounded_number_of_ice_candidates() {
    let mut h = Harness::new();
    h.join(1, 1, 1);
    h.take_for(1);
    let candidate = |port: u16| {
        ClientMessage::Candidate(crate::signal::IceCandidate {
            candidate: format!("candidate:1 1 udp 2130706431 192.0.2.1 {port} typ host"),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
        })
    };
    let cap = super::peer::MAX_REMOTE_CANDIDATES;
    for n in 0..cap {
        h.send(1, candidate(40_000 + n as u16));
    }
    assert!(
        !h.take_for(1)
            .iter()
            .any(|m| matches!(m, ServerMessage::Error(_))),
        "the first {cap} are taken"
    );
    h.send(1, candidate(50_000));
    assert!(
        h.take_for(1).iter().any(|m| matches!(
            m,
            ServerMessage::Error(e) if e.code == crate::signal::ErrorCode::RateLimited
        )),
        "one more is refused"
    );
}

#[test]
fn a_strangers_ice_checks_are_looked_at_up_to_a_budget_per_second() {
    let mut checks = super::media::StrangerChecks::default();
    let t0 = Instant::now();
    let flood: std::net::IpAddr = "192.0.2.7".parse().expect("literal");
    let client: std::net::IpAddr = "192.0.2.8".parse().expect("literal");
    let budget = super::media::STRANGER_CHECKS_PER_SECOND;
    let admitted = (0..budget * 3).filter(|_| checks.admit(t0, flood)).count();
    assert_eq!(
        admitted, budget as usize,
        "a flood gets its budget, no more"
    );
    assert!(checks.admit(t0, client), "another address has its own");
    assert!(
        checks.admit(t0 + Duration::from_secs(1), flood),
        "the next second brings a new budget"
    );
    let local: std::net::IpAddr = "127.0.0.1".parse().expect("literal");
    assert!(
        (0..budget * 3).all(|_| checks.admit(t0, local)),
        "this machine is not capped"
    );
}
