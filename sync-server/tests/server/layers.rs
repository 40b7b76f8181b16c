//! The server's layers: `http` → `api` / `web` → `service` → `storage`. Handlers
//! parse typed input and call service functions; only `service/` decides what a
//! caller may see or change, so `web/` and `api/` never reach storage, the blob
//! store, the pages' read model or a `FieldStore` themselves. They may name the
//! plain types those layers define (a device's status, a storage error), which
//! carry data, not access.
//!
//! A file that breaks the rule fails this test with the line that does.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source without `//` comments, with each run of whitespace made one space, so
/// a call split over lines (`state\n    .storage\n    .accounts(…)`) reads as one.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `web/` and `api/` may not reach, each with a pattern that finds it.
const FORBIDDEN: &[(&str, &str)] = &[
    ("storage", ". storage ."),
    ("storage", ".storage ."),
    ("storage", ".storage."),
    ("storage", ". storage."),
    ("the blob store", ".blobs."),
    ("the blob store", ". blobs ."),
    ("the blob store", ".blobs ."),
    ("the blob store", ". blobs."),
    ("the pages' read model", "replica"),
    ("a FieldStore", "FieldStore"),
    ("storage", "dyn Storage"),
    ("the blob store", "dyn BlobStore"),
];

/// Where each forbidden thing is reached in `text`: `(what, excerpt)`.
fn breaches(text: &str) -> Vec<(&'static str, String)> {
    let code = code(text);
    let mut out = Vec::new();
    for (what, pattern) in FORBIDDEN {
        for (at, _) in code.match_indices(pattern) {
            let start = code[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let end = code[at..]
                .char_indices()
                .nth(40)
                .map_or(code.len(), |(i, _)| at + i);
            out.push((*what, code[start..end].to_owned()));
        }
    }
    out
}

#[test]
fn web_and_api_reach_storage_only_through_the_service() {
    let mut found = Vec::new();
    for layer in ["web", "api"] {
        let mut paths = Vec::new();
        files(&src().join(layer), &mut paths);
        assert!(!paths.is_empty(), "{layer}/ has files");
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            for (what, excerpt) in breaches(&text) {
                found.push(format!(
                    "{} reaches {what} directly: …{excerpt}…",
                    path.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "call a service function instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_each_way_of_reaching_past_the_service() {
    let split = "let a = state\n        .storage\n        .accounts(None)\n        .await?;";
    assert_eq!(breaches(split)[0].0, "storage");
    assert_eq!(
        breaches("state.blobs.put(&h, &b).await")[0].0,
        "the blob store"
    );
    assert_eq!(
        breaches("let s = replica::store(&state).await?;")[0].0,
        "the pages' read model"
    );
    assert_eq!(breaches("fn f(s: &FieldStore) {}")[0].0, "a FieldStore");
    // Comments and plain types are no breach.
    assert!(
        breaches("// the replica keeps state.storage\nuse crate::storage::DeviceStatus;")
            .is_empty()
    );
    assert!(breaches("service::accounts::list(&state, None).await?").is_empty());
}
