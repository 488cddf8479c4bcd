//! What every drill needs: a scratch directory with fake CLIs on `PATH`, a
//! real Redis, running the seed playbook with `runbook run`, and reading
//! the run's journal back.
//!
//! Why fakes at all: the seed runbooks call CLIs that cannot work on a test
//! machine (`ssh` to the droplet, `docker compose`, `helm`, `alembic`,
//! `kubectl top`/`exec`, which need a metrics server and a container
//! runtime). Each fake appends its argv to `calls.log` so a drill asserts
//! exactly what would have been run. Everything that can be real is real:
//! PostgreSQL, Redis, Prometheus, `redis-cli`, `kubectl` against the
//! Kubernetes test server.

use crate::harness;
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A drill's scratch directory: `bin/` (fakes, first on `PATH`),
/// `calls.log` (their argv) and one journal directory per run.
pub struct Drill {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Drill {
    pub fn new() -> Drill {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("calls.log"), "").unwrap();
        let path = format!(
            "{}:{}",
            dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Drill {
            dir,
            env: vec![("PATH".into(), path)],
        }
    }

    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A fake `name` (helm, ssh, docker, alembic) that records `name ARGS...` in `calls.log` and prints
    /// `stdout`.
    #[allow(dead_code)] // for the drills of the Compose and Helm playbooks
    pub fn fake(&self, name: &str, stdout: &str) {
        self.script(
            name,
            &format!(
                "echo \"{name} $*\" >> '{log}'\ncat <<'__OUT__'\n{stdout}\n__OUT__\n",
                log = self.calls_log().display()
            ),
        );
    }

    /// `kubectl`: the real one (against the test server, through
    /// `KUBECONFIG`), except `top` and `exec`, which need a metrics server
    /// and a container runtime the test server does not have; those are
    /// recorded and answered with `top`/`exec` canned output.
    pub fn kubectl(&self, top: &str, exec: &str) {
        self.script(
            "kubectl",
            &format!(
                "echo \"kubectl $*\" >> '{log}'\ncase \"$1\" in\n  top) cat <<'__OUT__'\n{top}\n__OUT__\n;;\n  exec) if [ -f '{down}' ] && echo \"$*\" | grep -q jwks.json; then echo 'curl: (22) The requested URL returned error: 503' >&2; exit 22; fi\ncat <<'__OUT__'\n{exec}\n__OUT__\n;;\n  *) exec /usr/bin/kubectl \"$@\";;\nesac\n",
                log = self.calls_log().display(),
                down = self.dir.path().join("jwks_down").display()
            ),
        );
    }

    /// From now on the JWKS probe run through `kubectl exec` fails as
    /// curl does when Auth0 answers 503.
    pub fn jwks_down(&self) {
        std::fs::write(self.dir.path().join("jwks_down"), "").unwrap();
    }

    /// A fake `name` running the shell `body`.
    pub fn script(&self, name: &str, body: &str) {
        let path = self.dir.path().join("bin").join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn calls_log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    /// The fakes' calls so far, one `name argv...` per line.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls_log())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Runs the seed playbook `playbooks/REL` with `args` (plus
    /// `--dry-run` when `dry`) in a journal directory of its own, and reads
    /// its journal.
    pub fn run(&self, rel: &str, args: &[&str], dry: bool) -> Run {
        let file = crate::support::root().join("playbooks").join(rel);
        let runs = tempfile::tempdir_in(self.dir.path()).unwrap();
        // Shell steps run where the operator started `runbook`: their
        // application's repository, which `rollback-app` reads `git log` in.
        for args in [
            &["init", "-q"][..],
            &["commit", "-q", "--allow-empty", "-m", "release 1.4.2"][..],
        ] {
            let ok = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=drill",
                    "-c",
                    "user.email=drill@example.com",
                ])
                .args(args)
                .current_dir(runs.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "git {args:?} in the drill's directory");
        }
        let mut all: Vec<&str> = args.to_vec();
        if dry {
            all.push("--dry-run");
        }
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let ran = harness::run_file(&file, runs.path(), &all, &env);
        let journal_dir = runs.path().join("journal");
        let run_dir = std::fs::read_dir(&journal_dir)
            .unwrap_or_else(|e| {
                panic!(
                    "no journal in {} ({e})\nstderr:\n{}",
                    journal_dir.display(),
                    ran.stderr
                )
            })
            .flatten()
            .next()
            .expect("one run journaled")
            .path();
        let events = std::fs::read_to_string(run_dir.join("journal.jsonl"))
            .expect("the journal")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a journal line is JSON"))
            .collect();
        Run {
            code: ran.code,
            events,
            stdout: ran.stdout,
            stderr: ran.stderr,
            runs,
        }
    }
}

