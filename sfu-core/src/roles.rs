//! World roles (SPEC sections 2, 3 and 6): what a world token's `roles` claim may hold, the SFU
//! permissions each role carries when the world server mints an SFU token, and the moderation
//! matrix.
//!
//! A user with no role at all counts as a [`Role::Guest`]: the least privileged role, so a token
//! minted without roles can still join and talk but never moderate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::perms::Permissions;

/// A user's role in a world's workspace. Serialized as its name, exactly (`"Admin"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Runs the world: every SFU permission, and may mute, remove from a zone and kick.
    Admin,
    /// Curates the world: may mute, deafen and talk with video, but not remove or kick.
    Editor,
    /// A regular participant: connect, speak and video.
    Member,
    /// A visitor: connect and speak only.
    Guest,
}

impl Role {
    /// Every role, most privileged first.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Member, Role::Guest];

    /// The role's name as it appears in tokens and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Editor => "Editor",
            Role::Member => "Member",
            Role::Guest => "Guest",
        }
    }

    /// The SFU permissions this one role carries (SPEC section 3).
    pub const fn permissions(self) -> Permissions {
        const CONNECT_SPEAK: Permissions =
            Permissions::VOICE_CONNECT.union(Permissions::VOICE_SPEAK);
        const MEMBER: Permissions = CONNECT_SPEAK.union(Permissions::VOICE_VIDEO);
        match self {
            Role::Admin => Permissions::ADMINISTRATOR,
            Role::Editor => MEMBER
                .union(Permissions::VOICE_MUTE_MEMBERS)
                .union(Permissions::VOICE_DEAFEN_MEMBERS),
            Role::Member => MEMBER,
            Role::Guest => CONNECT_SPEAK,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of `Admin`, `Editor`, `Member`, `Guest` (matched case-sensitively).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected Admin, Editor, Member or Guest)")]
pub struct UnknownRoleError(pub String);

impl FromStr for Role {
    type Err = UnknownRoleError;

    /// Parses an exact role name, as the `roles` claim and `hearth-host token world` carry it.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| UnknownRoleError(name.to_owned()))
    }
}

/// The SFU permissions a user with `roles` gets: the union over the roles, and
/// [`Role::Guest`]'s when `roles` is empty.
pub fn sfu_permissions(roles: &[Role]) -> Permissions {
    if roles.is_empty() {
        return Role::Guest.permissions();
    }
    roles
        .iter()
        .fold(Permissions::NONE, |perms, role| perms | role.permissions())
}

/// May a user with `roles` send `MUTE_USER`? Admin and Editor may.
pub fn may_mute(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Editor))
}

/// May a user with `roles` send `REMOVE_FROM_ZONE`? Only Admin may.
pub fn may_remove_from_zone(roles: &[Role]) -> bool {
    roles.contains(&Role::Admin)
}

/// May a user with `roles` send `KICK_FROM_WORLD`? Only Admin may.
pub fn may_kick(roles: &[Role]) -> bool {
    roles.contains(&Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECT: Permissions = Permissions::VOICE_CONNECT;
    const SPEAK: Permissions = Permissions::VOICE_SPEAK;
    const VIDEO: Permissions = Permissions::VOICE_VIDEO;

    #[test]
    fn each_role_maps_to_the_spec_permissions() {
        let editor = CONNECT
            | SPEAK
            | VIDEO
            | Permissions::VOICE_MUTE_MEMBERS
            | Permissions::VOICE_DEAFEN_MEMBERS;
        let cases = [
            (Role::Admin, Permissions::ADMINISTRATOR),
            (Role::Editor, editor),
            (Role::Member, CONNECT | SPEAK | VIDEO),
            (Role::Guest, CONNECT | SPEAK),
        ];
        for (role, want) in cases {
            assert_eq!(sfu_permissions(&[role]), want, "permissions of {role}");
        }
        assert_eq!(
            Role::Editor.permissions().bits(),
            1_048_576 + 2_097_152 + 4_194_304 + 8_388_608 + 16_777_216,
            "Editor bits in GoChat's decimal values"
        );
    }

    #[test]
    fn permissions_are_the_union_over_roles_and_empty_is_guest() {
        assert_eq!(
            sfu_permissions(&[Role::Guest, Role::Member]),
            CONNECT | SPEAK | VIDEO,
            "Guest + Member is Member"
        );
        let admin_guest = sfu_permissions(&[Role::Guest, Role::Admin]);
        assert_eq!(
            admin_guest,
            Permissions::ADMINISTRATOR | CONNECT | SPEAK,
            "union keeps every bit"
        );
        assert!(
            admin_guest.allows(Permissions::VOICE_MOVE_MEMBERS),
            "Admin in the list overrides every check"
        );
        assert_eq!(
            sfu_permissions(&[]),
            Role::Guest.permissions(),
            "no role counts as Guest"
        );
    }

    #[test]
    fn moderation_matrix() {
        // (roles, may mute, may remove from zone, may kick)
        let cases: [(&[Role], bool, bool, bool); 7] = [
            (&[Role::Admin], true, true, true),
            (&[Role::Editor], true, false, false),
            (&[Role::Member], false, false, false),
            (&[Role::Guest], false, false, false),
            (&[], false, false, false),
            (&[Role::Guest, Role::Editor], true, false, false),
            (&[Role::Member, Role::Admin], true, true, true),
        ];
        for (roles, mute, remove, kick) in cases {
            assert_eq!(may_mute(roles), mute, "MUTE_USER for {roles:?}");
            assert_eq!(
                may_remove_from_zone(roles),
                remove,
                "REMOVE_FROM_ZONE for {roles:?}"
            );
            assert_eq!(may_kick(roles), kick, "KICK_FROM_WORLD for {roles:?}");
        }
    }

    #[test]
    fn names_parse_and_serialize_exactly() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse(), Ok(role), "{role} round-trips");
            let json = serde_json::to_string(&role).expect("a unit variant serializes");
            assert_eq!(json, format!("\"{role}\""), "serde uses the exact name");
        }
        for bad in ["admin", "ADMIN", " Admin", "Owner", ""] {
            assert_eq!(
                bad.parse::<Role>(),
                Err(UnknownRoleError(bad.to_owned())),
                "{bad:?} is no role"
            );
        }
        assert!(
            serde_json::from_str::<Role>("\"guest\"").is_err(),
            "serde is case-sensitive too"
        );
    }
}
