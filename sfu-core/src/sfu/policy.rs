//! Who may hear whom in a channel: the forwarding rule and the channel state that outlives its
//! members (blocks, server mutes, deafens).

use std::collections::{HashMap, HashSet};

use str0m::media::MediaKind;

use crate::ids::{ChannelId, UserId};
use crate::perms::Permissions;

/// Moderation state of one channel. It is kept while the host runs, not only while the channel
/// has members, so leaving and rejoining does not lift a block, a server mute or a deafen.
#[derive(Debug, Default)]
pub struct ChannelPolicy {
    blocked: HashSet<UserId>,
    /// Users whose tokens issued up to this unix second no longer join (kicked from the world,
    /// removed from the zone, gone from it): a token still held is worth nothing.
    revoked: std::collections::HashMap<UserId, i64>,
    server_muted: HashSet<UserId>,
    deafened: HashSet<UserId>,
}

impl ChannelPolicy {
    pub fn is_blocked(&self, user: UserId) -> bool {
        self.blocked.contains(&user)
    }

    /// Refuses `user`'s tokens issued at or before `at_unix` from now on.
    pub fn revoke(&mut self, user: UserId, at_unix: i64) {
        let at = self.revoked.entry(user).or_insert(at_unix);
        *at = (*at).max(at_unix);
    }

    /// Whether a token of `user` issued at `issued_at` (unix seconds; None: unknown) was revoked.
    pub fn is_revoked(&self, user: UserId, issued_at: Option<i64>) -> bool {
        self.revoked
            .get(&user)
            .is_some_and(|at| issued_at.is_none_or(|iat| iat <= *at))
    }

    pub fn is_server_muted(&self, user: UserId) -> bool {
        self.server_muted.contains(&user)
    }

    pub fn is_deafened(&self, user: UserId) -> bool {
        self.deafened.contains(&user)
    }

    /// Returns true when the flag changed.
    pub fn set_blocked(&mut self, user: UserId, on: bool) -> bool {
        set_flag(&mut self.blocked, user, on)
    }

    /// Returns true when the flag changed.
    pub fn set_server_muted(&mut self, user: UserId, on: bool) -> bool {
        set_flag(&mut self.server_muted, user, on)
    }

    /// Returns true when the flag changed.
    pub fn set_deafened(&mut self, user: UserId, on: bool) -> bool {
        set_flag(&mut self.deafened, user, on)
    }
}

fn set_flag(set: &mut HashSet<UserId>, user: UserId, on: bool) -> bool {
    if on {
        set.insert(user)
    } else {
        set.remove(&user)
    }
}

/// Policies of every channel the host has seen, created on first use.
#[derive(Debug, Default)]
pub struct Policies(HashMap<ChannelId, ChannelPolicy>);

impl Policies {
    pub fn get(&self, channel: ChannelId) -> Option<&ChannelPolicy> {
        self.0.get(&channel)
    }

    pub fn get_mut(&mut self, channel: ChannelId) -> &mut ChannelPolicy {
        self.0.entry(channel).or_default()
    }
}

/// What the forwarding rule needs to know about the sender of a track.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub user: UserId,
    pub perms: Permissions,
    pub self_muted: bool,
}

/// What the forwarding rule needs to know about a receiver.
#[derive(Debug, Clone, Copy)]
pub struct Receiver<'a> {
    pub user: UserId,
    pub local_mutes: &'a HashSet<UserId>,
}

/// The forwarding rule: does `receiver` get `sender`'s media of `kind` right now?
///
/// Every mute is applied here, at forwarding time, so each is reversible without renegotiation.
/// Self mute and server mute silence audio only (like Discord); video needs the Video permission.
pub fn forwards(
    policy: Option<&ChannelPolicy>,
    sender: Sender,
    kind: MediaKind,
    receiver: Receiver<'_>,
) -> bool {
    if sender.user == receiver.user || receiver.local_mutes.contains(&sender.user) {
        return false;
    }
    let (server_muted, deafened) = policy
        .map(|p| (p.is_server_muted(sender.user), p.is_deafened(receiver.user)))
        .unwrap_or((false, false));
    if deafened {
        return false;
    }
    match kind {
        MediaKind::Audio => {
            sender.perms.allows(Permissions::VOICE_SPEAK) && !sender.self_muted && !server_muted
        }
        MediaKind::Video => sender.perms.allows(Permissions::VOICE_VIDEO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    fn speaker() -> Sender {
        Sender {
            user: ALICE,
            perms: Permissions::MOVED_GRANT,
            self_muted: false,
        }
    }

    #[test]
    fn forwards_audio_to_others_not_to_self() {
        let none = HashSet::new();
        let bob = Receiver {
            user: BOB,
            local_mutes: &none,
        };
        let alice = Receiver {
            user: ALICE,
            local_mutes: &none,
        };
        assert!(forwards(None, speaker(), MediaKind::Audio, bob));
        assert!(
            !forwards(None, speaker(), MediaKind::Audio, alice),
            "a speaker must not hear itself"
        );
    }

    #[test]
    fn every_mute_stops_audio() {
        let none = HashSet::new();
        let bob = Receiver {
            user: BOB,
            local_mutes: &none,
        };
        let muted = Sender {
            self_muted: true,
            ..speaker()
        };
        assert!(!forwards(None, muted, MediaKind::Audio, bob), "self mute");
        let mute_alice: HashSet<_> = [ALICE].into();
        let bob_muting = Receiver {
            user: BOB,
            local_mutes: &mute_alice,
        };
        assert!(
            !forwards(None, speaker(), MediaKind::Audio, bob_muting),
            "local mute"
        );

        let mut policy = ChannelPolicy::default();
        policy.set_server_muted(ALICE, true);
        assert!(
            !forwards(Some(&policy), speaker(), MediaKind::Audio, bob),
            "server mute"
        );
        assert!(
            forwards(Some(&policy), speaker(), MediaKind::Video, bob),
            "server mute is audio only"
        );
        policy.set_server_muted(ALICE, false);
        policy.set_deafened(BOB, true);
        assert!(
            !forwards(Some(&policy), speaker(), MediaKind::Audio, bob),
            "deafened receiver"
        );
        assert!(
            !forwards(Some(&policy), speaker(), MediaKind::Video, bob),
            "deafened receiver"
        );
    }

    #[test]
    fn permissions_gate_what_is_forwarded() {
        let none = HashSet::new();
        let bob = Receiver {
            user: BOB,
            local_mutes: &none,
        };
        let listener = Sender {
            perms: Permissions::VOICE_CONNECT,
            ..speaker()
        };
        assert!(
            !forwards(None, listener, MediaKind::Audio, bob),
            "no Speak permission"
        );
        assert!(
            !forwards(None, listener, MediaKind::Video, bob),
            "no Video permission"
        );
        let admin = Sender {
            perms: Permissions::ADMINISTRATOR,
            ..speaker()
        };
        assert!(
            forwards(None, admin, MediaKind::Video, bob),
            "Administrator overrides"
        );
    }

    #[test]
    fn set_flags_report_changes() {
        let mut policy = ChannelPolicy::default();
        assert!(policy.set_blocked(ALICE, true));
        assert!(!policy.set_blocked(ALICE, true));
        assert!(policy.is_blocked(ALICE));
        assert!(policy.set_blocked(ALICE, false));
        assert!(!policy.is_blocked(ALICE));
    }
}
