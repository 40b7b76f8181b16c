//! Maps record values (their serde JSON form) to and from Automerge documents.
//!
//! Writing is a minimal diff against what the document shows now: only values that
//! really changed produce operations. That keeps changes small, and it leaves a field
//! that holds concurrent values (a conflict) untouched until someone edits it.
//! (autosurgeon's `reconcile` re-puts every scalar, which would silently resolve
//! such conflicts in favour of whichever value happened to win.)

use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value as Am, hydrate,
};
use serde_json::{Map, Number, Value};

use crate::error::Result;

/// Where a value goes in its parent object.
#[derive(Clone, Copy)]
enum Slot<'a> {
    /// A key of a map.
    Key(&'a str),
    /// An existing list element, replaced.
    Index(usize),
    /// A new list element, inserted before this index.
    InsertAt(usize),
}

/// Reads the whole document (at `heads`, or now) as JSON (records are read
/// straight from the document, `documents::read`; tests compare the two).
#[cfg(test)]
pub(crate) fn read_root(doc: &AutoCommit, heads: Option<&[ChangeHash]>) -> Value {
    read_object(doc, &automerge::ROOT, heads)
}

/// Reads one object (map, list or text) as JSON, in one pass over the document
/// (`hydrate`; a `get` per key costs five times as much on a 145-field record).
pub(crate) fn read_object(doc: &AutoCommit, obj: &ObjId, heads: Option<&[ChangeHash]>) -> Value {
    doc.hydrate(obj, heads)
        .map_or(Value::Null, |v| hydrated_to_json(&v))
}

fn hydrated_to_json(value: &hydrate::Value) -> Value {
    match value {
        hydrate::Value::Scalar(s) => scalar_to_json(s),
        hydrate::Value::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), hydrated_to_json(&v.value)))
                .collect(),
        ),
        hydrate::Value::List(l) => {
            Value::Array(l.iter().map(|v| hydrated_to_json(&v.value)).collect())
        }
        hydrate::Value::Text(t) => Value::String(t.to_string()),
    }
}

/// Converts one Automerge value (object or scalar) to JSON.
pub(crate) fn to_json(
    doc: &AutoCommit,
    value: Am<'_>,
    id: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Value {
    match value {
        Am::Object(_) => read_object(doc, id, heads),
        Am::Scalar(s) => scalar_to_json(&s),
    }
}

fn scalar_to_json(s: &ScalarValue) -> Value {
    match s {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) => Value::from(*i),
        ScalarValue::Uint(u) => Value::from(*u),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::Counter(c) => Value::from(i64::from(c)),
        ScalarValue::Timestamp(t) => Value::from(*t),
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Bytes(b) => Value::String(hex::encode(b)),
        ScalarValue::Null | ScalarValue::Unknown { .. } => Value::Null,
    }
}

fn json_to_scalar(v: &Value) -> ScalarValue {
    match v {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        // Objects and arrays never reach here (see `put`).
        Value::Array(_) | Value::Object(_) => ScalarValue::Null,
    }
}

/// Writes the value `new` holds at `path` (map keys from the root) again if the
/// document holds concurrent values there, so that choosing the value shown
/// settles a conflict instead of changing nothing.
pub(crate) fn settle(doc: &mut AutoCommit, new: &Value, path: &[String]) -> Result<()> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut obj = automerge::ROOT;
    let mut value = new;
    for key in parents {
        value = match value.get(key) {
            Some(v) => v,
            None => return Ok(()),
        };
        obj = match doc.get(&obj, key.as_str())? {
            Some((Am::Object(ObjType::Map), id)) => id,
            _ => return Ok(()),
        };
    }
    let Some(value) = value.get(last) else {
        return Ok(());
    };
    if doc.get_all(&obj, last.as_str())?.len() > 1 {
        put(doc, &obj, Slot::Key(last), value)?;
    }
    Ok(())
}

/// Writes `new` over the root map, given `old`, what the document shows now.
pub(crate) fn write_diff(doc: &mut AutoCommit, old: &Value, new: &Value) -> Result<()> {
    let empty = Map::new();
    let old_map = old.as_object().unwrap_or(&empty);
    let new_map = new.as_object().unwrap_or(&empty);
    diff_map(doc, &automerge::ROOT, old_map, new_map)
}

