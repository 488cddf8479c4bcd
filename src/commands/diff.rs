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
        Some(base) => match git_pairs(base) {
            Ok(pairs) => pairs,
            Err(message) => {
                eprintln!("error: {message}");
                return INVALID;
            }
        },
        None => {
            let [old, new] = files else {
                eprintln!("error: `runbook diff` takes two files, OLD and NEW (or `--git BASE`)");
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
        .map(|(o, n)| (diff::diff(plan(o), plan(n)), plan(o), plan(n)))
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
        (Some(t), Some(w)) if w >= t => FINDINGS,
        _ => OK,
    }
}

fn plan(side: &Side) -> Option<&Plan> {
    side.as_ref().and_then(|c| c.plan.as_ref())
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let output = git_output(args)?;
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
/// paired with its version at `base`.
fn git_pairs(base: &str) -> Result<Vec<(Side, Side)>, String> {
    verify_revision(base)?;
    let changed = git(&[
        "diff",
        "--name-only",
        "--relative",
        "--no-renames",
        base,
        "--",
    ])?;
    let untracked = git(&["ls-files", "--others", "--exclude-standard"])?;
    let mut paths: Vec<String> = String::from_utf8_lossy(&changed)
        .lines()
        .chain(String::from_utf8_lossy(&untracked).lines())
        .filter(|p| runbook_dsl::Syntax::from_path(p).is_some())
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    let catalog = runbook_stdlib::builtin();
    let mut pairs = Vec::new();
    for path in paths {
        let old = git(&["show", &format!("{base}:./{path}")])
            .ok()
            .map(|bytes| {
                let file =
                    SourceFile::new(path.clone(), String::from_utf8_lossy(&bytes).into_owned());
                runbook_dsl::load::check(file, catalog)
            });
        let new = Path::new(&path).exists().then(|| load(Path::new(&path)));
        pairs.push((old, new));
    }
    Ok(pairs)
}
