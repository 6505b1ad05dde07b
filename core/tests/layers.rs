//! The core's imports run one way, in the order of the data (ARCHITECTURE.md): every module
//! names only modules of a lower layer. Read from the sources: each `crate::module` path outside
//! comments and test modules is an import of that module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module may import only modules of a lower layer.
const LAYERS: &[&[&str]] = &[
    &["fields", "estimator", "rng", "backend", "exp"],
    &["env"],
    &["rollout", "policy"],
    &["advantage"],
    &["config", "metrics", "inspect"],
    &["record", "import"],
    &["train"],
    &["bench"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read core/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's non-test code names as `crate::module`.
fn imports(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_module_imports_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = relative.iter().next().and_then(|c| c.to_str()).expect("name").trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let source = std::fs::read_to_string(file).expect("read");
        for imported in imports(&source) {
            if imported != module {
                edges.entry(module.clone()).or_default().insert(imported);
            }
        }
    }
    assert!(edges.len() >= 10, "the scan found the modules: {edges:?}");
    for (module, imported) in &edges {
        let own = layer_of(module).unwrap_or_else(|| panic!("module `{module}` has no layer in this test (and ARCHITECTURE.md)"));
        for other in imported {
            let theirs = layer_of(other).unwrap_or_else(|| panic!("`{module}` imports `{other}`, which has no layer"));
            assert!(theirs < own, "`{module}` (layer {own}) imports `{other}` (layer {theirs}): imports must run down the layers");
        }
    }
}

#[test]
fn the_scan_sees_imports_and_skips_comments_and_tests() {
    let source = "use crate::env::Game;\n// see crate::train\nfn f() { crate::fields::check(); }\n#[cfg(test)]\nmod tests { use crate::train::Trainer; }";
    assert_eq!(imports(source), BTreeSet::from(["env".to_string(), "fields".to_string()]));
}
