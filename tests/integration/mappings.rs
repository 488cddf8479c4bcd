//! Mappings in the language, run for real in both syntaxes: map literals,
//! `keys`/`values`/`entries`, `{{#each}}` over a mapping with `@key` and
//! `as |value key|`, and YAML data under `vars:`. Hostile keys and values
//! (from YAML data, from a map literal over an input, from a step's JSON)
//! reach a real shell as text, never as code.

use crate::support::check;
use runbook_dsl::code::Code;

const YAML: &str = r#"name: maps
vars:
  target: '{name: "web", "x-y": 1, count: steps.count.outputs.n}'
  limits:
    memory: 4Gi
    cpu: 2
  regions: [eu-west-1, us-east-1]
steps:
  - id: count
    shell: echo 3
    effect: read
    outputs:
      n: {regex: '(\d+)', type: int}
  - id: show
    needs: [count]
    when: 'vars.target.count == 3 && "x-y" in vars.target && keys(vars.limits) == ["cpu", "memory"]'
    shell: >-
      printf '%s\n' {{join(keys(vars.target), ",")}}
      {{join(map(entries(vars.limits), e => e.key + "=" + string(e.value)), ",")}}
      {{vars.regions[1]}} {{len(values(vars.target))}} > out.txt;
      {{#each vars.limits as |value key|}}printf '%s %s %s\n' {{@index}} {{key}} {{value}} >> out.txt; {{/each}}
"#;

const RUNBOOK: &str = r#"playbook maps

var target = {name: "web", "x-y": 1, count: steps.count.outputs.n}
var limits = {memory: "4Gi", cpu: 2}
var regions = ["eu-west-1", "us-east-1"]

step count {
  shell "echo 3"
  effect read
  output n {
    regex "(\\d+)"
    type int
  }
}

step show {
  needs count
  when vars.target.count == 3 && "x-y" in vars.target && keys(vars.limits) == ["cpu", "memory"]
  shell "printf '%s\\n' {{join(keys(vars.target), \",\")}} {{join(map(entries(vars.limits), e => e.key + \"=\" + string(e.value)), \",\")}} {{vars.regions[1]}} {{len(values(vars.target))}} > out.txt; {{#each vars.limits as |value key|}}printf '%s %s %s\\n' {{@index}} {{key}} {{value}} >> out.txt; {{/each}}"
}
"#;

const EXPECTED: &str = "count,name,x-y\ncpu=2,memory=4Gi\nus-east-1\n3\n0 cpu 2\n1 memory 4Gi\n";

/// Runs `text` as `name` with a real shell; returns what it wrote to out.txt.
fn run_and_read(name: &str, text: &str, args: &[&str]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("write the playbook");
    let mut all = vec!["--yes"];
    all.extend_from_slice(args);
    let ran = crate::harness::run_file(&file, dir.path(), &all, &[]);
    assert_eq!(ran.code, 0, "{name}: {}\n{}", ran.stdout, ran.stderr);
    let out = std::fs::read_to_string(dir.path().join("out.txt")).unwrap_or_default();
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    (out, files)
}

#[test]
fn map_literals_functions_and_each_over_a_mapping_run_in_both_syntaxes() {
    for (name, text) in [("maps.yaml", YAML), ("maps.runbook", RUNBOOK)] {
        let (out, _) = run_and_read(name, text, &[]);
        assert_eq!(out, EXPECTED, "{name}");
    }
}

#[test]
fn yaml_data_under_vars_is_a_value_typed_like_its_literal() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("data.yaml");
    // Strings in data are data: a path or a template inside is text.
    let text = r#"name: data
vars:
  nested:
    list: [1, two, {three: 3}]
    text: "steps.x.y {{inputs.z}}"
    none: null
    flag: true
steps:
  - id: show
    when: 'vars.nested.list[2].three == 3 && vars.nested.flag && vars.nested.none == null'
    shell: printf '%s\n' {{json vars.nested}} {{vars.nested.text}} > out.txt
"#;
    std::fs::write(&file, text).expect("write");
    let ran = crate::harness::run_file(&file, dir.path(), &["--yes"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let out = std::fs::read_to_string(dir.path().join("out.txt")).expect("out.txt");
    assert_eq!(
        out,
        "{\"flag\":true,\"list\":[1,\"two\",{\"three\":3}],\"none\":null,\"text\":\"steps.x.y {{inputs.z}}\"}\nsteps.x.y {{inputs.z}}\n"
    );
    // Typed: a field it does not have is caught by check.
    let bad = text.replace("vars.nested.flag &&", "vars.nested.flga &&");
    std::fs::write(&file, bad).expect("write");
    let checked = check(&file);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec![Code::UnknownRecordField],
        "{:?}",
        checked.diagnostics
    );
}

/// Keys and values that would change a shell command if spliced.
const HOSTILE: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "it's \"quoted\"",
    "line\nbreak; touch pwned",
    "../../etc/passwd",
    "# not a comment",
    "--help",
];

#[test]
fn hostile_keys_and_values_of_a_mapping_reach_a_real_shell_as_text() {
    // As YAML data: keys and values both hostile.
    let mut data = String::from("name: hostile\nvars:\n  evil:\n");
    for (i, value) in HOSTILE.iter().enumerate() {
        let key = serde_json::to_string(&format!("{value}#{i}")).unwrap();
        let value = serde_json::to_string(value).unwrap();
        data.push_str(&format!("    {key}: {value}\n"));
    }
    data.push_str(
        "steps:\n  - id: show\n    shell: >-\n      {{#each vars.evil}}printf '%s|%s\\n' {{@key}} \"{{this}}\" >> out.txt; {{/each}}\n",
    );
    let mut expected: Vec<(String, String)> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{v}#{i}"), v.to_string()))
        .collect();
    expected.sort();
    let want: String = expected.iter().map(|(k, v)| format!("{k}|{v}\n")).collect();
    let (out, files) = run_and_read("hostile.yaml", &data, &[]);
    assert_eq!(out, want);
    assert!(!files.iter().any(|f| f == "pwned"), "{files:?}");

    // A map literal over an input, in .runbook: each hostile input is a value.
    let runbook = r#"playbook hostile
input x {
  type string
}
var m = {"a'b": inputs.x, "$(touch pwned)": inputs.x}

step show {
  shell "{{#each vars.m as |value key|}}printf '%s|%s\\n' {{key}} {{value}} >> out.txt; {{/each}}"
}
"#;
    for value in HOSTILE {
        let arg = format!("x={value}");
        let (out, files) = run_and_read("hostile.runbook", runbook, &["--input", &arg]);
        assert_eq!(
            out,
            format!("$(touch pwned)|{value}\na'b|{value}\n"),
            "{value:?}"
        );
        assert!(!files.iter().any(|f| f == "pwned"), "{value:?}: {files:?}");
    }
}

#[test]
fn hostile_keys_of_a_steps_json_are_quoted_where_they_land() {
    // Keys decided by what a step printed: an attacker-controlled document.
    let document = serde_json::json!({
        "$(touch pwned)": "v1",
        "a'b\"c": "$(touch pwned)",
        "../x": "line\nbreak",
        "#c": "`touch pwned`"
    });
    let yaml = format!(
        r#"name: json
steps:
  - id: doc
    shell: printf '%s' {}
    effect: read
    outputs:
      doc: {{json: $, type: map}}
  - id: show
    needs: [doc]
    shell: >-
      {{{{#each steps.doc.outputs.doc}}}}printf '%s=%s\n' "{{{{@key}}}}" {{{{this}}}} >> out.txt; {{{{/each}}}}
"#,
        runbook_dsl::template::shell_quote(&document.to_string())
    );
    let (out, files) = run_and_read("json.yaml", &yaml, &[]);
    let want: String = document
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}\n", v.as_str().unwrap()))
        .collect();
    assert_eq!(out, want);
    assert!(!files.iter().any(|f| f == "pwned"), "{files:?}");
}

#[test]
fn mistakes_with_mappings_read_the_same_in_both_syntaxes() {
    let root = crate::support::root().join("tests/fixtures/bad");
    for name in ["mistakes_in_mappings", "duplicate_key_in_data"] {
        let summary = |ext: &str| -> Vec<(Code, String)> {
            check(&root.join(format!("{name}.{ext}")))
                .diagnostics
                .iter()
                .map(|d| (d.code, d.message.clone()))
                .collect()
        };
        let yaml = summary("yaml");
        assert_eq!(yaml, summary("runbook"), "{name}");
        assert!(!yaml.is_empty(), "{name}");
    }
    let found: Vec<Code> = check(&root.join("mistakes_in_mappings.yaml"))
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    for code in [
        Code::DuplicateKey,
        Code::ElementOutOfScope,
        Code::TypeMismatch,
        Code::UnknownRecordField,
    ] {
        assert!(found.contains(&code), "{code:?} in {found:?}");
    }
}

#[test]
fn hostile_keys_and_values_in_a_url_are_percent_encoded_like_any_value() {
    let server = crate::harness::http::TestHttp::start();
    let runbook = r#"playbook urls
input base {
  type string
}
input x {
  type string
}
var q = {"a&b=c#d": inputs.x, "../up": "$(id)"}

step get {
  http {
    url "{{inputs.base}}/api?{{#each vars.q}}{{@key}}={{this}}&{{/each}}page=1"
    expect_status any
  }
}
"#;
    for value in HOSTILE {
        server.state.lock().unwrap().requests.clear();
        let base = format!("base={}", server.url);
        let x = format!("x={value}");
        let ran = crate::harness::run_playbook(
            "urls.runbook",
            runbook,
            &["--input", &base, "--input", &x],
            &[],
        );
        assert_eq!(ran.code, 0, "{value:?}: {}\n{}", ran.stdout, ran.stderr);
        let enc = runbook_dsl::encode::percent_encode;
        assert_eq!(
            server.requests(),
            [(
                "GET".to_string(),
                format!(
                    "/api?{}={}&{}={}&page=1",
                    enc("../up"),
                    enc("$(id)"),
                    enc("a&b=c#d"),
                    enc(value)
                )
            )],
            "{value:?}"
        );
    }
}

#[test]
fn a_secret_in_a_map_literal_stays_masked_in_output_and_journal() {
    let runbook = r#"playbook secret
input token {
  type string
  secret true
}
var m = {t: inputs.token, x: "plain"}

step show {
  shell "{{#each vars.m}}echo {{@key}}={{this}}; {{/each}}"
}
"#;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("secret.runbook");
    std::fs::write(&file, runbook).expect("write the playbook");
    let secret = "hunter2-in-a-map";
    let arg = format!("token={secret}");
    let ran = crate::harness::run_file(&file, dir.path(), &["--input", &arg, "--yes"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("x=plain"), "{}", ran.stdout);
    assert!(!ran.stdout.contains(secret) && !ran.stderr.contains(secret));
    let mut journals = 0;
    for entry in walk(&dir.path().join("journal")) {
        journals += 1;
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains(secret), "{}", entry.display());
    }
    assert!(journals > 0, "no journal was written");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// In `.runbook` a map literal goes on over several lines up to its `}`
/// (nested maps, a list inside, a trailing `,`, CRLF, a `}` or `#` in a
/// string) and runs exactly as the one-line form does.
#[test]
fn a_map_literal_over_several_lines_runs_as_on_one() {
    let one = r#"var target = {name: "web", "x-y": 1, count: steps.count.outputs.n}"#;
    let several = "var target = {\n  name: \"web\",\r\n  \"x-y\": 1,\n  count: steps.count.outputs.n,\n  \"a}b #c\": {\n    ports: [80,\n      443],\n  },\n}";
    let text = RUNBOOK.replace(one, several);
    assert_ne!(text, RUNBOOK);
    let want = EXPECTED.replace("count,name,x-y", "a}b #c,count,name,x-y");
    let want = want.replace("\n3\n", "\n4\n");
    let (out, _) = run_and_read("several.runbook", &text, &[]);
    assert_eq!(out, want);
}

/// A map literal whose `}` never comes is still the bracket error it was,
/// at the `{` left open, not a statement swallowed up to the end.
#[test]
fn a_map_literal_never_closed_is_reported_at_its_brace() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("open.runbook");
    let text = "playbook open\n\nvar target = {\n  name: \"web\",\n\nstep a {\n  shell \"echo $(id)\"\n}\n";
    std::fs::write(&file, text).expect("write the playbook");
    let checked = check(&file);
    let first = checked.diagnostics.first().expect("an error");
    assert_eq!(first.code, Code::GrammarSyntax, "{}", first.message);
    let at = first.primary_span().start;
    assert_eq!(&text[at..at + 1], "{", "{}", first.message);
    assert!(at < text.find("step").unwrap(), "{}", first.message);
}

/// YAML data under `vars:` keeps a map from its expression back to the
/// file: each key and element maps to where it is written, so a
/// diagnostic about a part points at that part.
#[test]
fn yaml_data_under_vars_maps_each_part_to_where_it_is_written() {
    let yaml = "name: spans\nvars:\n  limits:\n    web: {cpu: 2, \"x-y\": \"a\\\"b $(id)\"}\n    db:\n      - 1\n      - two\nsteps:\n  - id: a\n    shell: echo\n";
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("spans.yaml");
    std::fs::write(&file, yaml).expect("write the playbook");
    let checked = check(&file);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let var = &checked.playbook().expect("a playbook").vars[0];
    let expr = &var.expr;
    for (part, written) in [
        ("cpu", "cpu"),
        ("2", "2"),
        ("\"x-y\"", "\"x-y\""),
        ("\"a\\\"b $(id)\"", "\"a\\\"b $(id)\""),
        ("\"two\"", "two"),
        (
            "{cpu: 2, \"x-y\": \"a\\\"b $(id)\"}",
            "{cpu: 2, \"x-y\": \"a\\\"b $(id)\"}",
        ),
    ] {
        let at = expr
            .value
            .find(part)
            .unwrap_or_else(|| panic!("{part} in {}", expr.value));
        let span = expr.file_span(at, at + part.len());
        assert_eq!(
            &yaml[span.start..span.end],
            written,
            "{part} in {}",
            expr.value
        );
    }
}

/// Hostile: many `{` never closed before a large file. Each could start a
/// map literal read to the end of the file; they are the scanner's error
/// and blanks to the grammar, so the file is read about once, not once per
/// `{` (which took seconds here before), and the error is at a `{`.
#[test]
fn braces_never_closed_before_a_large_file_are_one_bracket_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("open.runbook");
    let step = "step s {\n  shell \"echo $(id) # x\"\n  when {a: 1}.a == 1\n}\n";
    let text = format!(
        "playbook open\n\nvar x = {}\n{}",
        "{\"q\": ".repeat(58),
        step.repeat(8000)
    );
    std::fs::write(&file, &text).expect("write the playbook");
    let checked = check(&file);
    assert_eq!(checked.diagnostics.len(), 1, "{:?}", checked.diagnostics);
    let error = &checked.diagnostics[0];
    assert_eq!(error.code, Code::GrammarSyntax);
    assert!(error.message.contains("never closed"), "{}", error.message);
    let at = error.primary_span().start;
    assert_eq!(&text[at..at + 1], "{");
}
