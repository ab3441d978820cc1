//! Voice permission bits (SPEC section 3, values from GoChat's code).

use serde::{Deserialize, Serialize};

/// A permission bitmask as carried in the SFU token's `perms` claim.
///
/// Only the voice bits mean anything to the SFU; other bits are kept as they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(i64);

impl Permissions {
    pub const NONE: Self = Self(0);
    pub const VOICE_CONNECT: Self = Self(1 << 20);
    pub const VOICE_SPEAK: Self = Self(1 << 21);
    pub const VOICE_VIDEO: Self = Self(1 << 22);
    pub const VOICE_MUTE_MEMBERS: Self = Self(1 << 23);
    pub const VOICE_DEAFEN_MEMBERS: Self = Self(1 << 24);
    pub const VOICE_MOVE_MEMBERS: Self = Self(1 << 25);
    pub const ADMINISTRATOR: Self = Self(1 << 26);

    /// What `moved=true` grants for the session: Connect, Speak and Video.
    pub const MOVED_GRANT: Self =
        Self(Self::VOICE_CONNECT.0 | Self::VOICE_SPEAK.0 | Self::VOICE_VIDEO.0);

    pub const fn from_bits(bits: i64) -> Self {
        Self(bits)
    }

    pub const fn bits(self) -> i64 {
        self.0
    }

    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True when every bit of `needed` is set, or when Administrator is set (it overrides all).
    pub const fn allows(self, needed: Self) -> bool {
        self.0 & Self::ADMINISTRATOR.0 != 0 || self.0 & needed.0 == needed.0
    }
}

impl std::ops::BitOr for Permissions {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_values_match_gochat() {
        assert_eq!(Permissions::VOICE_CONNECT.bits(), 1_048_576);
        assert_eq!(Permissions::VOICE_MOVE_MEMBERS.bits(), 33_554_432);
        assert_eq!(Permissions::ADMINISTRATOR.bits(), 67_108_864);
    }

    #[test]
    fn administrator_overrides_every_check() {
        let admin = Permissions::ADMINISTRATOR;
        assert!(admin.allows(Permissions::VOICE_MUTE_MEMBERS));
        assert!(admin.allows(Permissions::VOICE_CONNECT | Permissions::VOICE_MOVE_MEMBERS));
        let member = Permissions::MOVED_GRANT;
        assert!(member.allows(Permissions::VOICE_SPEAK));
        assert!(
            !member.allows(Permissions::VOICE_MUTE_MEMBERS),
            "a member may not server-mute"
        );
    }
}
