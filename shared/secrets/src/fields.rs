//! Reading a request body as a typed struct: a JSON object whose fields the route declares, none given
//! twice, each of the type its field says. Every refusal names the field and what to send instead; none
//! repeats a value (serde's own type errors would quote it, so each field type says its own).

use crate::request::Invalid;
use gluelinks_core::text::{bounded, ECHO_LIMIT};
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// How much of serde's refusal of a body that is not JSON is repeated (it names a line and column only).
const SYNTAX_ECHO: usize = 200;

/// `body` read as `B`: a JSON object (or a message saying it is not), no field `B` does not declare (named,
/// bounded, with the fields the route accepts), none given twice (serde_json would keep the last silently,
/// so `{"name": "x", "name": "argocd-secret"}` could pass a review of the first), then each field by its
/// type, a refusal saying "Field <name> must be …".
pub fn read<B: DeserializeOwned>(body: &[u8]) -> Result<B, Invalid> {
    let keys = serde_json::from_slice::<Keys>(body).map_err(|e| {
        Invalid(if e.is_data() {
            "Request body must be a JSON object".into()
        } else {
            format!(
                "Request body is not valid JSON ({}); send a JSON object",
                bounded(&e.to_string(), SYNTAX_ECHO)
            )
        })
    })?;
    let accepted = field_names::<B>();
    if let Some(unknown) = keys.0.iter().find(|k| !accepted.contains(&k.as_str())) {
        let mut sorted = accepted.to_vec();
        sorted.sort_unstable();
        return Err(Invalid(format!(
            "Unknown field: {}; this route accepts {}",
            bounded(unknown, ECHO_LIMIT),
            sorted.join(", ")
        )));
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = keys.0.iter().find(|k| !seen.insert(k.as_str())) {
        return Err(Invalid(format!(
            "Request body is refused: duplicate field `{twice}`; give each field once"
        )));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Invalid("Request body must be a JSON object".into()))?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| Invalid(format!("Field {} {}", e.path(), e.inner())))
}

/// An object's keys, in order, repeats kept; its values skipped unread.
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

/// The field names `B`'s derived `Deserialize` declares (renames applied), asked of it directly.
fn field_names<B: DeserializeOwned>() -> &'static [&'static str] {
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Names<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = B::deserialize(Names(&mut fields));
    fields
}

/// A text field: `null`, `""` and leaving it out all mean none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(Text(None)),
            Value::String(s) if s.is_empty() => Ok(Text(None)),
            Value::String(s) => Ok(Text(Some(s))),
            _ => Err(de::Error::custom("must be a string")),
        }
    }
}

/// A yes-or-no field: `null` and leaving it out mean no.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(Flag(false)),
            Value::Bool(b) => Ok(Flag(b)),
            _ => Err(de::Error::custom("must be true or false")),
        }
    }
}

/// A list field, given as a comma-separated string or a JSON array of strings: its items trimmed, empty
/// ones left out (none at all is none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List(pub Option<Vec<String>>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let not_a_list =
            || de::Error::custom("must be a comma-separated string or a list of strings");
        let items: Vec<String> = match Value::deserialize(deserializer)? {
            Value::Null => return Ok(List(None)),
            Value::String(s) => s.split(',').map(|i| i.trim().to_string()).collect(),
            Value::Array(items) => items
                .into_iter()
                .map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect::<Option<_>>()
                .ok_or_else(not_a_list)?,
            _ => return Err(not_a_list()),
        };
        let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
        Ok(List((!items.is_empty()).then_some(items)))
    }
}

/// A field that names one thing or several: a string (`"a"`; `"a,b"` names several) or a JSON array of
/// strings (several, even of one), items trimmed, empty ones left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Names {
    /// Left out, `null`, or nothing but commas and spaces.
    #[default]
    None,
    /// One name, given as a string.
    One(String),
    /// A list.
    Several(Vec<String>),
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let several =
            matches!(&value, Value::Array(_)) || value.as_str().is_some_and(|s| s.contains(','));
        let List(items) = List::deserialize(value).map_err(de::Error::custom)?;
        Ok(match items {
            None => Names::None,
            Some(mut items) if !several => Names::One(items.remove(0)),
            Some(items) => Names::Several(items),
        })
    }
}

/// What an upsert does to an optional value the existing secret may hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change {
    /// Left out of the request: what exists stays.
    #[default]
    Keep,
    /// Given: this value.
    Set(String),
    /// `null` (or `""`) in the request: what exists is removed.
    Remove,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(Change::Remove),
            Value::String(s) if s.is_empty() => Ok(Change::Remove),
            Value::String(s) => Ok(Change::Set(s)),
            _ => Err(de::Error::custom("must be a string, or null to remove it")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Body {
        name: Text,
        #[serde(rename = "type")]
        kind: Text,
        upsert: Flag,
        namespaces: List,
        project: Change,
    }

    #[test]
    fn fields_are_read_by_type_and_every_refusal_names_its_field() {
        let body: Body = read(br#"{"name": "a", "type": "", "upsert": null, "namespaces": " x, ,y", "project": null}"#).unwrap();
        assert_eq!(body.name, Text(Some("a".into())));
        assert_eq!((body.kind, body.upsert), (Text(None), Flag(false)));
        assert_eq!(body.namespaces, List(Some(vec!["x".into(), "y".into()])));
        assert_eq!(body.project, Change::Remove);
        assert_eq!(read::<Body>(b"{}").unwrap().project, Change::Keep);
        let cases: [(&[u8], &str); 8] = [
            (br#"{"name": 12345678}"#, "Field name must be a string"),
            (br#"{"upsert": "secret-yes"}"#, "Field upsert must be true or false"),
            (br#"{"namespaces": [1]}"#, "Field namespaces must be a comma-separated string or a list of strings"),
            (br#"{"project": 7}"#, "Field project must be a string, or null to remove it"),
            (br#"{"nme": "a"}"#, "Unknown field: nme; this route accepts name, namespaces, project, type, upsert"),
            (br#"{"name": "a", "name": "b"}"#, "Request body is refused: duplicate field `name`; give each field once"),
            (br#"[1]"#, "Request body must be a JSON object"),
            (br#"{"name": "#, "Request body is not valid JSON (EOF while parsing a value at line 1 column 9); send a JSON object"),
        ];
        for (body, says) in cases {
            let err = read::<Body>(body).unwrap_err().0;
            assert_eq!(err, says, "{}", String::from_utf8_lossy(body));
            assert!(
                !err.contains("12345678") && !err.contains("secret-yes"),
                "{err}"
            );
        }
    }
}
