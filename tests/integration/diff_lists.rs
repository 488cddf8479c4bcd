//! `runbook diff` compares lists as sequences: branch cases by what they
//! test and where they go, `needs` and literal `for_each` lists by a
//! common subsequence, so an insertion or a removal is one change.

use crate::support::diff_of_texts;

const BRANCH: &str = r#"
name: route
steps:
  - id: kind
    ask:
      question: What broke?
      choices: [deploy, database, network]
  - id: route
    needs: [kind]
    branch:
      - when: steps.kind.answer == "deploy"
        then: rollback
      - when: steps.kind.answer == "database"
        then: failover
      - else: page
  - id: rollback
    log: rolling back
  - id: failover
    log: failing over
  - id: page
    log: paging
"#;

/// `path: old -> new` of each field of the one changed step.
fn fields(old: &str, new: &str) -> Vec<String> {
    let d = diff_of_texts(old, new);
    assert_eq!(d.steps.len(), 1, "{:#?}", d.steps);
    d.steps[0]
        .fields
        .iter()
        .map(|f| {
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            format!("{}: {} -> {}", f.path, side(&f.old), side(&f.new))
        })
        .collect()
}

#[test]
fn a_case_keeps_its_identity_when_one_is_inserted_before_it() {
    // A case inserted at the top, and the `database` case's condition
    // changed: that case is paired by its target, not by its position.
    let new = BRANCH
        .replace(
            "      - when: steps.kind.answer == \"deploy\"",
            "      - when: steps.kind.answer == \"network\"\n        then: page\n      - when: steps.kind.answer == \"deploy\"",
        )
        .replace(
            "steps.kind.answer == \"database\"",
            "steps.kind.answer in [\"database\"]",
        );
    assert_eq!(
        fields(BRANCH, &new),
        [
            "branch[0].when: - -> steps.kind.answer == \"network\"",
            "branch[0].then: - -> page",
            "branch[2].when: steps.kind.answer == \"database\" -> steps.kind.answer in [\"database\"]",
        ]
    );
}

#[test]
fn a_removed_case_is_one_removal() {
    let new = BRANCH.replace(
        "      - when: steps.kind.answer == \"deploy\"\n        then: rollback\n",
        "",
    );
    assert_eq!(
        fields(BRANCH, &new),
        [
            "branch[0].when: steps.kind.answer == \"deploy\" -> -",
            "branch[0].then: rollback -> -",
        ]
    );
}

const LISTS: &str = r#"
name: lists
steps:
  - id: a
    log: a
  - id: b
    log: b
  - id: c
    log: c
  - id: each
    needs: [a, b, c]
    for_each: [one, two, three, four]
    as: x
    log: "{{x}}"
"#;

#[test]
fn a_list_element_removed_from_the_middle_is_one_removal() {
    let new = LISTS
        .replace("[a, b, c]", "[a, c]")
        .replace("[one, two, three, four]", "[one, three, four]");
    assert_eq!(
        fields(LISTS, &new),
        ["needs[1]: b -> -", "for_each[1]: two -> -"]
    );
}

#[test]
fn a_value_replaced_in_a_list_is_a_change_of_that_element() {
    let new = LISTS.replace("[one, two, three, four]", "[zero, one, deux, three, four]");
    assert_eq!(
        fields(LISTS, &new),
        ["for_each[0]: - -> zero", "for_each[2]: two -> deux"]
    );
}

#[test]
fn an_element_whose_every_value_changed_is_still_changed_in_place() {
    // The `else` goes elsewhere: a change of the case, not one removed
    // and one added.
    let new = BRANCH.replace("- else: page", "- else: rollback");
    assert_eq!(fields(BRANCH, &new), ["branch[2].else: page -> rollback"]);
}
