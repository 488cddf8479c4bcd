//! docs/examples.md lists the seed playbooks with their graphs, generated
//! from the playbooks so the documentation cannot drift.
//! `UPDATE_DOCS=1 cargo test --test integration examples_doc` rewrites it.

use crate::support::{check, playbooks_under, root};
use runbook_dsl::draw;

const BEGIN: &str = "<!-- examples:begin -->";
const END: &str = "<!-- examples:end -->";

/// The seeds, in the order the page lists them: directory and heading.
const SEEDS: &[(&str, &str)] = &[
    ("alphaswarm", "AlphaSwarm"),
    ("pilot", "Pilot"),
    ("trevor", "trevor"),
];

/// The first sentence of a Markdown description, on one line.
fn first_sentence(text: &str) -> String {
    let paragraph = text.split("\n\n").next().unwrap_or("");
    let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.find(". ") {
        Some(end) => line[..=end].to_string(),
        None => line,
    }
}

fn generate() -> String {
    let mut out = String::new();
    for (dir, heading) in SEEDS {
        out.push_str(&format!("\n## {heading}\n"));
        let files = playbooks_under(&root().join("playbooks").join(dir));
        let yaml: Vec<_> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        assert!(!yaml.is_empty(), "no playbook under playbooks/{dir}");
        for path in yaml {
            let checked = check(path);
            let plan = checked
                .plan
                .unwrap_or_else(|| panic!("{} does not check", path.display()));
            let playbook = plan.playbook();
            let relative = path.strip_prefix(root()).unwrap().display().to_string();
            let twin = relative.replace(".yaml", ".runbook");
            let title = playbook
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default();
            let name = playbook
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default();
            let summary = playbook
                .description
                .as_ref()
                .map(|d| first_sentence(&d.value))
                .unwrap_or_default();
            out.push_str(&format!(
                "\n### {title}\n\n`{name}`: [`{relative}`](../{relative}), [`{twin}`](../{twin}). {summary}\n\n```mermaid\n{}\n```\n",
                draw::mermaid(&plan).trim_end()
            ));
        }
    }
    out
}

#[test]
fn examples_doc_shows_every_seed_playbook_with_its_graph() {
    let path = root().join("docs/examples.md");
    let doc = std::fs::read_to_string(&path).expect("docs/examples.md exists");
    let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/examples.md lacks the {BEGIN} / {END} markers");
    };
    let wanted = format!("{}\n", generate());
    let current = &doc[begin + BEGIN.len()..end];
    if current != wanted {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{wanted}{}", &doc[..begin], &doc[end..]);
            std::fs::write(&path, updated).expect("docs/examples.md is writable");
        } else {
            panic!("docs/examples.md is out of date: run `UPDATE_DOCS=1 cargo test --test integration examples_doc`");
        }
    }
}
