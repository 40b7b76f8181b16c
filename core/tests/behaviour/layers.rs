//! The core's layers call only downward: every `crate::module` a source file
//! names (directly, or through a name the crate root re-exports) must be on its
//! own layer or below, as `core/layers.txt` orders them. Upward imports that
//! remain are listed there one by one; a new one fails this test, and so does a
//! listed one that is gone, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, relative to `src/`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            // A test module's own file (`tests.rs`, `joint_tests.rs`): tests may
            // build on anything, as an inline test module may.
            && !path.to_string_lossy().ends_with("tests.rs")
        {
            out.push(path.strip_prefix(src()).unwrap().to_owned());
        }
    }
}

/// The top-level module a file belongs to (`household/lists.rs` → `household`).
fn module_of(file: &Path) -> String {
    let first = file
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Source without `//` comments (doc comments mention modules freely) and
/// without its test module (tests may build on anything).
fn code(text: &str) -> String {
    let mut end = text.len();
    for (i, _) in text.match_indices("#[cfg(test)]") {
        let after = text[i + 12..].trim_start();
        let inline = after
            .split_once(';')
            .is_none_or(|(head, _)| head.contains('{'));
        if after.starts_with("mod ") && inline {
            end = i;
            break;
        }
    }
    text[..end]
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Identifiers following `crate::` in `text`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(i, _)| {
            text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Names the crate root re-exports, and the module each comes from.
fn reexports() -> BTreeMap<String, String> {
    let lib = code(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let mut out = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.trim();
            if !name.is_empty() {
                out.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    out
}

struct Layers {
    level: BTreeMap<String, usize>,
    allowed: BTreeSet<(String, String)>,
}

fn layers() -> Layers {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("layers.txt")).unwrap();
    let mut level = BTreeMap::new();
    let mut allowed = BTreeSet::new();
    let mut n = 0;
    for line in text.lines().map(str::trim) {
        if let Some(mods) = line.strip_prefix("layer:") {
            for m in mods.split_whitespace() {
                assert!(
                    level.insert(m.to_owned(), n).is_none(),
                    "{m} is on two layers"
                );
            }
            n += 1;
        } else if let Some(edge) = line.strip_prefix("allow:") {
            let (file, module) = edge.split_once("->").expect("allow: FILE -> MODULE");
            allowed.insert((file.trim().to_owned(), module.trim().to_owned()));
        }
    }
    Layers { level, allowed }
}

#[test]
fn no_import_runs_upward() {
    let Layers { level, allowed } = layers();
    let names = reexports();
    let mut all = Vec::new();
    files(&src(), &mut all);
    let mut upward = BTreeSet::new();
    let mut unplaced = BTreeSet::new();
    for file in &all {
        let module = module_of(file);
        if module == "lib" {
            continue;
        }
        let Some(&own) = level.get(&module) else {
            unplaced.insert(module);
            continue;
        };
        let text = code(&std::fs::read_to_string(src().join(file)).unwrap());
        for path in crate_paths(&text) {
            let target = names.get(&path).cloned().unwrap_or(path);
            if target == module {
                continue;
            }
            match level.get(&target) {
                Some(&l) if l > own => {
                    upward.insert((file.to_string_lossy().into_owned(), target));
                }
                Some(_) => {}
                None if target.chars().next().is_some_and(char::is_lowercase) => {
                    unplaced.insert(target);
                }
                None => {}
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules on no layer of core/layers.txt: {unplaced:?}"
    );
    let new: Vec<_> = upward.difference(&allowed).collect();
    assert!(
        new.is_empty(),
        "imports running upward (a lower layer naming a higher one): {new:#?}\n\
         call downward instead, or move the shared piece to the lower layer"
    );
    let gone: Vec<_> = allowed.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "listed in core/layers.txt but no longer upward; delete these lines: {gone:#?}"
    );
    println!(
        "{} files, {} modules on {} layers; {} upward imports remain listed",
        all.len(),
        level.len(),
        level.values().max().map_or(0, |m| m + 1),
        upward.len()
    );
}
