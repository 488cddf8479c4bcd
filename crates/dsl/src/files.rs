//! The files a command line names: `runbook check`, `lint` and `test` take
//! files, directories (searched recursively) and glob patterns
//! (`'playbooks/**/*.yaml'`, quoted so that the shell leaves them alone),
//! and this one function turns them into the playbooks or the rehearsal
//! scenarios to read. Playbooks and scenarios sit side by side and match the
//! same globs; each command takes its own kind and leaves the other.

use crate::source::Syntax;
use globset::{GlobBuilder, GlobMatcher};
use std::path::{Component, Path, PathBuf};

/// How rehearsal scenario files are named (`incident.scenario.yaml`).
pub const SCENARIO_SUFFIXES: &[&str] = &[".scenario.yaml", ".scenario.yml"];

/// Which files a command reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// `.yaml`, `.yml` and `.runbook` playbooks (`check`, `lint`).
    Playbooks,
    /// `*.scenario.yaml` rehearsal scenarios (`test`).
    Scenarios,
}

/// What the arguments name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The files to read, in the order the arguments name them (each
    /// directory's and pattern's files sorted), without duplicates.
    pub files: Vec<PathBuf>,
    /// Scenario files named by a file argument or a pattern that a
    /// `Playbooks` command leaves to `runbook test`.
    pub skipped_scenarios: Vec<PathBuf>,
    /// Arguments that name nothing to read, in words: a directory or a
    /// pattern without a file of the wanted kind, a path that does not exist.
    pub problems: Vec<String>,
}