fn diff_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<()> {
    for (key, new_value) in new {
        match old.get(key) {
            None => put(doc, obj, Slot::Key(key), new_value)?,
            Some(old_value) => diff_slot(doc, obj, Slot::Key(key), old_value, new_value)?,
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        doc.delete(obj, key.as_str())?;
    }
    Ok(())
}

fn diff_slot(
    doc: &mut AutoCommit,
    obj: &ObjId,
    slot: Slot<'_>,
    old: &Value,
    new: &Value,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let child = match (old, new) {
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => {
            child_object(doc, obj, slot)?
        }
        _ => None,
    };
    match (old, new, child) {
        (Value::Object(o), Value::Object(n), Some(id)) => diff_map(doc, &id, o, n),
        (Value::Array(o), Value::Array(n), Some(id)) => diff_list(doc, &id, o, n),
        _ => put(doc, obj, slot, new),
    }
}

fn child_object(doc: &AutoCommit, obj: &ObjId, slot: Slot<'_>) -> Result<Option<ObjId>> {
    let prop: Prop = match slot {
        Slot::Key(k) => k.into(),
        Slot::Index(i) | Slot::InsertAt(i) => i.into(),
    };
    Ok(match doc.get(obj, prop)? {
        Some((Am::Object(ObjType::Map | ObjType::List | ObjType::Table), id)) => Some(id),
        _ => None,
    })
}

/// Edits a list in place: the common head and tail stay, paired middle elements are
/// diffed, and the rest is deleted or inserted. Appends (the common case for
/// workflow transitions and log entries) merge with concurrent appends.
fn diff_list(doc: &mut AutoCommit, obj: &ObjId, old: &[Value], new: &[Value]) -> Result<()> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[head..old.len() - tail];
    let new_mid = &new[head..new.len() - tail];
    let paired = old_mid.len().min(new_mid.len());
    for i in 0..paired {
        diff_slot(doc, obj, Slot::Index(head + i), &old_mid[i], &new_mid[i])?;
    }
    for _ in paired..old_mid.len() {
        doc.delete(obj, head + paired)?;
    }
    for (j, value) in new_mid[paired..].iter().enumerate() {
        put(doc, obj, Slot::InsertAt(head + paired + j), value)?;
    }
    Ok(())
}

/// Writes a value, creating maps and lists as needed.
fn put(doc: &mut AutoCommit, obj: &ObjId, slot: Slot<'_>, value: &Value) -> Result<()> {
    let container = match value {
        Value::Object(_) => Some(ObjType::Map),
        Value::Array(_) => Some(ObjType::List),
        _ => None,
    };
    let Some(kind) = container else {
        let scalar = json_to_scalar(value);
        match slot {
            Slot::Key(k) => doc.put(obj, k, scalar)?,
            Slot::Index(i) => doc.put(obj, i, scalar)?,
            Slot::InsertAt(i) => doc.insert(obj, i, scalar)?,
        }
        return Ok(());
    };
    let id = match slot {
        Slot::Key(k) => doc.put_object(obj, k, kind)?,
        Slot::Index(i) => doc.put_object(obj, i, kind)?,
        Slot::InsertAt(i) => doc.insert_object(obj, i, kind)?,
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                put(doc, &id, Slot::Key(k), v)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                put(doc, &id, Slot::InsertAt(i), v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(old: Value, new: Value) -> (Value, usize) {
        let mut doc = AutoCommit::new();
        write_diff(&mut doc, &json!({}), &old).unwrap();
        doc.commit();
        let before = doc.get_heads();
        let shown = read_root(&doc, None);
        assert_eq!(shown, old);
        write_diff(&mut doc, &shown, &new).unwrap();
        doc.commit();
        let ops: usize = doc.get_changes(&before).iter().map(|c| c.len()).sum();
        (read_root(&doc, None), ops)
    }

    #[test]
    fn values_round_trip_with_their_types() {
        let v = json!({"s": "刘凤", "i": -3, "f": 1.5, "whole_float": 2.0, "b": true, "n": null,
                       "l": [1, {"a": "x"}], "m": {"k": [true]}});
        let (out, _) = roundtrip(json!({}), v.clone());
        assert_eq!(out, v);
        assert!(out["whole_float"].is_f64());
    }

    #[test]
    fn unchanged_values_cost_no_operations() {
        let v = json!({"a": "1", "m": {"b": 2}, "l": [1, 2, 3]});
        let (_, ops) = roundtrip(v.clone(), v);
        assert_eq!(ops, 0);
        let (out, ops) = roundtrip(
            json!({"a": "1", "m": {"b": 2}}),
            json!({"a": "1", "m": {"b": 3}}),
        );
        assert_eq!(out, json!({"a": "1", "m": {"b": 3}}));
        assert_eq!(ops, 1);
    }

    #[test]
    fn list_edits_touch_only_the_middle() {
        let (out, ops) = roundtrip(json!({"l": [1, 2, 3, 4]}), json!({"l": [1, 2, 3, 4, 5]}));
        assert_eq!(out, json!({"l": [1, 2, 3, 4, 5]}));
        assert_eq!(ops, 1);
        let (out, _) = roundtrip(json!({"l": [1, 2, 3, 4]}), json!({"l": [1, 9, 4]}));
        assert_eq!(out, json!({"l": [1, 9, 4]}));
        let (out, _) = roundtrip(json!({"l": [1, 2]}), json!({"l": []}));
        assert_eq!(out, json!({"l": []}));
        let (out, _) = roundtrip(json!({"k": [1]}), json!({"k": {"x": 1}}));
        assert_eq!(out, json!({"k": {"x": 1}}));
    }

    #[test]
    fn removed_keys_are_deleted() {
        let (out, _) = roundtrip(json!({"a": 1, "b": 2}), json!({"a": 1}));
        assert_eq!(out, json!({"a": 1}));
    }
}
