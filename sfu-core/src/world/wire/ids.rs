//! Identifiers of the world protocol. On the wire they are JSON strings: UUIDs in practice, but
//! demo objects have readable names such as `"desk-1"`, so the wire types accept any string and
//! leave checking to the domain types built from them.
//!
//! They are not `Copy` (they own a `String`); clone them where a copy is needed.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps an id as written on the wire.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as written on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }
    };
}

string_id!(
    /// A user of the world (`user_id`, `target_user_id`, `to`, `from`, `peer_id`, `by`). Not the
    /// SFU's int64 [`crate::ids::UserId`]; `crate::ids::sfu_id_from_uuid_bytes` maps one to the other.
    WorldUserId
);
string_id!(
    /// The workspace a user belongs to (`workspace_id`).
    WorkspaceId
);
string_id!(
    /// A world (`world_id`).
    WorldId
);
string_id!(
    /// A zone of a world (`zone_id`, `from_zone_id`, `to_zone_id`).
    ZoneId
);
string_id!(
    /// An interactive object of a world, e.g. a desk or a chair (`object_id`).
    ObjectId
);
string_id!(
    /// The lock the server granted on an object (`lock_id`); `INTERACT_END` must quote it.
    LockId
);