/// Whether a path names a rehearsal scenario.
pub fn is_scenario(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    SCENARIO_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Whether a path names a playbook (and not a scenario).
pub fn is_playbook(path: &Path) -> bool {
    Syntax::from_path(&path.to_string_lossy()).is_some() && !is_scenario(path)
}

/// Whether a search of the directory a relative path starts from would
/// reach it: no directory on the way is hidden (`.github`, `.runbook`) or
/// Cargo's `target`. `runbook diff --git` reviews the changed files that
/// `check .` would read.
pub fn searched(path: &Path) -> bool {
    let Some(parent) = path.parent() else {
        return true;
    };
    parent.components().all(|c| match c {
        Component::Normal(name) => !skipped_dir(Path::new(name)),
        _ => true,
    })
}

/// Whether a file's text is a playbook rather than some other YAML beside
/// it (a `docker-compose.yaml`, a CI workflow): a `.runbook` file always
/// is, a YAML file when it is a mapping with a top-level `steps`. YAML that
/// does not parse is one when a line starts with `steps:`, so that checking
/// it says what is wrong.
pub fn holds_playbook(path: &Path, text: &str) -> bool {
    match Syntax::from_path(&path.to_string_lossy()) {
        Some(Syntax::Yaml) => {}
        Some(Syntax::Runbook) => return true,
        None => return false,
    }
    let file = crate::SourceFile::new(path.display().to_string(), text);
    let mut diags = crate::diagnostic::Diagnostics::new();
    match crate::yaml::parse(&file, &mut diags) {
        Some(node) if !diags.has_errors() => node.get("steps").is_some(),
        _ => text.lines().any(|line| line.starts_with("steps:")),
    }
}

impl Wanted {
    fn accepts(self, path: &Path) -> bool {
        match self {
            Wanted::Playbooks => is_playbook(path),
            Wanted::Scenarios => is_scenario(path),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Wanted::Playbooks => "playbooks (`.yaml`, `.yml`, `.runbook`)",
            Wanted::Scenarios => "scenario files (`*.scenario.yaml`)",
        }
    }
}

/// The scenario file beside a playbook (`incident.yaml` ->
/// `incident.scenario.yaml`, or `.scenario.yml`), if there is one.
pub fn scenario_beside(playbook: &Path) -> Option<PathBuf> {
    let stem = playbook.file_stem()?.to_string_lossy().into_owned();
    SCENARIO_SUFFIXES
        .iter()
        .map(|suffix| playbook.with_file_name(format!("{stem}{suffix}")))
        .find(|candidate| candidate.is_file())
}

/// Expands the arguments of `check`, `lint` or `test`:
/// - an existing file is taken as given (a scenario named to `check` or
///   `lint` is skipped and reported in `skipped_scenarios`), but a playbook
///   named to `test` stands for the scenario file beside it (a problem if
///   there is none);
/// - a directory is searched recursively for the wanted files, hidden
///   directories and `target/` left out;
/// - an argument with `*`, `?`, `[` or `{` is a glob pattern (`*` stays
///   within a directory, `**` crosses them) matched against the files under
///   its literal leading directories; a directory it matches is searched;
/// - a path that does not exist is passed through for `Playbooks` (reading
///   it reports the error with the file's name) and is a problem for
///   `Scenarios`.
pub fn expand(args: &[PathBuf], wanted: Wanted) -> Expanded {
    let mut out = Expanded::default();
    for arg in args {
        let text = arg.to_string_lossy();
        if arg.is_file() {
            if wanted == Wanted::Playbooks && is_scenario(arg) {
                out.skipped_scenarios.push(arg.clone());
            } else if wanted == Wanted::Scenarios && is_playbook(arg) {
                match scenario_beside(arg) {
                    Some(scenario) => out.files.push(scenario),
                    None => out.problems.push(format!(
                        "`{text}` is a playbook, and no scenario file is beside it: \
                         its scenarios go in `{}.scenario.yaml` (docs/rehearsals.md)",
                        arg.file_stem().unwrap_or_default().to_string_lossy()
                    )),
                }
            } else {
                out.files.push(arg.clone());
            }
        } else if arg.is_dir() {
            let found = walk(arg, wanted);
            if found.is_empty() {
                out.problems
                    .push(format!("no {} under `{}`", wanted.noun(), arg.display()));
            }
            out.files.extend(found);
        } else if is_pattern(&text) {
            match glob(arg) {
                Ok(matched) => {
                    let mut found = Vec::new();
                    for path in matched {
                        if path.is_dir() {
                            found.extend(walk(&path, wanted));
                        } else if wanted.accepts(&path) {
                            found.push(path);
                        } else if wanted == Wanted::Playbooks && is_scenario(&path) {
                            out.skipped_scenarios.push(path);
                        }
                    }
                    if found.is_empty() {
                        out.problems
                            .push(format!("no {} match `{text}`", wanted.noun()));
                    }
                    found.sort();
                    out.files.extend(found);
                }
                Err(e) => out
                    .problems
                    .push(format!("`{text}` is not a valid pattern: {e}")),
            }
        } else if wanted == Wanted::Playbooks {
            out.files.push(arg.clone());
        } else {
            out.problems.push(format!("`{text}` does not exist"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.files.retain(|f| seen.insert(f.clone()));
    out
}

fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// The wanted files under a directory, sorted.
fn walk(dir: &Path, wanted: Wanted) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_type().is_dir() || !skipped_dir(e.path()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && wanted.accepts(e.path()))
        .map(walkdir::DirEntry::into_path)
        .collect();
    found.sort();
    found
}

/// Directories a search does not enter: hidden ones (`.git`, `.runbook`
/// journals) and Cargo's `target`.
fn skipped_dir(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.') || name == "target"
}

/// The paths (files and directories) a pattern matches, sorted.
fn glob(pattern: &Path) -> Result<Vec<PathBuf>, globset::Error> {
    let text = pattern.to_string_lossy();
    let matcher: GlobMatcher = GlobBuilder::new(&text)
        .literal_separator(true)
        .build()?
        .compile_matcher();
    // Walk from the pattern's leading components that hold no wildcard.
    let mut base = PathBuf::new();
    let mut depth = 0usize;
    let mut literal = true;
    for component in pattern.components() {
        let part = component.as_os_str().to_string_lossy();
        if literal && !is_pattern(&part) {
            base.push(component);
        } else {
            literal = false;
            depth = if part.contains("**") {
                usize::MAX
            } else {
                depth.saturating_add(1)
            };
        }
    }
    let start = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base.clone()
    };
    let mut matched: Vec<PathBuf> = walkdir::WalkDir::new(&start)
        .min_depth(1)
        .max_depth(depth)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| !e.file_type().is_dir() || !skipped_dir(e.path()))
        .filter_map(Result::ok)
        .map(|e| {
            // Matched as written: `./x` only when the pattern says `./`.
            let path = e.into_path();
            if base.as_os_str().is_empty() {
                path.components()
                    .skip_while(|c| matches!(c, Component::CurDir))
                    .collect()
            } else {
                path
            }
        })
        .filter(|p: &PathBuf| matcher.is_match(p))
        .collect();
    matched.sort();
    // A directory matched with files under it: the files come from the walk.
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for file in [
            "a/one.yaml",
            "a/one.scenario.yaml",
            "a/deep/two.runbook",
            "a/notes.md",
            "a/.hidden/three.yaml",
            "b/four.yml",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    fn names(dir: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| {
                f.strip_prefix(dir)
                    .unwrap_or(f)
                    .display()
                    .to_string()
                    .replace('\\', "/")
            })
            .collect()
    }

    #[test]
    fn a_directory_gives_its_playbooks_or_its_scenarios() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        let playbooks = expand(std::slice::from_ref(&root), Wanted::Playbooks);
        assert_eq!(
            names(&root, &playbooks.files),
            ["a/deep/two.runbook", "a/one.yaml", "b/four.yml"]
        );
        assert!(playbooks.problems.is_empty());
        let scenarios = expand(std::slice::from_ref(&root), Wanted::Scenarios);
        assert_eq!(names(&root, &scenarios.files), ["a/one.scenario.yaml"]);
    }

    #[test]
    fn patterns_match_like_a_shell_and_double_star_crosses_directories() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        let one = expand(&[root.join("a/*.yaml")], Wanted::Playbooks);
        assert_eq!(names(&root, &one.files), ["a/one.yaml"]);
        assert_eq!(
            names(&root, &one.skipped_scenarios),
            ["a/one.scenario.yaml"]
        );
        let all = expand(&[root.join("**/*.{yaml,yml,runbook}")], Wanted::Playbooks);
        assert_eq!(
            names(&root, &all.files),
            ["a/deep/two.runbook", "a/one.yaml", "b/four.yml"]
        );
        let dirs = expand(&[root.join("*")], Wanted::Playbooks);
        assert_eq!(dirs.files.len(), 3);
    }

    #[test]
    fn arguments_that_name_nothing_are_problems() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        let none = expand(&[root.join("b/*.runbook")], Wanted::Playbooks);
        assert!(none.files.is_empty());
        assert_eq!(none.problems.len(), 1, "{:?}", none.problems);
        let empty = expand(&[root.join("a/.hidden")], Wanted::Scenarios);
        assert_eq!(empty.problems.len(), 1);
        let missing = expand(&[root.join("nope.yaml")], Wanted::Playbooks);
        assert_eq!(missing.files, [root.join("nope.yaml")]);
        let missing = expand(&[root.join("nope")], Wanted::Scenarios);
        assert_eq!(missing.problems.len(), 1);
        let twice = expand(&[root.join("a/one.yaml"), root.clone()], Wanted::Playbooks);
        assert_eq!(twice.files.len(), 3);
    }

    #[test]
    fn a_playbook_named_to_test_stands_for_the_scenario_file_beside_it() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        let beside = expand(&[root.join("a/one.yaml")], Wanted::Scenarios);
        assert_eq!(names(&root, &beside.files), ["a/one.scenario.yaml"]);
        assert!(beside.problems.is_empty());
        let alone = expand(&[root.join("b/four.yml")], Wanted::Scenarios);
        assert!(alone.files.is_empty());
        assert_eq!(alone.problems.len(), 1, "{:?}", alone.problems);
        assert!(alone.problems[0].contains("four.scenario.yaml"));
    }

    #[test]
    fn a_search_skips_hidden_and_target_directories() {
        assert!(searched(Path::new("playbooks/x.yaml")));
        assert!(searched(Path::new("x.yaml")));
        assert!(searched(Path::new(".x.yaml")));
        assert!(!searched(Path::new(".github/workflows/runbook.yml")));
        assert!(!searched(Path::new("a/target/x.yaml")));
    }

    #[test]
    fn yaml_without_top_level_steps_is_no_playbook() {
        let yaml = |text: &str| holds_playbook(Path::new("x.yaml"), text);
        assert!(yaml("name: x\nsteps:\n  - id: a\n    log: hi\n"));
        assert!(!yaml("services:\n  db:\n    image: postgres\n"));
        assert!(!yaml("on: push\njobs:\n  a:\n    steps:\n      - run: x\n"));
        assert!(!yaml("- a\n- b\n"));
        assert!(yaml("name: x\nsteps: [\n"));
        assert!(!yaml("kind: Pod\n---\nkind: Service\n"));
        assert!(holds_playbook(Path::new("x.runbook"), "anything"));
    }

    #[test]
    fn malformed_and_hostile_patterns_are_problems_not_panics() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        for pattern in ["a/[abc", "a/{one,two", "a/***/x[", "../**/$(touch x)*"] {
            let out = expand(&[root.join(pattern)], Wanted::Playbooks);
            assert!(out.files.is_empty(), "{pattern}: {:?}", out.files);
            assert_eq!(out.problems.len(), 1, "{pattern}: {:?}", out.problems);
        }
    }
}
