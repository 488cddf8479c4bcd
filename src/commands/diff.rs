mod renames;

use super::{load, FINDINGS, INVALID, OK};
use crate::cli::{DiffFormat, FailOn};
use crate::diagnostics;
use runbook_dsl::diff::{self, PlanDiff, RiskSeverity, TextStyle};
use runbook_dsl::load::Checked;
use runbook_dsl::plan::Plan;
use runbook_dsl::SourceFile;
use std::path::{Path, PathBuf};

/// One side of a comparison: a checked file, or nothing (added or deleted).
type Side = Option<Checked>;

/// `runbook diff OLD NEW` or `runbook diff --git BASE`: the semantic diff of
/// playbooks, with risks; exit 1 when `--fail-on` is met, 2 when a playbook
/// does not check.
pub fn run(
    files: &[PathBuf],
    git: Option<&str>,
    format: DiffFormat,
    fail_on: Option<FailOn>,
) -> i32 {
    let pairs: Vec<(Side, Side)> = match git {
        Some(base) => match git_pairs(base, files) {
            Ok(pairs) => pairs,
            Err(message) => {
                eprintln!("error: {message}");
                return INVALID;
            }
        },
        None => {
            let [old, new] = files else {
                eprintln!(
                    "error: `runbook diff` takes two files, OLD and NEW (or `--git BASE [PATH]...`)"
                );
                return INVALID;
            };
            vec![(Some(load(old)), Some(load(new)))]
        }
    };
    let mut invalid = false;
    for checked in pairs.iter().flat_map(|(o, n)| [o, n]).flatten() {
        diagnostics::human(&checked.file, &checked.diagnostics);
        invalid |= checked.plan.is_none();
    }
    if invalid {
        return INVALID;
    }
    let diffs: Vec<(PlanDiff, Option<&Plan>, Option<&Plan>)> = pairs
        .iter()
        .map(|(o, n)| {
            let mut d = diff::diff(plan(o), plan(n));
            // In a git review both sides have one path unless git saw a rename.
            let moved =
                !d.old_name.is_empty() && !d.new_name.is_empty() && d.old_name != d.new_name;
            if git.is_some() && moved {
                d.renamed_from = Some(d.old_name.clone());
            }
            (d, plan(o), plan(n))
        })
        .collect();
    match format {
        DiffFormat::Text => {
            let style = if crate::palette::stdout() {
                TextStyle::Color
            } else {
                TextStyle::Plain
            };
            if diffs.is_empty() {
                println!("no playbook changed");
            }
            for (d, _, _) in &diffs {
                print!("{}", diff::text(d, style));
            }
        }
        DiffFormat::Markdown => {
            println!("## Playbook changes\n");
            if diffs.is_empty() {
                println!("No playbook changed.");
            }
            for (d, old, new) in &diffs {
                print!("{}", diff::markdown(d, *old, *new));
                println!();
            }
        }
        DiffFormat::Json => {
            for (d, _, _) in &diffs {
                println!("{}", serde_json::to_string(d).unwrap_or_default());
            }
        }
    }
    let threshold = fail_on.map(|f| match f {
        FailOn::High => RiskSeverity::High,
        FailOn::Medium => RiskSeverity::Medium,
        FailOn::Low => RiskSeverity::Low,
    });
    let worst = diffs.iter().filter_map(|(d, _, _)| d.max_severity()).max();
    match (threshold, worst) {
        (Some(t), Some(w)) if w >= t => {
            // Said on stderr too: a CI job often sends stdout to a comment
            // or to /dev/null, and its log would show a bare exit 1.
            let met = diffs
                .iter()
                .flat_map(|(d, _, _)| &d.risks)
                .filter(|r| r.severity >= t)
                .count();
            eprintln!(
                "runbook diff: {met} risk(s) at `{}` or above (`--fail-on {}`)",
                t.name(),
                t.name()
            );
            FINDINGS
        }
        _ => OK,
    }
}

fn plan(side: &Side) -> Option<&Plan> {
    side.as_ref().and_then(|c| c.plan.as_ref())
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    git_stdout(args, git_output(args)?)
}

/// What `git ARGS` printed, or why it failed, as git says it.
fn git_stdout(args: &[&str], output: std::process::Output) -> Result<Vec<u8>, String> {
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn git_owned(args: &[String]) -> Result<Vec<u8>, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    git(&args)
}

fn git_output(args: &[&str]) -> Result<std::process::Output, String> {
    crate::programs::command("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))
}

/// `base` names a commit. A base that starts with `-` would reach git as
/// an option (`--output=FILE`), so it is refused before git sees it; a
/// failure other than "no such revision" (not a repository, git broken)
/// is told as git tells it.
fn verify_revision(base: &str) -> Result<(), String> {
    if base.starts_with('-') {
        return Err(format!(
            "`{base}` is not a git revision: it starts with `-`"
        ));
    }
    let verified = git_output(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{base}^{{commit}}"),
    ])?;
    if verified.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&verified.stderr).trim().to_string();
    Err(if said.is_empty() {
        format!("`{base}` is not a git revision")
    } else {
        format!("cannot read the git revision `{base}`: {said}")
    })
}

