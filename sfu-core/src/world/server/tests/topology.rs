use super::*;
use crate::auth::SfuTokenVerifier;
use crate::roles::Role;

fn promotions(messages: &[ServerMessage]) -> Vec<wire::PromoteToSfu> {
    messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::PromoteToSfu(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_ninth_user_in_a_team_area_promotes_everyone_with_their_own_token() {
    let mut h = Harness::new();
    let mut users = Vec::new();
    for n in 1..=9u128 {
        let role = if n == 1 { Role::Admin } else { Role::Member };
        let c = h.join(n, &[role]);
        h.walk(c, 10.5 + (n as f64), 22.5);
        users.push(c);
        if n < 9 {
            assert!(promotions(&h.take(c.conn)).is_empty(), "{n} users stay P2P");
        }
    }
    let verifier = SfuTokenVerifier::new(SECRET, "hearth");
    let mut channels = Vec::new();
    for c in &users {
        let got = promotions(&h.take(c.conn));
        assert_eq!(
            got.len(),
            1,
            "user {} gets exactly one PROMOTE_TO_SFU",
            c.id
        );
        let p = &got[0];
        assert_eq!(p.zone_id.as_str(), "team-area");
        let channel = p.channel_id.expect("channel id extension");
        let grant = verifier
            .verify_join(&p.sfu_token, channel, h.now().unix_secs())
            .expect("the token joins that channel");
        assert_eq!(grant.user, super::super::convert::sfu_user(c.id));
        channels.push(channel);
    }
    channels.dedup();
    assert_eq!(channels.len(), 1, "one channel for the zone");
    let admin = verifier
        .verify_join(
            &promotions_for_fresh(&mut h, users[0]),
            channels[0],
            h.now().unix_secs(),
        )
        .expect("token");
    assert!(
        admin.perms.allows(crate::perms::Permissions::ADMINISTRATOR),
        "an Admin's token carries Administrator"
    );
    // Leaving does not demote; emptying does. Each who leaves leaves the SFU channel too.
    h.take_effects();
    for c in &users[1..] {
        h.walk(*c, 28.5, 22.5);
        let effects = h.take_effects();
        assert!(
            effects.iter().any(|e| matches!(
                e,
                WorldOutput::SfuDisconnect { user, channel, reason }
                    if *user == super::super::convert::sfu_user(c.id)
                        && *channel == channels[0]
                        && reason == "left the zone"
            )),
            "user {} walked out of the promoted zone: {effects:?}",
            c.id
        );
    }
    assert_eq!(
        h.server
            .media_of(&crate::world::map::ZoneId::new("team-area")),
        super::super::topology::ZoneMedia::Sfu
    );
    h.walk(users[0], 28.5, 22.5);
    assert_eq!(
        h.server
            .media_of(&crate::world::map::ZoneId::new("team-area")),
        super::super::topology::ZoneMedia::P2pGroup,
        "an emptied zone goes back to P2P"
    );
}

/// Asks for a fresh promotion (as after losing the SFU) and returns its token.
fn promotions_for_fresh(h: &mut Harness, c: Client) -> String {
    h.send(
        c.conn,
        ClientMessage::SfuDisconnected(wire::SfuDisconnected {
            zone_id: wire::ZoneId::new("team-area"),
            reason: wire::SfuDisconnectReason::Error,
        }),
    );
    promotions(&h.take(c.conn))
        .pop()
        .expect("SFU_DISCONNECTED gets a fresh PROMOTE_TO_SFU")
        .sfu_token
}

#[test]
fn more_than_thirty_percent_turn_promotes_a_small_group() {
    let mut h = Harness::new();
    let a = h.join(1, &[Role::Member]);
    let b = h.join(2, &[Role::Member]);
    let c = h.join(3, &[Role::Member]);
    for (i, u) in [a, b, c].into_iter().enumerate() {
        h.walk(u, 12.5 + i as f64, 22.5);
    }
    h.clear();
    h.send(
        a.conn,
        ClientMessage::IceFailed(wire::IceFailed {
            peer_id: wire::WorldUserId::new(b.id.to_string()),
        }),
    );
    let got = h.take(a.conn);
    let creds = got.iter().find_map(|m| match m {
        ServerMessage::TurnCredentials(t) => Some(t.clone()),
        _ => None,
    });
    let creds = creds.expect("TURN_CREDENTIALS after ICE_FAILED");
    assert!(crate::auth::verify_turn_credentials(
        b"turn-secret",
        &creds.username,
        &creds.credential,
        h.now().unix_secs()
    ));
    assert!(
        creds.username.ends_with(&format!(":{}", a.id)),
        "coturn REST username: expiry:user"
    );
    assert_eq!(
        promotions(&got).len(),
        1,
        "1 of 3 needing TURN is over 30%: promoted"
    );
}

#[test]
fn a_meeting_room_is_on_the_sfu_from_the_first_step_in() {
    let mut h = Harness::new();
    let a = h.join(1, &[Role::Member]);
    h.walk(a, 28.5, MEETING_DOORSTEP.1);
    h.walk(a, MEETING_DOORSTEP.0, MEETING_DOORSTEP.1);
    h.clear();
    h.walk(a, MEETING_INSIDE.0, MEETING_INSIDE.1);
    let got = names(&h.take(a.conn));
    let at = got
        .iter()
        .position(|n| *n == "ZONE_TRANSITIONED")
        .expect("transitioned");
    assert_eq!(
        got.get(at + 1),
        Some(&"PROMOTE_TO_SFU"),
        "PROMOTE_TO_SFU right after ZONE_TRANSITIONED: {got:?}"
    );
}

#[test]
fn relay_works_within_a_zone_and_is_refused_across_zones() {
    let mut h = Harness::new();
    let a = h.join(1, &[Role::Member]);
    let b = h.join(2, &[Role::Member]);
    let c = h.join(3, &[Role::Member]);
    h.walk(c, TEAM_SPOT.0, TEAM_SPOT.1);
    h.clear();
    let offer = |to: Uuid| wire::SdpToPeer {
        to: wire::WorldUserId::new(to.to_string()),
        sdp: "dj0w".into(),
    };
    h.send(a.conn, ClientMessage::SdpOffer(offer(b.id)));
    let got = h.take(b.conn);
    assert!(
        matches!(&got[..], [ServerMessage::SdpOffer(o)] if o.from.as_str() == a.id.to_string() && o.sdp == "dj0w"),
        "relayed with from set: {got:?}"
    );
    h.send(a.conn, ClientMessage::SdpOffer(offer(c.id)));
    assert_eq!(
        errors(&h.take(a.conn)),
        vec![wire::ErrorCode::PermissionDenied],
        "other zone"
    );
    assert!(h.take(c.conn).is_empty(), "nothing reaches the other zone");
    let candidate = wire::IceToPeer {
        to: wire::WorldUserId::new(a.id.to_string()),
        candidate: serde_json::json!({"candidate": "x"}),
    };
    h.send(b.conn, ClientMessage::IceCandidate(candidate));
    assert!(matches!(
        &h.take(a.conn)[..],
        [ServerMessage::IceCandidate(_)]
    ));
    h.send(
        a.conn,
        ClientMessage::SdpAnswer(offer(Uuid::from_u128(999))),
    );
    assert_eq!(
        errors(&h.take(a.conn)),
        vec![wire::ErrorCode::InvalidRequest],
        "unknown user"
    );
}
