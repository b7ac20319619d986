//! Just enough of Kubernetes' protobuf encoding to accept what `kubectl create secret` sends: kubectl
//! writes built-in kinds as `application/vnd.kubernetes.protobuf` (the `k8s\0` envelope around a
//! `runtime.Unknown` holding the object). Secrets are decoded into their JSON form; other kinds are refused.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

const MAGIC: &[u8] = b"k8s\0";

struct Reader<'a> {
    bytes: &'a [u8],
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first().ok_or("truncated varint")?;
            self.bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, String> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|e| e.to_string())?;
                if len > self.bytes.len() {
                    return Err("truncated field".into());
                }
                let (value, rest) = self.bytes.split_at(len);
                self.bytes = rest;
                Field::Bytes(value)
            }
            1 | 5 => {
                let width = if key & 7 == 1 { 8 } else { 4 };
                self.bytes = self.bytes.get(width..).ok_or("truncated fixed field")?;
                Field::Fixed
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((key >> 3, field)))
    }
}

fn fields(bytes: &[u8]) -> Result<Vec<(u64, Field<'_>)>, String> {
    let mut reader = Reader { bytes };
    let mut out = Vec::new();
    while let Some(field) = reader.next()? {
        out.push(field);
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())
}

/// A map entry (`key = 1`, `value = 2`).
fn entry(bytes: &[u8]) -> Result<(String, &[u8]), String> {
    let (mut key, mut value) = (String::new(), &[][..]);
    for (number, field) in fields(bytes)? {
        match (number, field) {
            (1, Field::Bytes(b)) => key = text(b)?,
            (2, Field::Bytes(b)) => value = b,
            _ => {}
        }
    }
    Ok((key, value))
}

fn object_meta(bytes: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let (mut labels, mut annotations) = (Map::new(), Map::new());
    for (number, field) in fields(bytes)? {
        let Field::Bytes(b) = field else { continue };
        match number {
            1 => drop(meta.insert("name".into(), text(b)?.into())),
            3 => drop(meta.insert("namespace".into(), text(b)?.into())),
            11 => {
                let (k, v) = entry(b)?;
                labels.insert(k, text(v)?.into());
            }
            12 => {
                let (k, v) = entry(b)?;
                annotations.insert(k, text(v)?.into());
            }
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    Ok(Value::Object(meta))
}

fn secret(bytes: &[u8]) -> Result<Value, String> {
    let mut secret = json!({ "apiVersion": "v1", "kind": "Secret" });
    let (mut data, mut string_data) = (Map::new(), Map::new());
    for (number, field) in fields(bytes)? {
        match (number, field) {
            (1, Field::Bytes(b)) => secret["metadata"] = object_meta(b)?,
            (2, Field::Bytes(b)) => {
                let (k, v) = entry(b)?;
                data.insert(k, STANDARD.encode(v).into());
            }
            (3, Field::Bytes(b)) => secret["type"] = text(b)?.into(),
            (4, Field::Bytes(b)) => {
                let (k, v) = entry(b)?;
                string_data.insert(k, text(v)?.into());
            }
            (5, Field::Varint(v)) => secret["immutable"] = (v != 0).into(),
            _ => {}
        }
    }
    if !data.is_empty() {
        secret["data"] = Value::Object(data);
    }
    if !string_data.is_empty() {
        secret["stringData"] = Value::Object(string_data);
    }
    Ok(secret)
}

/// The JSON form of a protobuf-encoded object, for the kinds the emulator decodes.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let unknown = body
        .strip_prefix(MAGIC)
        .ok_or("missing the k8s protobuf envelope")?;
    let (mut kind, mut raw) = (String::new(), &[][..]);
    for (number, field) in fields(unknown)? {
        match (number, field) {
            (1, Field::Bytes(type_meta)) => {
                for (n, f) in fields(type_meta)? {
                    if let (2, Field::Bytes(k)) = (n, f) {
                        kind = text(k)?;
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    match kind.as_str() {
        "Secret" => secret(raw),
        other => Err(format!(
            "the emulator decodes protobuf only for Secret, not {other:?}"
        )),
    }
}
