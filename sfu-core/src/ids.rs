//! Identifiers shared by every protocol. The SFU speaks int64 ids; the world speaks UUIDs and maps
//! them onto int64 with [`sfu_id_from_uuid_bytes`] (SPEC section 2), the one place that mapping lives.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

macro_rules! int64_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        /// Accepts a JSON number or a decimal string: browser clients send int64 ids as strings
        /// because a JavaScript number cannot hold every int64.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_int64(d).map($name)
            }
        }
    };
}

int64_id!(
    /// A user on the SFU (`user_id` claim, `user` fields).
    UserId
);
int64_id!(
    /// A voice channel on the SFU (`channel` field, `channel_id` claim).
    ChannelId
);

/// Deserializes an int64 from a JSON number or a decimal string.
pub fn deserialize_int64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString {
        Number(i64),
        String(String),
    }
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("not an int64: {s:?}"))),
    }
}

/// Maps a world UUID (user or zone) to an SFU id: the first 8 bytes big-endian with the top bit
/// cleared, so the result is always a non-negative int64.
pub fn sfu_id_from_uuid_bytes(uuid: &[u8; 16]) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&uuid[..8]);
    (u64::from_be_bytes(first) & (u64::MAX >> 1)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_number_and_string() {
        let a: UserId = serde_json::from_str("2230469276416868352").expect("number");
        let b: UserId = serde_json::from_str("\"2230469276416868352\"").expect("string");
        assert_eq!(a, b);
        assert!(serde_json::from_str::<ChannelId>("\"12x\"").is_err());
        assert!(serde_json::from_str::<ChannelId>("1.5").is_err());
    }

    #[test]
    fn uuid_mapping_clears_top_bit() {
        let uuid = [0xFF; 16];
        assert_eq!(sfu_id_from_uuid_bytes(&uuid), i64::MAX);
        let mut uuid = [0u8; 16];
        uuid[7] = 1;
        assert_eq!(sfu_id_from_uuid_bytes(&uuid), 1);
    }
}

/// One WebSocket connection (`/world`, `/signal` or `/socket`), named by the host when it accepts
/// the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}
