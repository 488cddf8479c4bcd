//! `convert` is lossless and `fmt` is idempotent, over every playbook in the
//! repository: YAML -> .runbook -> YAML (and the reverse) gives the same model
//! and the same plan.

use crate::support::{playbooks_under, root};
use runbook_dsl::ast::Playbook;
use runbook_dsl::load;
use runbook_dsl::{draw, print, Diagnostics, SourceFile, Syntax};

fn parse(name: &str, text: &str) -> (Playbook, Vec<runbook_dsl::runbook_syntax::Comment>) {
    let mut diags = Diagnostics::new();
    let file = SourceFile::new(name, text);
    let (playbook, comments) = load::parse(&file, runbook_stdlib::builtin(), &mut diags);
    assert!(!diags.has_errors(), "{name} does not parse: {diags:?}");
    (playbook.expect("parsed"), comments)
}

/// The model without spans or character maps.
fn modulo_spans(playbook: &Playbook) -> String {
    let debug = format!("{playbook:?}");
    let spans = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").unwrap();
    let maps = regex::Regex::new(r"map: (Verbatim\(\d+\)|Runs\(\[[^\]]*\]\)|Opaque)").unwrap();
    let debug = spans.replace_all(&debug, "Span");
    maps.replace_all(&debug, "map").into_owned()
}

fn plan_text(name: &str, text: &str) -> String {
    let checked = load::check(SourceFile::new(name, text), runbook_stdlib::builtin());
    draw::text(
        checked
            .plan
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no plan: {:?}", checked.diagnostics)),
    )
}

fn convert(playbook: &Playbook, to: Syntax) -> String {
    match to {
        Syntax::Yaml => print::yaml(playbook),
        Syntax::Runbook => print::runbook(playbook, &[], None),
    }
}

fn every_playbook() -> Vec<std::path::PathBuf> {
    let mut files = playbooks_under(&root().join("playbooks"));
    files.extend(playbooks_under(&root().join("tests/fixtures/good")));
    assert!(!files.is_empty());
    files
}

#[test]
fn converting_there_and_back_keeps_the_model_and_the_plan() {
    for path in every_playbook() {
        let name = path.display().to_string();
        let syntax = Syntax::from_path(&name).unwrap();
        let other = match syntax {
            Syntax::Yaml => Syntax::Runbook,
            Syntax::Runbook => Syntax::Yaml,
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let (original, _) = parse(&name, &text);
        let converted = convert(&original, other);
        // Named beside the original, so that called playbooks resolve alike.
        let converted_name = path
            .with_file_name(format!("converted.{}", other.extension()))
            .display()
            .to_string();
        let (there, _) = parse(&converted_name, &converted);
        assert_eq!(
            modulo_spans(&original),
            modulo_spans(&there),
            "{name} changed on conversion to {other:?}:\n{converted}"
        );
        let back = convert(&there, syntax);
        let (again, _) = parse(&format!("back.{}", syntax.extension()), &back);
        assert_eq!(
            modulo_spans(&original),
            modulo_spans(&again),
            "{name} changed on the way back"
        );
        assert_eq!(
            plan_text(&name, &text),
            plan_text(&converted_name, &converted),
            "{name}: the plans differ"
        );
    }
}

#[test]
fn fmt_is_idempotent_and_committed_runbook_files_are_formatted() {
    for path in every_playbook()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "runbook"))
    {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let (playbook, comments) = parse(&name, &text);
        let once = print::runbook(&playbook, &comments, Some(&text));
        assert_eq!(
            once, text,
            "{name} is not formatted: run `runbook fmt {name}`"
        );
        let (playbook, comments) = parse(&name, &once);
        assert_eq!(
            print::runbook(&playbook, &comments, Some(&once)),
            once,
            "fmt is not idempotent on {name}"
        );
    }
}

#[test]
fn a_chain_ten_thousand_steps_deep_checks_and_plans() {
    let mut text = String::from("name: deep\nsteps:\n  - id: s0\n    log: start\n");
    for i in 1..10_000 {
        text.push_str(&format!("  - id: s{i}\n    needs: [s{}]\n    when: succeeded(s{})\n    log: step {{{{steps.s{}.message}}}}\n", i - 1, i - 1, i - 1));
    }
    let checked = load::check(
        SourceFile::new("deep.yaml", text),
        runbook_stdlib::builtin(),
    );
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        checked.diagnostics.first()
    );
    let plan = checked.plan.unwrap();
    assert_eq!(plan.order().len(), 10_000);
    assert_eq!(plan.order()[9_999], 9_999);
    let runbook = print::runbook(plan.playbook(), &[], None);
    let again = load::check(
        SourceFile::new("deep.runbook", runbook),
        runbook_stdlib::builtin(),
    );
    assert!(again.plan.is_some());
}
