//! `#[serde(serialize_with = ...)]` helpers that write int64 ids as decimal strings, as seed 000
//! does (`"userId": "2230469276416868352"`). Reading needs no helper: the id types accept a
//! decimal string or a JSON number.

use std::fmt::Display;

use serde::Serializer;

use crate::ids::UserId;

/// Writes one id as a decimal string.
pub(super) fn id<S: Serializer, T: Display>(id: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

/// Writes a list of user ids as an array of decimal strings.
pub(super) fn user_ids<S: Serializer>(ids: &[UserId], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ids.iter().map(ToString::to_string))
}
