//! The core's top-level modules form layers: no module depends, directly or through others,
//! on a module that depends on it. This test reads the `crate::` paths of every production
//! source file (the `#[cfg(test)]` part and comments left out), resolves names the crate root
//! re-exports to the module they come from, and fails on any cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text of a source file without comments and without its test module.
fn production(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first names of every `crate::` path: `crate::a::b` gives `a`, `crate::{a, b::c}` gives
/// `a` and `b`.
fn crate_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` in macros, or a longer identifier
        }
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item_start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        if depth == 0 {
                            names.push(ident(&group[i..]).to_owned());
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident(rest).to_owned());
        }
    }
    names
}

struct Crate {
    modules: BTreeSet<String>,
    /// Names the crate root re-exports, with the module each comes from.
    reexports: BTreeMap<String, String>,
}

fn read_crate() -> Crate {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let lib = production(&lib);
    let mut modules = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    for statement in lib.split(';') {
        let s = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        let s = s.rsplit(']').next().unwrap().trim(); // drop attributes
        if let Some(name) = s.strip_prefix("pub mod ").or_else(|| s.strip_prefix("mod ")) {
            modules.insert(name.trim().to_owned());
        } else if let Some(path) = s.strip_prefix("pub use ") {
            let (module, items) = path.split_once("::").unwrap();
            let items = items.trim_start_matches('{').trim_end_matches('}');
            for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let name = item.rsplit("::").next().unwrap().rsplit(" as ").next().unwrap().trim();
                reexports.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    Crate { modules, reexports }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each top-level module with the top-level modules it uses.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let mut krate = read_crate();
    let mut all = Vec::new();
    files(&src(), &mut all);
    // A `#[macro_export]` macro sits at the crate root (`crate::name!`) but belongs to the
    // module that defines it.
    for path in &all {
        let relative = path.strip_prefix(src()).unwrap();
        let module = relative.components().next().unwrap().as_os_str().to_str().unwrap().trim_end_matches(".rs");
        let text = std::fs::read_to_string(path).unwrap();
        for exported in text.split("#[macro_export]\nmacro_rules! ").skip(1) {
            let name: String = exported.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            krate.reexports.insert(name, module.to_owned());
        }
    }
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in all {
        let relative = path.strip_prefix(src()).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_str().unwrap();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        assert!(krate.modules.contains(&module), "{} belongs to no module of lib.rs", path.display());
        let text = production(&std::fs::read_to_string(&path).unwrap());
        for name in crate_names(&text) {
            let target = if krate.modules.contains(&name) {
                name
            } else if let Some(module) = krate.reexports.get(&name) {
                module.clone()
            } else {
                panic!("{}: `crate::{name}` is neither a module nor a root re-export", path.display());
            };
            if target != module {
                deps.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    deps
}

fn reaches(deps: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(m) = stack.pop() {
        if m == to {
            return true;
        }
        if seen.insert(m.clone()) {
            stack.extend(deps.get(&m).into_iter().flatten().cloned());
        }
    }
    false
}

#[test]
fn the_parser_sees_grouped_and_nested_paths() {
    let names = crate_names("use crate::{a, b::{c, d}, e::F};\nlet x = crate::g::h(); $crate::i;");
    assert_eq!(names, ["a", "b", "e", "g"]);
}

#[test]
fn top_level_modules_have_no_cycles() {
    let deps = dependencies();
    assert!(deps.contains_key("engine"), "the parser found the engine's dependencies: {deps:?}");
    let mut cycles = Vec::new();
    for (from, targets) in &deps {
        for to in targets {
            if reaches(&deps, to, from) {
                cycles.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(cycles.is_empty(), "edges on a cycle between top-level modules: {cycles:#?}\nall: {deps:#?}");
}

#[test]
fn the_contributors_map_names_existing_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let map = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let tops = [
        "booking-core/",
        "booking-py/",
        "booking-uniffi/",
        "booking-sqlite/",
        "booking-postgres/",
        "fuzz/",
        "scripts/",
    ];
    let mut checked = 0;
    for (i, quoted) in map.split('`').enumerate() {
        if i % 2 == 1 && tops.iter().any(|t| quoted.starts_with(t)) {
            let path = quoted.split_whitespace().next().unwrap();
            assert!(root.join(path).exists(), "CONTRIBUTING.md names {path}, which does not exist");
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} paths found in CONTRIBUTING.md");
}
