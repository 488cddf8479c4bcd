//! Issue 12, section 1: `check` types the element of a list from the
//! list's type (a pod object, a Prometheus series, a SQL row, a string),
//! wherever it is read: a loop's element (`item`, `as: pod`), a lambda's
//! parameter, a computed value, `steps.LOOP.results[0].item`, a template
//! and an `{{#each}}` body. A misspelt field is `unknown_record_field` on
//! the field, with a did-you-mean.

use runbook_dsl::{Code, SourceFile};

fn check(yaml: &str) -> runbook_dsl::load::Checked {
    runbook_dsl::load::check(
        SourceFile::new("types.yaml", yaml),
        runbook_stdlib::builtin(),
    )
}

/// The playbook's steps after these probes: pods listed, a CPU query, a
/// SQL query with a plain select list and one with `*`, deployments.
fn playbook(steps: &str) -> String {
    format!(
        r#"name: types
steps:
  - id: pods
    k8s: {{operation: list, namespace: prod, selector: app=web}}
  - id: deploys
    k8s: {{operation: list, resource: deployments, namespace: prod}}
  - id: cpu
    prometheus: sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))
  - id: stuck
    sql: "SELECT id, status::text, attempts::int FROM request"
  - id: everything
    sql: "SELECT * FROM request"
{steps}"#
    )
}

/// The codes, messages and the text under each diagnostic's primary span.
fn found(yaml: &str) -> Vec<(Code, String, String)> {
    check(yaml)
        .diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span();
            (
                d.code,
                d.message.clone(),
                yaml[span.start..span.end].to_string(),
            )
        })
        .collect()
}

#[test]
fn well_typed_reads_of_elements_check_clean() {
    let yaml = playbook(
        r#"  - id: restart
    needs: [pods, cpu]
    for_each: steps.pods.items
    as: pod
    when: any(steps.cpu.series, s => s.value > 0.8 && s.labels.pod != "")
    shell: "kubectl delete pod {{pod.metadata.name}} -n {{pod.metadata.namespace}}"
    until: pod.status.phase == "Running" && pod.status.containerStatuses[0].restartCount < 3 && pod.metadata.labels["app"] == "web"
  - id: scale
    needs: [deploys]
    for_each: steps.deploys.items
    log: "{{item.metadata.name}} {{json item.spec}} {{json item.data}}"
  - id: retry
    needs: [stuck, everything]
    for_each: steps.stuck.rows
    as: row
    when: all(steps.everything.rows, r => r.anything != null)
    shell: "./retry.sh {{row.id}} {{row.status}}"
    until: row.attempts > 2 && row.status == "DONE"
  - id: report
    needs: [restart, cpu]
    log: "{{steps.restart.results.[0].item.metadata.name}} {{#each steps.cpu.series}}{{this.labels.pod}}={{this.value}} {{/each}}"
"#,
    );
    let checked = check(&yaml);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let plan = checked.plan.expect("it checks");
    let element = |id: &str| {
        let i = plan.index_of(id).expect("planned");
        let iteration = plan.step_plan(i).iteration.as_ref().expect("a loop");
        iteration.element_type.to_string()
    };
    assert_eq!(element("restart"), "pod");
    assert_eq!(element("scale"), "k8s_object");
    assert_eq!(element("retry"), "{id: any, status: string, attempts: int}");
}

