use super::*;
use crate::roles::Role;

fn interact(
    h: &mut Harness,
    c: Client,
    object: &str,
    action: wire::InteractAction,
) -> Vec<ServerMessage> {
    h.send(
        c.conn,
        ClientMessage::InteractRequest(wire::InteractRequest {
            object_id: wire::ObjectId::new(object),
            action,
        }),
    );
    h.take(c.conn)
}

fn granted(messages: &[ServerMessage]) -> Option<wire::LockId> {
    messages.iter().find_map(|m| match m {
        ServerMessage::InteractGranted(g) => Some(g.lock_id.clone()),
        _ => None,
    })
}

fn denied(messages: &[ServerMessage]) -> Option<wire::DenyReason> {
    messages.iter().find_map(|m| match m {
        ServerMessage::InteractDenied(d) => Some(d.reason),
        _ => None,
    })
}

/// chair-1 is at (6.5, 19.5); desk-1 (requires chair-1) at (6.5, 18.5).
fn to_chair(h: &mut Harness, c: Client) {
    h.walk(c, 20.5, 20.5);
    h.walk(c, 7.5, 19.5);
}

#[test]
fn chairs_are_first_come_first_served_and_desks_need_their_chair() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    to_chair(&mut h, alice);
    to_chair(&mut h, bob);
    assert_eq!(
        denied(&interact(
            &mut h,
            alice,
            "desk-1",
            wire::InteractAction::Use
        )),
        Some(wire::DenyReason::Unauthorized),
        "desk before chair"
    );
    let lock = granted(&interact(
        &mut h,
        alice,
        "chair-1",
        wire::InteractAction::Sit,
    ))
    .expect("free chair");
    assert!(
        h.take(bob.conn).iter().any(
            |m| matches!(m, ServerMessage::ObjectOccupied(o) if o.object_id.as_str() == "chair-1")
        ),
        "the zone learns the chair is taken"
    );
    assert_eq!(
        denied(&interact(&mut h, bob, "chair-1", wire::InteractAction::Sit)),
        Some(wire::DenyReason::Occupied)
    );
    assert!(
        granted(&interact(
            &mut h,
            alice,
            "desk-1",
            wire::InteractAction::Use
        ))
        .is_some(),
        "desk with its chair"
    );
    assert_eq!(
        denied(&interact(
            &mut h,
            alice,
            "chair-2",
            wire::InteractAction::Use
        )),
        Some(wire::DenyReason::Invalid),
        "wrong action / too far"
    );
    let missing = interact(&mut h, alice, "no-such-thing", wire::InteractAction::Use);
    assert_eq!(errors(&missing), vec![wire::ErrorCode::ObjectNotFound]);

    // INTERACT_END on the chair frees it and the desk that needed it.
    h.send(
        alice.conn,
        ClientMessage::InteractEnd(wire::InteractEnd {
            object_id: wire::ObjectId::new("chair-1"),
            lock_id: lock,
        }),
    );
    let released: Vec<String> = h
        .take(bob.conn)
        .iter()
        .filter_map(|m| match m {
            ServerMessage::ObjectReleased(r) => Some(r.object_id.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(released, vec!["chair-1".to_owned(), "desk-1".to_owned()]);
    assert!(
        granted(&interact(&mut h, bob, "chair-1", wire::InteractAction::Sit)).is_some(),
        "Bob gets it now"
    );
}

fn released_to(h: &mut Harness, c: Client) -> bool {
    h.take(c.conn)
        .iter()
        .any(|m| matches!(m, ServerMessage::ObjectReleased(_)))
}

#[test]
fn locks_are_released_on_moving_away_zone_change_disconnect_and_silence() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    to_chair(&mut h, alice);
    to_chair(&mut h, bob);

    // Moving away.
    assert!(
        granted(&interact(
            &mut h,
            alice,
            "chair-1",
            wire::InteractAction::Sit
        ))
        .is_some()
    );
    h.take(bob.conn);
    h.walk(alice, 10.5, 19.5);
    assert!(
        released_to(&mut h, bob),
        "walking 4 tiles away releases the chair"
    );

    // Zone change.
    h.walk(alice, 7.5, 19.5);
    assert!(
        granted(&interact(
            &mut h,
            alice,
            "chair-1",
            wire::InteractAction::Sit
        ))
        .is_some()
    );
    h.walk(alice, 7.5, 19.5);
    h.take(bob.conn);
    h.server
        .locks
        .acquire(
            &crate::world::map::ObjectId::new("whiteboard-1"),
            alice.id,
            false,
            Uuid::from_u128(77),
        )
        .ok();
    h.walk(alice, 24.5, 19.5);
    assert!(
        released_to(&mut h, bob),
        "leaving the team area releases everything"
    );
    assert!(h.server.locks.held_by(alice.id).is_empty());

    // Silence: 10 s without presence.
    h.walk(alice, 7.5, 19.5);
    assert!(
        granted(&interact(
            &mut h,
            alice,
            "chair-1",
            wire::InteractAction::Sit
        ))
        .is_some()
    );
    h.take(bob.conn);
    for _ in 0..9 {
        h.advance(1000);
        let (bx, by) = h.position(bob);
        h.presence(bob, bx, by);
    }
    assert!(!released_to(&mut h, bob), "9 s of silence keeps the lock");
    h.advance(1000);
    assert!(released_to(&mut h, bob), "10 s of silence releases it");

    // Disconnect.
    h.presence(alice, 7.5, 19.5);
    assert!(
        granted(&interact(
            &mut h,
            alice,
            "chair-1",
            wire::InteractAction::Sit
        ))
        .is_some()
    );
    h.take(bob.conn);
    h.close(alice.conn);
    assert!(released_to(&mut h, bob), "disconnecting releases the chair");
}
