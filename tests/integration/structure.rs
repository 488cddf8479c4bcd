//! The shape of the code, held by tests (issue 13, "rooms named after their
//! concepts"): no non-test source file is longer than [`MAX_LINES`], since a
//! file that long holds more than one concept, and the top-level modules of
//! each crate import one another one way, since an import circle means two
//! modules are one concept or share a third that wants its own module.
//!
//! The import graph is read from the source text with a small scanner, not
//! the compiler: every `crate::NAME` path (in `use` trees and in code) is an
//! edge from the module whose file it is in to the module `NAME` names,
//! directly or through a re-export of the crate root (`crate::Code`).

use crate::support::{root, rust_files, workspace_crates};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// The most lines a non-test source file may have.
const MAX_LINES: usize = 600;

/// Whether `path` (relative to the repository) is test code: a file named
/// `tests.rs` or anything under a `tests/` folder.
fn is_test_source(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// Every non-test Rust source under `crates/` and `src/`, relative to the root.
fn non_test_sources() -> Vec<PathBuf> {
    let root = root();
    ["crates", "src"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .map(|f| f.strip_prefix(&root).expect("under the root").to_path_buf())
        .filter(|f| !is_test_source(f))
        .collect()
}

#[test]
fn no_source_file_is_over_the_limit() {
    let root = root();
    let mut over = Vec::new();
    for file in non_test_sources() {
        let text = std::fs::read_to_string(root.join(&file)).expect("readable source");
        let lines = text.lines().count();
        if lines > MAX_LINES {
            over.push(format!("{}: {lines} lines", file.display()));
        }
    }
    assert!(
        over.is_empty(),
        "split these files by concept, each under {MAX_LINES} lines:\n{}",
        over.join("\n")
    );
}

/// The import graph between the top-level modules of one crate: a module is
/// a file or a folder directly under `src/`.
#[derive(Debug, Default)]
struct ModuleGraph {
    modules: BTreeSet<String>,
    /// For each module, the modules it names, each with one file that names it.
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl ModuleGraph {
    /// Reads the graph of the crate whose sources are `files` (relative to
    /// `src`, with their text).
    fn read(files: &[(PathBuf, String)]) -> ModuleGraph {
        let mut graph = ModuleGraph::default();
        let mut reexports = BTreeMap::new();
        for (file, text) in files {
            match top_level_module(file) {
                Some(module) => {
                    graph.modules.insert(module);
                }
                None => reexports.extend(root_reexports(text)),
            }
        }
        for (file, text) in files {
            let Some(from) = top_level_module(file) else {
                continue;
            };
            for named in crate_paths(text, super_is_root(file)) {
                let to = if graph.modules.contains(&named) {
                    named
                } else if let Some(module) = reexports.get(&named) {
                    module.clone()
                } else {
                    continue;
                };
                if to != from {
                    graph
                        .edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| file.display().to_string());
                }
            }
        }
        graph
    }

    fn next(&self, module: &str) -> impl Iterator<Item = &String> {
        self.edges.get(module).into_iter().flat_map(|e| e.keys())
    }

    /// The shortest way from `from` back to itself, if there is one:
    /// `[from, a, b]` for `from -> a -> b -> from`.
    fn circle_through(&self, from: &str) -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(module) = queue.pop_front() {
            for next in self.next(module) {
                if next == from {
                    let mut circle = vec![module.to_string()];
                    let mut at = module;
                    while at != from {
                        at = came_from[at];
                        circle.push(at.to_string());
                    }
                    circle.reverse();
                    return Some(circle);
                }
                if !came_from.contains_key(next.as_str()) {
                    came_from.insert(next, module);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// Every circle, once each (by its set of modules), as
    /// `a -> b (src/a.rs) -> a (src/b.rs)`.
    fn circles(&self) -> Vec<String> {
        self.circles_by_modules().into_values().collect()
    }

    /// [`Self::circles`], keyed by the set of modules in each circle.
    fn circles_by_modules(&self) -> BTreeMap<BTreeSet<String>, String> {
        let mut out = BTreeMap::new();
        for module in &self.modules {
            let Some(circle) = self.circle_through(module) else {
                continue;
            };
            let members: BTreeSet<String> = circle.iter().cloned().collect();
            if out.contains_key(&members) {
                continue;
            }
            let mut text = circle[0].clone();
            for (i, from) in circle.iter().enumerate() {
                let to = &circle[(i + 1) % circle.len()];
                let file = &self.edges[from][to];
                text.push_str(&format!(" -> {to} ({file})"));
            }
            out.insert(members, text);
        }
        out
    }
}

/// Whether `super::` in this file (relative to `src/`) is the crate root:
/// in `x.rs` and `x/mod.rs`.
fn super_is_root(file: &Path) -> bool {
    let depth = file.components().count();
    depth == 1 || (depth == 2 && file.file_name().is_some_and(|n| n == "mod.rs"))
}

/// The top-level module a file (relative to `src/`) belongs to; `None` for
/// the crate root (`lib.rs`, `main.rs`).
fn top_level_module(file: &Path) -> Option<String> {
    let first = file.components().next()?.as_os_str().to_str()?;
    if file.components().count() > 1 {
        return Some(first.to_string());
    }
    let name = first.strip_suffix(".rs")?;
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The source without `//` comments (doc links are not imports) and without
/// a trailing inline test module (`#[cfg(test)] mod tests { ... }`).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod ") && l.trim_end().ends_with('{'))
        {
            break;
        }
        code.push_str(line.split("//").next().unwrap_or_default());
        code.push('\n');
    }
    code
}

/// The first name of every `crate::` path in `text` (and `super::` path,
/// when `super` is the crate root): `crate::a::b` and
/// `use crate::{a, b::{c, d}}` name `a` and `b`.
fn crate_paths(text: &str, super_is_root: bool) -> Vec<String> {
    let code = code_of(text);
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let roots: &[&str] = if super_is_root {
        &["crate::", "super::"]
    } else {
        &["crate::"]
    };
    let mut names = Vec::new();
    let found = roots.iter().flat_map(|root| {
        code.match_indices(root)
            .map(move |(at, _)| (at, root.len()))
    });
    for (at, len) in found {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_ident(c) || c == ':')
        {
            continue;
        }
        let rest = code[at + len..].trim_start();
        if rest.starts_with('{') {
            let Some(group) = braced(rest) else {
                continue;
            };
            names.extend(
                flatten_use_tree(group)
                    .into_iter()
                    .filter_map(|(path, _)| path.into_iter().next()),
            );
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names.retain(|n| n != "self");
    names
}

/// The text inside the braces `text` starts with, or `None` if unbalanced.
fn braced(text: &str) -> Option<&str> {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[1..i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The paths a use tree names and the name each is bound to:
/// `a::{b, c::{d as e}}` gives `a::b` as `b` and `a::c::d` as `e`.
fn flatten_use_tree(tree: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut pending = vec![(Vec::<String>::new(), tree.to_string())];
    while let Some((prefix, tree)) = pending.pop() {
        for item in split_top_level(&tree) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if let Some(open) = item.find('{') {
                let Some(inner) = braced(&item[open..]) else {
                    continue;
                };
                let mut path = prefix.clone();
                path.extend(segments(&item[..open]));
                pending.push((path, inner.to_string()));
                continue;
            }
            let (path, alias) = match item.split_once(" as ") {
                Some((path, alias)) => (path, Some(alias.trim())),
                None => (item, None),
            };
            let mut full = prefix.clone();
            full.extend(segments(path));
            let Some(last) = full.last().cloned() else {
                continue;
            };
            let bound = match alias {
                Some(alias) => alias.to_string(),
                None if last == "self" => full.iter().rev().nth(1).cloned().unwrap_or(last),
                None => last,
            };
            out.push((full, bound));
        }
    }
    out
}

/// `a::b::` -> `["a", "b"]`.
fn segments(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `a, b::{c, d}, e` -> `["a", "b::{c, d}", "e"]`.
fn split_top_level(tree: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in tree.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&tree[start..]);
    items
}

/// What the crate root re-exports from its modules, by the name it is bound
/// to: `pub use code::Code;` maps `Code` to `code`.
fn root_reexports(text: &str) -> BTreeMap<String, String> {
    let code = code_of(text);
    let mut out = BTreeMap::new();
    for statement in code.split(';') {
        let Some(tree) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        for (path, bound) in flatten_use_tree(tree) {
            let path: Vec<&String> = path
                .iter()
                .skip_while(|s| *s == "crate" || *s == "self")
                .collect();
            if let Some(module) = path.first().filter(|_| path.len() > 1) {
                out.insert(bound, module.to_string());
            }
        }
    }
    out
}

/// The sources of the crate at `krate`, relative to its `src/`, tests left out.
fn crate_sources(krate: &Path) -> Vec<(PathBuf, String)> {
    let src = krate.join("src");
    rust_files(&src)
        .into_iter()
        .map(|f| f.strip_prefix(&src).expect("under src/").to_path_buf())
        .filter(|f| !is_test_source(f))
        .map(|f| {
            let text = std::fs::read_to_string(src.join(&f)).expect("readable source");
            (f, text)
        })
        .collect()
}

#[test]
fn no_import_circles_between_top_level_modules() {
    let root = root();
    let mut circles = Vec::new();
    for krate in workspace_crates() {
        let graph = ModuleGraph::read(&crate_sources(&krate));
        let name = krate
            .strip_prefix(&root)
            .unwrap_or(&krate)
            .display()
            .to_string();
        let name = if name.is_empty() { "src" } else { &name };
        for circle in graph.circles() {
            circles.push(format!("{name}: {circle}"));
        }
    }
    assert!(
        circles.is_empty(),
        "import circles between top-level modules (move what both need into its own module):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_import_scanner_reads_paths_reexports_and_circles() {
    let source = "use crate::a::X;\nuse crate::{b, c::{d, e as f}, self};\n\
         fn g() { crate::d::h(); runbook_crate::z(); super::s::t(); }\n\
         // crate::commented::Out\n/// [`crate::doc_link`]\n\
         #[cfg(test)]\nmod tests {\n    use crate::only_in_tests;\n}\n";
    let mut names = crate_paths(source, false);
    names.sort();
    assert_eq!(names, ["a", "b", "c", "c", "d"]);
    let mut names = crate_paths(source, true);
    names.sort();
    assert_eq!(names, ["a", "b", "c", "c", "d", "s"]);
    assert!(super_is_root(Path::new("x.rs")) && super_is_root(Path::new("x/mod.rs")));
    assert!(!super_is_root(Path::new("x/y.rs")));

    let reexports = root_reexports(
        "pub mod code;\npub use code::Code;\npub use diagnostic::{Diagnostic, Severity as Level};\nuse private::Hidden;\n",
    );
    assert_eq!(
        reexports.into_iter().collect::<Vec<_>>(),
        [
            ("Code".to_string(), "code".to_string()),
            ("Diagnostic".to_string(), "diagnostic".to_string()),
            ("Level".to_string(), "diagnostic".to_string()),
        ]
    );

    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_string());
    let graph = ModuleGraph::read(&[
        file(
            "lib.rs",
            "pub mod a; pub mod b; pub mod c; pub mod d;\npub use c::Thing;",
        ),
        file("a.rs", "use crate::b::X;"),
        file("b/mod.rs", "mod inner;"),
        file("b/inner.rs", "use crate::Thing;"),
        file("c.rs", "fn f() { crate::a::g(); crate::d::h(); }"),
        file("d.rs", "use crate::d::Own;"),
        file(
            "d/inner.rs",
            "use super::Own; use super::super::a::Ignored;",
        ),
    ]);
    assert_eq!(
        graph.circles(),
        ["a -> b (a.rs) -> c (b/inner.rs) -> a (c.rs)"]
    );

    let one_way = ModuleGraph::read(&[
        file("a.rs", "use crate::b::X;"),
        file("b.rs", "use crate::c::Y;"),
        file("c.rs", "pub struct Y;"),
    ]);
    assert!(one_way.circles().is_empty(), "{:?}", one_way.edges);
}