#[test]
fn misspelt_fields_are_reported_on_the_field_wherever_the_element_is_read() {
    let yaml = playbook(
        r#"  - id: restart
    needs: [pods, cpu]
    for_each: steps.pods.items
    as: pod
    when: any(steps.cpu.series, s => s.lables.pod != "")
    shell: "kubectl delete pod {{pod.metadata.nmae}}"
    until: pod.staus.phase == "Running"
  - id: scale
    needs: [deploys]
    for_each: steps.deploys.items
    log: "{{item.metdata.name}}"
  - id: retry
    needs: [stuck]
    for_each: steps.stuck.rows
    shell: "./retry.sh {{item.idd}}"
  - id: report
    needs: [restart, cpu, pods]
    log: "{{steps.restart.results.[0].item.spec.nodeNmae}} {{#each steps.cpu.series}}{{this.valeu}}{{/each}} {{#each steps.pods.items as |p|}}{{p.status.phsae}}{{/each}}"
"#,
    );
    let found = found(&yaml);
    let fields: Vec<(&str, &str)> = found
        .iter()
        .map(|(code, message, at)| {
            assert_eq!(*code, Code::UnknownRecordField, "{message}");
            (message.as_str(), at.as_str())
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("`s` has no field `lables`", "lables"),
            ("`pod.metadata` has no field `nmae`", "nmae"),
            ("`pod` has no field `staus`", "staus"),
            ("`item` has no field `metdata`", "metdata"),
            ("`item` has no field `idd`", "idd"),
            (
                "`steps.restart.results[0].item.spec` has no field `nodeNmae`",
                "nodeNmae"
            ),
            ("`this` has no field `valeu`", "valeu"),
            ("`p.status` has no field `phsae`", "phsae"),
        ]
    );
    // Each with its did-you-mean; a closed record lists its fields when
    // nothing is close.
    let checked = check(&yaml);
    let helps: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter_map(|d| d.help.as_deref())
        .collect();
    assert!(helps[0].starts_with("did you mean `labels`?"), "{helps:?}");
    assert!(helps[2].starts_with("did you mean `status`?"), "{helps:?}");
    let far = playbook(
        "  - id: look\n    needs: [cpu]\n    for_each: steps.cpu.series\n    log: \"{{item.zzz}}\"\n",
    );
    let checked = check(&far);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("the fields are: `labels`, `value`, `values`")
    );
}

#[test]
fn lambdas_and_computed_values_carry_the_element_type() {
    let yaml = r#"name: types
vars:
  running: filter(steps.pods.items, p => p.status.phase == "Running")
  first: steps.pods.items[0]
  hottest: max(steps.cpu.series, s => s.value)
  names: map(steps.pods.items, p => p.metadata.name)
steps:
  - id: pods
    k8s: {operation: list, namespace: prod}
  - id: cpu
    prometheus: sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))
  - id: report
    needs: [pods, cpu]
    when: len(vars.running) > 0 && vars.hottest > 0.5 && vars.first.metadata.nmae != ""
    log: "{{join(vars.names, \", \")}} {{vars.running.[0].status.phase}} {{vars.first.spec.nodeName}}"
"#;
    let found = found(yaml);
    assert_eq!(
        found,
        [(
            Code::UnknownRecordField,
            "`vars.first.metadata` has no field `nmae`".to_string(),
            "nmae".to_string()
        )]
    );
    let fixed = yaml.replace("metadata.nmae", "metadata.name");
    let checked = check(&fixed);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let plan = checked.plan.expect("it checks");
    let ty = |name: &str| {
        plan.vars()
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.ty.to_string())
            .expect("a var")
    };
    assert_eq!(ty("running"), "list<pod>");
    assert_eq!(ty("first"), "pod");
    assert_eq!(ty("hottest"), "float");
    assert_eq!(ty("names"), "list<string>");
}

#[test]
fn types_that_do_not_fit_are_mismatches() {
    let yaml = playbook(
        r#"  - id: retry
    needs: [stuck, pods, cpu]
    for_each: steps.stuck.rows
    as: row
    when: any(steps.pods.items, p => p.status.containerStatuses[0].restartCount == "3")
    shell: "./retry.sh {{row.id}}"
    until: row.status > 2 || max(steps.cpu.series, s => s.labels) > 1
"#,
    );
    let found = found(&yaml);
    let codes: Vec<(Code, &str)> = found.iter().map(|(c, _, at)| (*c, at.as_str())).collect();
    assert_eq!(
        codes,
        [
            (
                Code::TypeMismatch,
                "p.status.containerStatuses[0].restartCount"
            ),
            (Code::TypeMismatch, "row.status"),
            (Code::TypeMismatch, "s.labels"),
        ],
        "{found:?}"
    );
}

#[test]
fn a_whole_element_inserted_as_a_name_is_told_the_field_that_names_it() {
    // A pod inserted where its name goes: the help names `metadata.name`;
    // a row with no naming field is told to insert JSON.
    let yaml = playbook(
        r#"  - id: delete
    needs: [pods]
    for_each: steps.pods.items
    as: pod
    k8s: {operation: delete, namespace: prod, name: "{{pod}}"}
    approval: Delete it?
  - id: note
    needs: [stuck]
    for_each: steps.stuck.rows
    as: row
    shell: "echo {{row}}"
"#,
    );
    let helps: Vec<String> = check(&yaml)
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::TypeMismatch)
        .filter_map(|d| d.help.clone())
        .collect();
    assert_eq!(
        helps,
        [
            "insert the field that names it: `{{pod.metadata.name}}` (or the whole value as JSON: `{{json pod}}`)",
            "insert it as JSON: `{{json row}}`",
        ]
    );
}