/// A finished run, as its journal tells it.
pub struct Run {
    pub code: i32,
    pub events: Vec<Value>,
    /// `--output json`.
    pub stdout: String,
    pub stderr: String,
    /// Where it ran: its journal directory is `journal/` in it.
    runs: tempfile::TempDir,
}

impl Run {
    /// What the run left for people and files, by name: stdout (`--output
    /// json`), stderr, every file of its journal directory, and `runbook
    /// report`'s Markdown.
    pub fn kept(&self) -> Vec<(String, String)> {
        let journal = self.runs.path().join("journal");
        let mut kept = vec![
            ("stdout".to_string(), self.stdout.clone()),
            ("stderr".to_string(), self.stderr.clone()),
        ];
        let mut dirs = vec![journal.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    kept.push((path.display().to_string(), text));
                }
            }
        }
        let report = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
            .args(["report", &self.run_id(), "--journal-dir"])
            .arg(&journal)
            .env("NO_COLOR", "1")
            .output()
            .expect("runbook report runs");
        assert!(report.status.success(), "runbook report failed");
        kept.push((
            "runbook report".to_string(),
            String::from_utf8_lossy(&report.stdout).into_owned(),
        ));
        kept
    }

    /// The final state of every step that finished (`succeeded`, `skipped`,
    /// `failed`...).
    pub fn states(&self) -> BTreeMap<String, String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "step_finished")
            .map(|e| {
                (
                    e["step"].as_str().unwrap().to_string(),
                    e["state"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn state(&self, step: &str) -> String {
        self.states()
            .get(step)
            .cloned()
            .unwrap_or_else(|| panic!("`{step}` did not finish\n{}", self.dump()))
    }

    /// The `step_finished` event of a step.
    pub fn finished(&self, step: &str) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == step)
            .unwrap_or_else(|| panic!("`{step}` did not finish\n{}", self.dump()))
    }

    /// The run's id, as its `run_started` record gives it.
    pub fn run_id(&self) -> String {
        self.events
            .iter()
            .find(|e| e["event"] == "run_started")
            .and_then(|e| e["run_id"].as_str())
            .unwrap_or_else(|| panic!("no run_started\n{}", self.dump()))
            .to_string()
    }

    /// Asserts the run ended with `code` and these steps in these states.
    pub fn expect(&self, code: i32, states: &[(&str, &str)]) {
        assert_eq!(self.code, code, "exit code\n{}", self.dump());
        let all = self.states();
        for (step, want) in states {
            assert_eq!(
                all.get(*step).map(String::as_str),
                Some(*want),
                "state of `{step}`\n{}",
                self.dump()
            );
        }
    }

    /// Steps a dry-run only described (`simulated`), with the rendered
    /// command of each (`step_would_run`).
    pub fn would_run(&self) -> BTreeMap<String, String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "step_would_run")
            .map(|e| {
                (
                    e["step"].as_str().unwrap().to_string(),
                    e["description"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Steps whose gate was approved, as the journal records the decision.
    pub fn approved(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "gate_decided" && e["approved"] == true)
            .map(|e| e["step"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn dump(&self) -> String {
        let states: Vec<String> = self
            .states()
            .iter()
            .map(|(k, v)| format!("  {k}: {v}"))
            .collect();
        let failed: Vec<String> = self
            .events
            .iter()
            .filter(|e| e["event"] == "step_finished" && e["state"] == "failed")
            .map(|e| format!("  {}: {}", e["step"], e["message"]))
            .collect();
        format!(
            "exit {}\nsteps:\n{}\nfailures:\n{}\nstderr:\n{}",
            self.code,
            states.join("\n"),
            failed.join("\n"),
            self.stderr
        )
    }
}

/// Asserts every step that a live run executed and that writes (gated or
/// destructive) went through an approved gate: `gated` lists the steps of
/// the playbook that carry an `approval`.
pub fn assert_gated(run: &Run, gated: &[&str]) {
    let approved = run.approved();
    for step in gated {
        if run.states().get(*step).map(String::as_str) == Some("succeeded") {
            assert!(
                approved.iter().any(|a| a == step),
                "`{step}` ran without an approved gate\n{}",
                run.dump()
            );
        }
    }
}

/// The drills' Redis is the harness's.
pub use crate::harness::redis::TestRedis;
