//! Secrets never appear: a hostile secret printed by real shell steps in
//! every form the masker recognises, and a failing `http` step against the
//! real test server with the secret in its URL, grepped in everything a run
//! leaves: `--output json`, stderr of the plain view, the journal bytes,
//! `runbook report`, and the live view through a real pseudo-terminal.

use crate::harness::http::TestHttp;
use crate::running::Sandbox;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::process::Command;

/// 74 characters: spaces, both quotes, `&`, `=`, `%`, `+`, a backslash.
const SECRET: &str =
    r#"s3cr "dq" & 'sq' = v+a%l\ue with spaces & more=equals-0123456789abcdefghij"#;

/// A private key: masked whole and line by line.
const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n-----END PRIVATE KEY-----";

fn playbook(url: &str) -> String {
    assert_eq!(SECRET.chars().count(), 74);
    format!(
        r#"
inputs:
  token: {{type: string, secret: true, env: RB_SECRET_TOKEN}}
  key: {{type: string, secret: true, env: RB_SECRET_KEY}}
steps:
  - id: plain
    shell: {{command: 'printf "%s\n" "$T"', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: longer
    shell: {{command: 'printf "before-%s-after\n" "$T"', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: b64_w0
    shell: {{command: 'printf "%s" "$T" | base64 -w0; echo', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: b64_wrapped
    shell: {{command: 'printf "%s" "$T" | base64', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: b64_echo
    shell: {{command: 'echo "$T" | base64', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: json
    shell: {{command: 'printf "%s" "$T" | sed "s/[\\\\\"]/\\\\&/g; s/^/{{\"token\":\"/; s/$/\"}}/"', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: percent
    shell: {{command: 'printf "%s" "$T" | od -An -tx1 | tr -d " \n" | sed "s/../%&/g"; echo', env: {{T: "{{{{inputs.token}}}}"}}}}
  - id: pem
    shell: {{command: 'printf "%s\n" "$K"', env: {{K: "{{{{inputs.key}}}}"}}}}
  - id: mint
    shell: 'v="minted-$$-$(date +%s%N)"; echo "$v" > minted; echo "$v"'
    outputs:
      minted: {{from: stdout, secret: true}}
  - id: derive
    shell: {{command: 'v="derived-$(printf "%s" "$T" | sha256sum | cut -c1-24)"; echo "$v" > derived; echo "$v"', env: {{T: "{{{{inputs.token}}}}"}}}}
    outputs:
      derived: stdout
  - id: call
    needs: [plain, longer, b64_w0, b64_wrapped, b64_echo, json, percent, pem, mint, derive]
    http: "{url}/error?token={{{{inputs.token}}}}"
"#
    )
}

/// Every form the text must not contain.
fn forbidden(s: &Sandbox) -> Vec<String> {
    let mut forms = vec![
        SECRET.to_string(),
        // A fragment: a partial leak shows too.
        "with spaces".to_string(),
        serde_json::to_string(SECRET)
            .unwrap()
            .trim_matches('"')
            .to_string(),
        SECRET
            .bytes()
            .map(|b| format!("%{b:02x}"))
            .collect::<String>(),
        PEM.to_string(),
        s.read("minted").trim().to_string(),
        s.read("derived").trim().to_string(),
    ];
    assert!(forms[5].starts_with("minted-") && forms[6].starts_with("derived-"));
    forms.extend(PEM.lines().map(str::to_string));
    for bytes in [SECRET.to_string(), format!("{SECRET}\n")] {
        let encoded = STANDARD.encode(bytes);
        for line in encoded.as_bytes().chunks(76) {
            let line = String::from_utf8_lossy(line).into_owned();
            if line.len() >= 8 {
                forms.push(line);
            }
        }
        forms.push(encoded);
    }
    forms
}

fn assert_clean(what: &str, text: &str, forms: &[String]) {
    for form in forms {
        assert!(
            !text.contains(form.as_str()),
            "{what} contains {form:?}:\n{text}"
        );
    }
}

fn command(s: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = s.command(args);
    cmd.env("RB_SECRET_TOKEN", SECRET).env("RB_SECRET_KEY", PEM);
    cmd
}

#[test]
fn a_secret_in_every_recognised_form_never_appears_anywhere() {
    let server = TestHttp::start();
    let s = Sandbox::new(&playbook(&server.url));

    let json = command(&s, &["run", "p.yaml", "--output", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&json.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&json.stderr).into_owned();
    let forms = forbidden(&s);
    assert_eq!(json.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_clean("--output json", &stdout, &forms);
    assert_clean("stderr of --output json", &stderr, &forms);

    // Each printing step printed, and what it printed was masked.
    let lines = |step: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["event"] == "step_output" && e["step"] == step)
            .map(|e| e["line"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(lines("plain"), ["***"]);
    assert_eq!(lines("longer"), ["before-***-after"]);
    assert_eq!(lines("b64_w0"), ["***"]);
    assert_eq!(lines("b64_echo").len(), 2);
    assert!(lines("b64_wrapped").iter().all(|l| l == "***"));
    assert_eq!(lines("json"), ["{\"token\":\"***\"}"]);
    assert_eq!(lines("percent"), ["***"]);
    assert!(
        lines("pem").iter().all(|l| l == "***"),
        "{:?}",
        lines("pem")
    );
    assert_eq!(lines("mint"), ["***"]);
    assert_eq!(lines("derive"), ["***"]);
    // The failing request's message names the URL, masked.
    assert!(
        stdout.contains("/error?token=***"),
        "the http step's message:\n{stdout}"
    );

    let journal = std::fs::read_to_string(
        s.path()
            .join(".runbook/runs")
            .join(s.run_id())
            .join("journal.jsonl"),
    )
    .unwrap();
    assert_clean("the journal", &journal, &forms);
    let report = command(&s, &["report", &s.run_id()]).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    assert_clean(
        "runbook report",
        &String::from_utf8_lossy(&report.stdout),
        &forms,
    );

    let human = command(&s, &["run", "p.yaml"]).output().unwrap();
    assert_eq!(human.status.code(), Some(1));
    let terminal = String::from_utf8_lossy(&human.stderr);
    assert_clean("the plain view", &terminal, &forms);
    assert!(terminal.contains("token=***"), "{terminal}");
    assert_clean("stdout", &String::from_utf8_lossy(&human.stdout), &forms);

    let live = s.pty_capture(
        "run p.yaml",
        &[
            ("COLUMNS", "200"),
            ("RB_SECRET_TOKEN", SECRET),
            ("RB_SECRET_KEY", PEM),
        ],
    );
    // The failed step's line and its report, drawn in the live view.
    assert!(live.contains("token=***"), "{live}");
    // Another run minted another value: read the forms again. Checked as
    // the bytes arrived and with the view's own escape sequences removed
    // (a leak split by a cursor move would show there).
    let forms = forbidden(&s);
    assert_clean("the live view", &live, &forms);
    let drawn = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    assert_clean(
        "the live view, drawn",
        &drawn.replace_all(&live, ""),
        &forms,
    );
}

#[test]
fn a_secret_input_of_the_wrong_type_is_not_echoed() {
    let s = Sandbox::new(
        r#"
inputs:
  pin: {type: int, secret: true}
steps:
  - id: use
    shell: echo ok
"#,
    );
    let out = s
        .command(&["run", "p.yaml", "--input", &format!("pin={SECRET}")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("not a valid int"), "{stderr}");
    assert_clean(
        "the input error",
        &stderr,
        &[SECRET.to_string(), "with spaces".into()],
    );
}

/// `secret: false` is the author's word that an output cannot hold the
/// secret the step used (an application name read over a secret connection
/// URL): it is shown, and so is every later use of its value, while an
/// undeclared output of the same step is masked as a derived value.
#[test]
fn an_output_declared_not_secret_is_not_masked_as_derived() {
    let s = Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true}
vars:
  # Computed from the output declared not secret: not masked either, and
  # its value is not masked wherever else it shows.
  app_again: 'steps.probe.outputs.app + "!"'
steps:
  - id: probe
    shell:
      command: 'test -n "$TOKEN" && echo leaky-worker-app && echo undeclared-derived-value >&2'
      env: {TOKEN: "{{inputs.token}}"}
    outputs:
      app:
        from: stdout
        secret: false
      other:
        from: stderr
  - id: show
    needs: [probe]
    log: "top application: {{steps.probe.outputs.app}}, {{vars.app_again}}"
"#,
    );
    let run = s.run(&["--input", &format!("token={SECRET}")]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout
            .contains("top application: leaky-worker-app, leaky-worker-app!"),
        "{}",
        run.describe()
    );
    // What it printed is masked (the command's own text, journaled as what
    // the step ran, holds the literal).
    let printed: Vec<String> = run
        .events_of("step_output")
        .iter()
        .filter_map(|e| e["line"].as_str().map(str::to_string))
        .collect();
    assert!(
        !printed
            .iter()
            .any(|l| l.contains("undeclared-derived-value")),
        "{}",
        run.describe()
    );
    assert!(
        !run.stdout.contains("\"stderr\":\"undeclared-derived-value"),
        "{}",
        run.describe()
    );
    assert_clean("the run", &run.stdout, &[SECRET.to_string()]);
}

/// A computed value that reads a loop's results over a step that used a
/// secret is derived from it, and so masked; the parts of it its author
/// declared plain (the hosts, their versions) stay readable in the
/// approval question and the log, while the token does not show.
#[test]
fn a_computed_value_over_a_secret_loop_shows_what_was_declared_plain() {
    let s = Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true}
vars:
  probed: filter(steps.health.results, r => r.state == "succeeded")
  to_roll: map(vars.probed, r => r.label)
steps:
  - id: hosts
    shell:
      env: {TOKEN: "{{inputs.token}}"}
      command: 'test -n "$TOKEN" && echo "{\"hosts\": [\"prod-eu-west-1-web-1\", \"prod-eu-west-1-web-2\"]}"'
    outputs:
      names: {from: stdout, json: $.hosts, type: list, secret: false}
  - id: health
    needs: [hosts]
    for_each: steps.hosts.outputs.names
    as: host
    shell:
      env: {TOKEN: "{{inputs.token}}"}
      command: 'echo "{\"version\": \"v2-canary-build-1234\"}"; echo "seen $TOKEN" >&2'
    outputs:
      version: {from: stdout, json: version, type: string, secret: false}
  - id: drain
    needs: [health]
    log: "draining {{join(vars.to_roll, \", \")}} on {{join(map(steps.health.results, r => r.outputs.version), \",\")}}"
"#,
    );
    let run = s.run(&["--input", &format!("token={SECRET}")]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.contains(
            "draining prod-eu-west-1-web-1, prod-eu-west-1-web-2 on v2-canary-build-1234,v2-canary-build-1234"
        ),
        "{}",
        run.describe()
    );
    assert_clean("the run", &run.stdout, &[SECRET.to_string()]);
    // Given on the command line, where `ps` shows it: said, not repeated.
    assert!(
        run.stderr
            .contains("the secret input `token` was given with `--input`"),
        "{}",
        run.stderr
    );
    assert_clean("stderr", &run.stderr, &[SECRET.to_string()]);
    let journal: Vec<String> = s.journal().iter().map(|r| r.to_string()).collect();
    assert_clean("the journal", &journal.join("\n"), &[SECRET.to_string()]);
}

/// A loop over a `playbook` step that passes a secret, whose called
/// playbook reads a long repetitive value with it and declares it `secret:
/// false`: the value is shown in clear in the caller's output too (the
/// calling step captures the called outputs, and had registered it as
/// derived from the secret: `***`), and the run ends. Before, a 3 KB value
/// made the masker build a DFA for its forms in time quadratic in their
/// length: 35 s for 3 KB, minutes for 6 KB, signals unanswered meanwhile.
#[test]
fn a_long_value_a_called_playbook_declares_plain_stays_plain() {
    let status = "L".repeat(20_000);
    let s = Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true}
steps:
  - id: each
    for_each: ["web-1"]
    as: host
    playbook:
      path: host.yaml
      inputs: {port: "{{host}}", token: "{{inputs.token}}"}
    outputs:
      all: {from: outputs, type: map}
"#,
    );
    std::fs::write(
        s.path().join("body.json"),
        serde_json::json!({ "status": status, "token": SECRET }).to_string(),
    )
    .unwrap();
    std::fs::write(
        s.path().join("host.yaml"),
        r#"
inputs:
  port: {type: string}
  token: {type: string, secret: true}
steps:
  - id: health
    shell:
      command: test -n "$TOKEN" && cat body.json
      env: {TOKEN: "{{inputs.token}}"}
    effect: read
    outputs:
      state: {from: stdout, json: $.status, type: string, secret: false}
  - id: show
    needs: [health]
    log: "host {{inputs.port}} reported {{steps.health.outputs.state}}"
"#,
    )
    .unwrap();
    std::fs::write(
        s.path().join("in.yaml"),
        format!("token: {}\n", serde_json::to_string(SECRET).unwrap()),
    )
    .unwrap();
    let run = s.run(&["--inputs-file", "in.yaml"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout
            .contains(&format!("show: host web-1 reported {status}")),
        "{}",
        run.describe()
    );
    assert_clean("the run", &run.stdout, &[SECRET.to_string()]);
    assert_clean("its stderr", &run.stderr, &[SECRET.to_string()]);
}
