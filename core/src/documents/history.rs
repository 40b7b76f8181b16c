//! "Who changed which field when": field history and open conflicts, read from the
//! document's own change graph.

use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, Value as Am};
use serde::Serialize;
use serde_json::Value;

use super::{actor, tree};
use crate::error::{Error, Result};

/// One change of one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The user who made it, from the change's commit message.
    pub user_id: Option<String>,
    /// The device it was made on (hex), from the actor id.
    pub device_id: Option<String>,
    /// When, in unix seconds, by the author's device clock.
    pub time: i64,
    /// The values the author saw before: empty if the field did not exist, more than
    /// one if concurrent values were in conflict and this change settled them.
    pub old: Vec<Value>,
    /// The value written, or `None` if the field was removed.
    pub new: Option<Value>,
    /// The Automerge change hash (hex).
    pub change: String,
}

/// A field that holds concurrent values written on different devices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldConflict {
    /// The field's path, segments joined by `/`.
    pub path: String,
    /// Every concurrent value; the first is the one shown until someone edits.
    pub values: Vec<Value>,
}

/// Splits a path such as `fields/basic.phone` or `members/0/relation`.
pub(crate) fn parse_path(path: &str) -> Result<Vec<String>> {
    let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
    if path.is_empty() || segments.iter().any(String::is_empty) {
        return Err(Error::InvalidPath {
            path: path.to_owned(),
            reason: "segments are separated by single '/' and may not be empty".into(),
        });
    }
    Ok(segments)
}

/// Every value the field at `path` holds at `heads` (more than one if in conflict).
fn values_at(doc: &AutoCommit, path: &[String], heads: &[ChangeHash]) -> Vec<Value> {
    let mut obj = automerge::ROOT;
    for (i, segment) in path.iter().enumerate() {
        let Some(prop) = prop_in(doc, &obj, segment) else {
            return Vec::new();
        };
        if i + 1 == path.len() {
            return doc
                .get_all_at(&obj, prop, heads)
                .unwrap_or_default()
                .into_iter()
                .map(|(v, id)| tree::to_json(doc, v, &id, Some(heads)))
                .collect();
        }
        match doc.get_at(&obj, prop, heads) {
            Ok(Some((Am::Object(_), id))) => obj = id,
            _ => return Vec::new(),
        }
    }
    Vec::new()
}

fn prop_in(doc: &AutoCommit, obj: &ObjId, segment: &str) -> Option<Prop> {
    match doc.object_type(obj).ok()? {
        ObjType::List | ObjType::Text => segment.parse::<usize>().ok().map(Prop::Seq),
        ObjType::Map | ObjType::Table => Some(Prop::Map(segment.to_owned())),
    }
}

/// The history of one field: every change that altered what it shows, in causal
/// order, comparing the field just before and just after each change as its author
/// saw it.
pub(crate) fn field_history(doc: &mut AutoCommit, path: &[String]) -> Vec<FieldChange> {
    let changes = doc.get_changes(&[]);
    let mut out = Vec::new();
    for change in &changes {
        let before = values_at(doc, path, change.deps());
        let after = values_at(doc, path, &[change.hash()]);
        if before == after {
            continue;
        }
        out.push(FieldChange {
            user_id: actor::author_of(change.message()),
            device_id: actor::device_of(change.actor_id()),
            time: change.timestamp(),
            old: before,
            new: after.into_iter().next_back(),
            change: change.hash().to_string(),
        });
    }
    out
}

/// Who changed a stored document when: `(user id, unix seconds by the author's
/// clock)` for every change whose commit message names its author, in causal
/// order. The assessment counts a person's edits of households and persons by it.
pub fn change_authors(id: &str, bytes: &[u8]) -> Result<Vec<(String, i64)>> {
    let mut doc = super::merge::load_strict(id, bytes, &[])?;
    Ok(doc
        .get_changes(&[])
        .iter()
        .filter_map(|c| actor::author_of(c.message()).map(|u| (u, c.timestamp())))
        .collect())
}

/// Every field that currently holds concurrent values.
pub(crate) fn conflicts(doc: &AutoCommit) -> Vec<FieldConflict> {
    let mut out = Vec::new();
    walk(doc, &automerge::ROOT, &mut Vec::new(), &mut out);
    out
}

fn walk(doc: &AutoCommit, obj: &ObjId, path: &mut Vec<String>, out: &mut Vec<FieldConflict>) {
    let props: Vec<Prop> = match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => doc.keys(obj).map(Prop::Map).collect(),
        Ok(ObjType::List) => (0..doc.length(obj)).map(Prop::Seq).collect(),
        _ => return,
    };
    for prop in props {
        path.push(match &prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        });
        let all = doc.get_all(obj, prop).unwrap_or_default();
        if all.len() > 1 {
            out.push(FieldConflict {
                path: path.join("/"),
                // Automerge lists the winning value last; show it first.
                values: all
                    .iter()
                    .rev()
                    .map(|(v, id)| tree::to_json(doc, v.clone(), id, None))
                    .collect(),
            });
        }
        if let Some((Am::Object(_), id)) = all.last() {
            walk(doc, id, path, out);
        }
        path.pop();
    }
}