#[test]
fn doc_shows_the_types_of_elements_and_computed_values() {
    let yaml = r#"name: types
vars:
  running: filter(steps.pods.items, p => p.status.phase == "Running")
steps:
  - id: pods
    k8s: {operation: list, namespace: prod}
  - id: describe
    needs: [pods]
    for_each: vars.running
    as: pod
    effect: read
    shell: "kubectl describe pod {{pod.metadata.name}}"
"#;
    let checked = check(yaml);
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let doc = runbook_dsl::doc::markdown(&plan);
    assert!(doc.contains("| `vars.running` | `list<pod>` |"), "{doc}");
    assert!(doc.contains("Each `pod` is a `pod`."), "{doc}");
}

/// The shapes are what the kinds return: a loop over the pods of the
/// Kubernetes test server reads the fields it was typed with, and a lambda
/// over the same pods picks by a typed field.
#[test]
fn the_typed_fields_of_real_pods_have_values() {
    let k8s = crate::harness::k8s::TestK8s::start();
    let text = r#"name: typed
steps:
  - id: pods
    k8s: {operation: list, selector: app=alphaswarm-core}
  - id: each
    needs: [pods]
    for_each: filter(steps.pods.items, p => p.status.containerStatuses[0].restartCount > 0)
    as: pod
    effect: read
    shell: "echo {{pod.metadata.name}} {{pod.status.phase}} {{pod.metadata.labels.app}} {{pod.status.containerStatuses.[0].restartCount}}"
"#;
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let ran = crate::harness::run_playbook("typed.yaml", text, &[], &[("KUBECONFIG", &kubeconfig)]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let finished = ran.finished("each");
    let lines: Vec<String> = finished["results"]["results"]
        .as_array()
        .expect("a loop's results")
        .iter()
        .map(|r| r["stdout"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!lines.is_empty(), "{finished}");
    for line in &lines {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words.len(), 4, "{line}");
        assert!(words[0].starts_with("alphaswarm-core-"), "{line}");
        assert_eq!(words[1], "Running", "{line}");
        assert_eq!(words[2], "alphaswarm-core", "{line}");
        assert!(words[3].parse::<u32>().is_ok_and(|n| n > 0), "{line}");
    }
}

/// `pod["metadata"]` reads a field as `pod.metadata` does, and hostile keys
/// are names to look up, never anything else: a label key is any string,
/// a key a closed shape does not have is reported, quoted as written.
#[test]
fn indexing_a_shape_with_a_literal_key_reads_a_field() {
    let yaml = playbook(
        r#"  - id: restart
    needs: [pods]
    for_each: steps.pods.items
    as: pod
    shell: "echo {{pod.metadata.name}}"
    until: pod["metdata"]["name"] != "" && pod.metadata.labels["$(rm -rf /); `id`"] == "x" && pod["status"]["phase"] == 1 && filter(steps.pods.items, p => true)[0]["statsu"] != null
  - id: events
    k8s: {operation: events, name: web-1}
  - id: report
    needs: [events]
    assert: any(steps.events.events, e => e.reason == "BackOff" && e["a\";$(id)#x"] == "x" && e.involvedObject.name != "")
"#,
    );
    let found = found(&yaml);
    let got: Vec<(Code, &str, &str)> = found
        .iter()
        .map(|(c, m, at)| (*c, m.as_str(), at.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Code::UnknownRecordField,
                "`pod` has no field `metdata`",
                "[\"metdata\"]"
            ),
            (
                Code::TypeMismatch,
                "`==` compares a string with an integer, which are never equal",
                "pod[\"status\"][\"phase\"]"
            ),
            (
                Code::UnknownRecordField,
                "`filter(steps.pods.items, p => true)[0]` has no field `statsu`",
                "\"statsu\""
            ),
            (
                Code::UnknownRecordField,
                "`e` has no field `\"a\\\";$(id)#x\"`",
                "[\"a\\\";$(id)#x\"]"
            ),
        ]
    );
}
