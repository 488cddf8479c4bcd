//! Good playbooks check clean and their plans are snapshotted as text.

use crate::support::{check, playbooks_under, rendered, root, snapshot_name};
use runbook_dsl::render;

#[test]
fn good_playbooks_check_clean_and_plan_as_snapshotted() {
    let root = root();
    let mut files = playbooks_under(&root.join("tests/fixtures/good"));
    files.extend(playbooks_under(&root.join("playbooks")));
    assert!(!files.is_empty());
    for path in files {
        let checked = check(&path);
        assert!(
            checked.diagnostics.is_empty(),
            "{} has diagnostics:\n{}",
            path.display(),
            rendered(&checked)
        );
        let plan = checked.plan.expect("a clean playbook has a plan");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root.join("tests/snapshots/plans"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&path);
        settings.bind(|| insta::assert_snapshot!(snapshot_name(&path, &root), render::text(&plan)));
    }
}
