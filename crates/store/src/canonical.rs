//! Canonical JSON, hashes and random identifiers.
//!
//! Canonical JSON is what the audit chain and idempotency keys hash: object keys sorted by
//! their UTF-8 bytes, no whitespace, strings escaped as `serde_json` escapes them (only
//! `"`, `\` and control characters; everything else is written as UTF-8), numbers as
//! `serde_json` prints them (integers exactly, floats in the shortest form that reads back
//! the same). The same value therefore always encodes to the same bytes, whatever order a
//! map was built in or whether `serde_json` preserves insertion order.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// The canonical encoding of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        // Scalars have one serde_json form already.
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `value` as a JSON value. Goes through text so that `f32` fields (finding confidences)
/// keep their short form (`0.85`, not `0.8500000238418579`), in storage and in hashes.
pub(crate) fn json_value<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_string(value)
        .and_then(|text| serde_json::from_str(&text))
        .map_err(|e| StoreError::Corrupt(format!("cannot encode as JSON: {e}")))
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` random base62 characters from the operating system's generator.
pub(crate) fn random_base62(len: usize) -> Result<String, StoreError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)
            .map_err(|e| StoreError::Corrupt(format!("no randomness available: {e}")))?;
        // 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(BASE62[usize::from(*b % 62)]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_whitespace_is_dropped() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": null, "x": "é\n"}], "c": 1.5}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":1.5,"z":[3,{"x":"é\n","y":null}]},"b":1}"#
        );
    }

    #[test]
    fn canonical_json_reads_back_to_the_same_value_and_bytes() {
        let v = json!({"seq": 7, "data": {"confidence": 0.85, "text": "Net 60 \"ok\""}});
        let text = canonical_json(&v);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert_eq!(canonical_json(&back), text);
    }

    #[test]
    fn random_base62_has_the_length_and_alphabet() {
        let s = random_base62(32).unwrap();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(s, random_base62(32).unwrap());
    }
}
