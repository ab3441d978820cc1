//! Identifiers of a world file: UUIDs for the world and its workspace, readable names for the
//! zones, doors, objects and spawn points inside it.

use std::fmt;
use std::sync::Arc;

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// A readable name from the world file (e.g. `"team-area"`), unique within its list.
        /// Cloning is cheap (a shared string).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The id `id`. Ids come from a validated world file; this does not check uniqueness.
            pub fn new(id: &str) -> Self {
                Self(Arc::from(id))
            }

            /// The id as written in the world file.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_id!(
    /// A zone of a world.
    ZoneId
);
name_id!(
    /// A door of a world.
    DoorId
);
name_id!(
    /// An interactive object of a world (desk, chair, computer...).
    ObjectId
);
name_id!(
    /// A spawn point of a world.
    SpawnPointId
);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// Parses the hyphenated form (`8-4-4-4-12` hex digits, any case).
            pub fn parse(text: &str) -> Option<Self> {
                parse_uuid(text).map(Self)
            }
        }

        /// The lowercase hyphenated form.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_uuid(f, &self.0)
            }
        }
    };
}

uuid_id!(
    /// A world (`worldId`), a UUID. [`crate::ids::sfu_id_from_uuid_bytes`] maps it to an int64.
    WorldId
);
uuid_id!(
    /// The workspace a world belongs to (`workspaceId`), a UUID.
    WorkspaceId
);

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits in either case).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut nibbles = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let value = char::from(b).to_digit(16)?;
        let byte = out.get_mut(nibbles / 2)?;
        // to_digit(16) is at most 15, so the cast cannot truncate.
        *byte = (*byte << 4) | value as u8;
        nibbles += 1;
    }
    Some(out)
}

fn write_uuid(f: &mut fmt::Formatter<'_>, bytes: &[u8; 16]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            f.write_str("-")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_round_trip_and_reject_garbage() {
        let text = "5f0c2a4e-7d1b-4c8e-9a3f-2b6d8e1f4a70";
        let id = WorldId::parse(text).expect("valid UUID");
        assert_eq!(id.to_string(), text);
        assert_eq!(
            WorldId::parse("5F0C2A4E-7D1B-4C8E-9A3F-2B6D8E1F4A70"),
            Some(id),
            "uppercase accepted"
        );
        for bad in [
            "",
            "acme-backend-world",
            "5f0c2a4e7d1b4c8e9a3f2b6d8e1f4a70",
            "5f0c2a4e-7d1b-4c8e-9a3f-2b6d8e1f4a7g",
            "5f0c2a4e-7d1b-4c8e-9a3f_2b6d8e1f4a70",
            "5f0c2a4e-7d1b-4c8e-9a3f-2b6d8e1f4a7\u{e9}",
        ] {
            assert_eq!(WorkspaceId::parse(bad), None, "{bad:?} is not a UUID");
        }
    }
}
