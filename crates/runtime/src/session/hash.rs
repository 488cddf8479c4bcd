//! The plan hash: what `resume` compares to refuse a playbook that changed
//! under a run, and what every gate decision journals as the plan that was
//! approved. It is the SHA-256 of the checked playbook's canonical text (the
//! model printed back as `.runbook`, without comments, which is what
//! `runbook fmt` and `runbook convert` print), not of the source: a comment,
//! a reformatting or a conversion to the other syntax keeps the hash, a
//! change to what a step does (a command, a parameter, an edge, a gate)
//! changes it.

use runbook_dsl::plan::Plan;
use sha2::{Digest, Sha256};

/// The plan hash of `plan`, lowercase hex.
pub fn plan_hash(plan: &Plan) -> String {
    let canonical = runbook_dsl::print::runbook(plan.playbook(), &[], None);
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::plan_hash;
    use runbook_dsl::catalog::KindList;
    use runbook_dsl::SourceFile;

    fn hash(name: &str, text: &str) -> String {
        let checked = runbook_dsl::load::check(SourceFile::new(name, text), &KindList::new(vec![]));
        plan_hash(&checked.plan.expect("the playbook checks"))
    }

    const PLAYBOOK: &str = "name: p\nsteps:\n  - id: a\n    manual: hi\n  - id: b\n    needs: [a]\n    manual: there\n";

    #[test]
    fn comments_and_layout_keep_the_hash() {
        let commented = "# why this playbook exists\nname: p   # its name\nsteps:\n  - id: a\n    manual: hi\n\n\n  - id: b\n    needs: [ a ]\n    manual: \"there\"   # said last\n";
        assert_eq!(hash("p.yaml", PLAYBOOK), hash("p.yaml", commented));
    }

    #[test]
    fn what_a_step_does_changes_the_hash() {
        let changed = PLAYBOOK.replace("manual: there", "manual: elsewhere");
        assert_ne!(hash("p.yaml", PLAYBOOK), hash("p.yaml", &changed));
        let unordered = PLAYBOOK.replace("    needs: [a]\n", "");
        assert_ne!(hash("p.yaml", PLAYBOOK), hash("p.yaml", &unordered));
    }
}
