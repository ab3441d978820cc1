//! `#[serde(with = "super::int_bool")]` for booleans that GoChat writes as `0`/`1`
//! (`speaking`): written as `0` or `1`, read from `0`/`1` (any integer, non-zero is `true`) or
//! `false`/`true`.

use serde::{Deserialize, Deserializer, Serializer};

/// Writes `false` as `0` and `true` as `1`.
pub(super) fn serialize<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*b))
}

/// Reads `true`/`false` or an integer (non-zero is `true`).
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrInt {
        Bool(bool),
        Int(i64),
        UInt(u64),
    }
    match BoolOrInt::deserialize(d) {
        Ok(BoolOrInt::Bool(b)) => Ok(b),
        Ok(BoolOrInt::Int(n)) => Ok(n != 0),
        Ok(BoolOrInt::UInt(n)) => Ok(n != 0),
        Err(_) => Err(serde::de::Error::custom(
            "expected 0, 1, true or false for `speaking`",
        )),
    }
}
