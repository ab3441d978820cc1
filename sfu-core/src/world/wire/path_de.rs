//! A serde `Deserializer` over a parsed `serde_json::Value` that remembers *where* an error
//! happened, so a rejected payload can name the field (`position.x`, `peers[2].user.user_id`).
//!
//! `serde_json::from_value` reports "invalid type: string \"a\", expected f64" without saying
//! which field; `serde_path_to_error` would, but is not a dependency of this crate. This is the
//! small part of it we need: the path is built lazily, only when an error travels up through a
//! map entry or sequence element, so decoding a valid message allocates nothing extra.
//!
//! Structs must be JSON objects here (`serde_json` would also take a struct written as an array).

use std::fmt;

use serde::de::value::{StrDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

/// One step from a container to a value inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A deserialization error with the path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PathError {
    /// Innermost segment first (segments are added as the error travels outwards).
    reversed: Vec<Segment>,
    message: String,
    /// The field was missing (the last path segment names it).
    missing: bool,
    /// Set by `unknown_variant`: the variant name that was not recognised.
    unknown_variant: Option<String>,
    /// The error came from the envelope's `type`, not from the payload.
    in_type: bool,
}

impl PathError {
    /// The path of the offending value, e.g. `position.x` or `peers[0].zone_id`; `None` when the
    /// payload as a whole is wrong.
    pub(super) fn path(&self) -> Option<String> {
        let mut path = String::new();
        for segment in self.reversed.iter().rev() {
            match segment {
                Segment::Key(key) if path.is_empty() => path.push_str(key),
                Segment::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        (!path.is_empty()).then_some(path)
    }

    /// What is wrong, without the path.
    pub(super) fn message(&self) -> &str {
        &self.message
    }

    /// Whether the value at [`PathError::path`] was missing rather than malformed.
    pub(super) fn is_missing(&self) -> bool {
        self.missing
    }

    /// The unrecognised `type`, when that is what the error is about.
    pub(super) fn unknown_type(&self) -> Option<&str> {
        self.unknown_variant.as_deref().filter(|_| self.in_type)
    }

    fn within(mut self, segment: Segment) -> Self {
        self.reversed.push(segment);
        self
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path() {
            Some(path) => write!(f, "{path}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PathError {}

impl de::Error for PathError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            reversed: Vec::new(),
            message: msg.to_string(),
            missing: false,
            unknown_variant: None,
            in_type: false,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        let mut err = Self::custom("missing field").within(Segment::Key(field.to_owned()));
        err.missing = true;
        err
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let expected = expected
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut err = Self::custom(format!(
            "unknown variant `{variant}`, expected one of {expected}"
        ));
        err.unknown_variant = Some(variant.to_owned());
        err
    }
}

/// Deserializes a whole message `{type, payload}` from its parts, yielding `type` before
/// `payload` (serde's adjacently tagged enums would otherwise buffer the payload and lose paths).
/// Paths in payload errors are relative to the payload.
pub(super) struct EnvelopeDeserializer<'a> {
    pub(super) type_name: &'a str,
    pub(super) payload: Option<Value>,
}

impl<'de> de::Deserializer<'de> for EnvelopeDeserializer<'_> {
    type Error = PathError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        visitor.visit_map(EnvelopeAccess {
            type_name: Some(self.type_name),
            payload: self.payload,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct EnvelopeAccess<'a> {
    type_name: Option<&'a str>,
    payload: Option<Value>,
}

impl<'de> MapAccess<'de> for EnvelopeAccess<'_> {
    type Error = PathError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PathError> {
        let key = if self.type_name.is_some() {
            "type"
        } else if self.payload.is_some() {
            "payload"
        } else {
            return Ok(None);
        };
        seed.deserialize(StrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, PathError> {
        if let Some(name) = self.type_name.take() {
            return seed
                .deserialize(StrDeserializer::new(name))
                .map_err(|mut e: PathError| {
                    e.in_type = true;
                    e.within(Segment::Key("type".to_owned()))
                });
        }
        match self.payload.take() {
            Some(payload) => seed.deserialize(ValueDeserializer(payload)),
            None => Err(de::Error::custom("value requested before key")),
        }
    }
}

/// Deserializer methods that reject `null` with "invalid type: null" (rather than serde's
/// "unit value") and otherwise behave like `deserialize_any`.
macro_rules! not_null {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
                if self.0.is_null() {
                    return Err(de::Error::invalid_type(Unexpected::Other("null"), &visitor));
                }
                self.deserialize_any(visitor)
            }
        )*
    };
}

/// Deserializes one JSON value; errors inside it carry their path relative to it.
pub(super) struct ValueDeserializer(pub(super) Value);

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = PathError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => visitor.visit_u64(u),
                (None, Some(i)) => visitor.visit_i64(i),
                (None, None) => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(ElementAccess {
                items: items.into_iter(),
                index: 0,
            }),
            Value::Object(map) => visitor.visit_map(EntryAccess::new(map)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(EntryAccess::new(map)),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    /// Only unit variants written as strings occur in this protocol.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        match self.0 {
            Value::String(s) => {
                let variant: StringDeserializer<PathError> = s.into_deserializer();
                visitor.visit_enum(variant)
            }
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        visitor.visit_unit()
    }

    not_null! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_seq deserialize_map deserialize_identifier
    }

    forward_to_deserialize_any! {
        bytes byte_buf unit unit_struct tuple tuple_struct
    }
}

struct ElementAccess {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for ElementAccess {
    type Error = PathError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, PathError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer(item))
            .map(Some)
            .map_err(|e| e.within(Segment::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct EntryAccess {
    entries: serde_json::map::IntoIter,
    /// The entry whose key was last returned, waiting for `next_value_seed`.
    current: Option<(String, Value)>,
}

impl EntryAccess {
    fn new(map: Map<String, Value>) -> Self {
        Self {
            entries: map.into_iter(),
            current: None,
        }
    }
}

impl<'de> MapAccess<'de> for EntryAccess {
    type Error = PathError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PathError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let out = seed.deserialize(StrDeserializer::<PathError>::new(&key));
        let out = out.map_err(|e| e.within(Segment::Key(key.clone())))?;
        self.current = Some((key, value));
        Ok(Some(out))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, PathError> {
        let Some((key, value)) = self.current.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| e.within(Segment::Key(key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Other("null"),
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            (None, None) => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}