/// Every playbook changed in the working tree (tracked or not) since `base`,
/// paired with its version at `base` (under its old path when git sees it
/// renamed); with `narrow`, only those under these paths (as `git diff
/// BASE -- PATH...`).
///
/// The changed files reviewed are those `runbook check .` would read (not
/// under a hidden directory such as `.github` or in `target`, unless named
/// in `narrow`; not a `*.scenario.yaml`), and of those the ones that hold a
/// playbook on either side: other YAML (a `docker-compose.yaml`) is skipped
/// with a note, as a side that is not a playbook is taken as absent.
fn git_pairs(base: &str, narrow: &[PathBuf]) -> Result<Vec<(Side, Side)>, String> {
    use runbook_dsl::files;
    verify_revision(base)?;
    let pathspecs: Vec<String> = narrow.iter().map(|p| p.display().to_string()).collect();
    let with_paths = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.push("--".into());
        all.extend(pathspecs.iter().cloned());
        all
    };
    let changed = git_owned(&with_paths(&[
        "diff",
        "--name-only",
        "--relative",
        "--no-renames",
        base,
    ]))?;
    let untracked = git_owned(&with_paths(&["ls-files", "--others", "--exclude-standard"]))?;
    // A file named as an argument is reviewed wherever it is, as `check`
    // reads a file it is given.
    let plain = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let named = |path: &str| narrow.iter().any(|n| plain(n) == plain(Path::new(path)));
    let reviewed = |p: &str| {
        runbook_dsl::Syntax::from_path(p).is_some() && (files::searched(Path::new(p)) || named(p))
    };
    let mut paths: Vec<String> = String::from_utf8_lossy(&changed)
        .lines()
        .chain(String::from_utf8_lossy(&untracked).lines())
        .filter(|p| reviewed(p))
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    paths.retain(|p| {
        let scenario = files::is_scenario(Path::new(p));
        if scenario {
            eprintln!("note: skipped `{p}`, a rehearsal scenario (`runbook test` reads it)");
        }
        !scenario
    });
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    // Each file as `(path at base, path in the working tree)`: a playbook
    // git sees renamed is compared with its old version, whichever of
    // its two paths the review was narrowed to.
    let mut entries: Vec<(String, String)> = Vec::new();
    for (old, new) in renames::renamed_since(base)? {
        let kept = |p: &str| reviewed(p) && !files::is_scenario(Path::new(p));
        let listed = paths.contains(&old) || paths.contains(&new);
        if listed && kept(&old) && kept(&new) {
            paths.retain(|p| *p != old && *p != new);
            entries.push((old, new));
        }
    }
    entries.extend(paths.into_iter().map(|p| (p.clone(), p)));
    entries.sort_by(|a, b| a.1.cmp(&b.1));
    let catalog = runbook_stdlib::builtin();
    // The base versions are checked in a copy of the base's playbooks, so
    // that a playbook they call resolves as it was at `base` (a pull
    // request that renames a called playbook changes the caller too).
    let tree = BaseTree::export(base)?;
    let olds: Vec<Side> = {
        let _inside = tree.enter()?;
        entries
            .iter()
            .map(|(path, _)| {
                // Read from the copy (the working directory now).
                let bytes = std::fs::read(path).ok()?;
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if !files::holds_playbook(Path::new(path), &text) {
                    return None;
                }
                let mut checked =
                    runbook_dsl::load::check(SourceFile::new(path.clone(), text), catalog);
                // Its diagnostics say it is the base's version, not the
                // working tree's (the plan keeps the plain name).
                checked.file = SourceFile::new(format!("{path} (at {base})"), checked.file.text());
                Some(checked)
            })
            .collect()
    };
    let mut pairs = Vec::new();
    for ((at_base, path), old) in entries.iter().zip(olds) {
        let new = std::fs::read(path)
            .ok()
            .filter(|bytes| files::holds_playbook(Path::new(path), &String::from_utf8_lossy(bytes)))
            .map(|_| load(Path::new(path)));
        if old.is_none() && new.is_none() {
            if Path::new(path).exists() || tree.holds(at_base) {
                eprintln!("note: skipped `{path}`: not a playbook (no top-level `steps`)");
            }
            continue;
        }
        pairs.push((old, new));
    }
    Ok(pairs)
}

/// The playbooks of the base revision below this directory, written out
/// to a private temporary directory (removed when dropped).
struct BaseTree {
    dir: PathBuf,
}

impl BaseTree {
    fn export(base: &str) -> Result<BaseTree, String> {
        let listed = git(&["ls-tree", "-r", "-z", "--name-only", base])?;
        let dir = std::env::temp_dir().join(format!(
            "runbook-diff-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .map_err(|e| format!("cannot make `{}`: {e}", dir.display()))?;
        let tree = BaseTree { dir };
        for path in listed.split(|&b| b == 0) {
            let path = String::from_utf8_lossy(path);
            // Only playbooks, and only paths that stay below the copy.
            if runbook_dsl::Syntax::from_path(&path).is_none()
                || path.split('/').any(|part| part == ".." || part.is_empty())
            {
                continue;
            }
            let bytes = git(&["show", &format!("{base}:./{path}")])?;
            let target = tree.dir.join(&*path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot make `{}`: {e}", parent.display()))?;
            }
            std::fs::write(&target, bytes)
                .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
        }
        Ok(tree)
    }

    /// Whether the base revision has a file at this path.
    fn holds(&self, path: &str) -> bool {
        self.dir.join(path).is_file()
    }

    /// Works in the copy until the guard is dropped, then where it was.
    fn enter(&self) -> Result<impl Drop, String> {
        struct Back(PathBuf);
        impl Drop for Back {
            fn drop(&mut self) {
                let _ = std::env::set_current_dir(&self.0);
            }
        }
        let here = std::env::current_dir().map_err(|e| e.to_string())?;
        std::env::set_current_dir(&self.dir)
            .map_err(|e| format!("cannot enter `{}`: {e}", self.dir.display()))?;
        Ok(Back(here))
    }
}

impl Drop for BaseTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
