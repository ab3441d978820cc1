use super::*;
use crate::roles::Role;

fn mute(target: Uuid, duration: u64) -> ClientMessage {
    ClientMessage::MuteUser(wire::MuteUser {
        target_user_id: wire::WorldUserId::new(target.to_string()),
        duration,
    })
}

#[test]
fn mutes_need_editor_or_admin_are_enforced_on_the_sfu_and_lift_themselves() {
    let mut h = Harness::new();
    let member = h.join(1, &[Role::Member]);
    let editor = h.join(2, &[Role::Editor]);
    let target = h.join(3, &[Role::Member]);
    for c in [member, editor, target] {
        h.walk(c, 28.5, MEETING_DOORSTEP.1);
        h.walk(c, MEETING_DOORSTEP.0, MEETING_DOORSTEP.1);
        h.walk(c, MEETING_INSIDE.0, MEETING_INSIDE.1 - 1.0);
    }
    h.clear();
    h.send(member.conn, mute(target.id, 30));
    assert_eq!(
        errors(&h.take(member.conn)),
        vec![wire::ErrorCode::PermissionDenied]
    );
    assert!(
        h.take_effects()
            .iter()
            .all(|e| !matches!(e, WorldOutput::SfuMute { .. })),
        "a refused mute changes nothing"
    );

    h.send(editor.conn, mute(target.id, 30));
    assert!(
        h.take(member.conn)
            .iter()
            .any(|m| matches!(m, ServerMessage::UserMuted(u) if u.muted && u.duration == Some(30))),
        "the zone is told"
    );
    let effects = h.take_effects();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, WorldOutput::SfuMute { muted: true, .. })),
        "the mute is enforced on the SFU: {effects:?}"
    );
    h.advance(29_000);
    assert!(
        h.take_effects()
            .iter()
            .all(|e| !matches!(e, WorldOutput::SfuMute { muted: false, .. }))
    );
    h.advance(1_000);
    assert!(
        h.take_effects()
            .iter()
            .any(|e| matches!(e, WorldOutput::SfuMute { muted: false, .. })),
        "lifted after 30 s"
    );
    assert!(
        h.take(target.conn)
            .iter()
            .any(|m| matches!(m, ServerMessage::UserMuted(u) if !u.muted))
    );
}

#[test]
fn only_an_admin_may_kick_and_the_kick_ends_the_sfu_media() {
    let mut h = Harness::new();
    let editor = h.join(1, &[Role::Editor]);
    let admin = h.join(2, &[Role::Admin]);
    let target = h.join(3, &[Role::Member]);
    h.walk(target, 28.5, MEETING_DOORSTEP.1);
    h.walk(target, MEETING_DOORSTEP.0, MEETING_DOORSTEP.1);
    h.walk(target, MEETING_INSIDE.0, MEETING_INSIDE.1);
    h.clear();
    let world_id = wire::WorldId::new(h.server.world().id().to_string());
    let kick = ClientMessage::KickFromWorld(wire::KickFromWorld {
        target_user_id: wire::WorldUserId::new(target.id.to_string()),
        world_id,
    });
    h.send(editor.conn, kick.clone());
    assert_eq!(
        errors(&h.take(editor.conn)),
        vec![wire::ErrorCode::PermissionDenied],
        "an Editor may not kick"
    );
    assert_eq!(h.server.user_count(), 3);
    h.send(admin.conn, kick);
    let to_target = h.take(target.conn);
    assert_eq!(
        errors(&to_target),
        vec![wire::ErrorCode::PermissionDenied],
        "the target gets an ERROR first"
    );
    let effects = h.take_effects();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, WorldOutput::SfuDisconnect { reason, .. } if reason == "kicked")),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, WorldOutput::Close { conn, code: 4010, .. } if *conn == target.conn)
        )
    );
    assert_eq!(h.server.user_count(), 2);
}

#[test]
fn remove_from_zone_sends_the_target_to_an_open_area_spawn() {
    let mut h = Harness::new();
    let editor = h.join(1, &[Role::Editor]);
    let admin = h.join(2, &[Role::Admin]);
    let target = h.join(3, &[Role::Member]);
    h.walk(target, TEAM_SPOT.0, TEAM_SPOT.1);
    h.clear();
    let remove = ClientMessage::RemoveFromZone(wire::RemoveFromZone {
        target_user_id: wire::WorldUserId::new(target.id.to_string()),
        zone_id: wire::ZoneId::new("team-area"),
    });
    h.send(editor.conn, remove.clone());
    assert_eq!(
        errors(&h.take(editor.conn)),
        vec![wire::ErrorCode::PermissionDenied],
        "only an Admin removes"
    );
    h.send(admin.conn, remove);
    let got = names(&h.take(target.conn));
    assert!(
        got.contains(&"POSITION_CORRECTION") && got.contains(&"ZONE_TRANSITIONED"),
        "{got:?}"
    );
    assert_eq!(h.zone_of(target), "open-area");
}
