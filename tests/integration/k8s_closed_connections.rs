//! `k8s` requests that meet a kept-alive connection the API server closed
//! (`runbook_stdlib::kinds::k8s` through `web::closed`): a read goes out
//! again on a new connection; a PATCH does not, and says the server may or
//! may not have applied it. A server stopped between two steps is a plain
//! "connection refused". Against the test API server made to close each
//! connection after its first answer (`harness::answer_once`).

use crate::harness::k8s::TestK8s;
use crate::harness::{run_playbook, Ran};
use std::path::Path;
use std::sync::{Arc, Mutex};

fn run(kubeconfig: &Path, text: &str) -> Ran {
    let kubeconfig = kubeconfig.display().to_string();
    run_playbook("k8s.yaml", text, &["--yes"], &[("KUBECONFIG", &kubeconfig)])
}

#[test]
fn reads_on_a_closed_connection_are_sent_again_a_patch_is_not() {
    let k8s = TestK8s::start_answering_once();
    // `recent` reads the deployment, lists its pods and reads a pod's logs:
    // three GETs, the last two each on a connection closed under them.
    // `env` reads the deployment, then PATCHes it on the closed connection.
    let text = r#"name: closing
steps:
  - id: recent
    k8s:
      operation: logs
      name: deployment/alphaswarm-worker
      tail: 3
  - id: env
    needs: [recent]
    k8s:
      operation: set_env
      name: alphaswarm-core
      env:
        LOG_LEVEL: debug
"#;
    let ran = run(&k8s.kubeconfig, text);
    let recent = ran.finished("recent");
    assert_eq!(recent["state"], "succeeded", "{}", ran.message("recent"));
    assert!(
        !recent["results"]["logs"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{recent}"
    );
    assert_eq!(ran.finished("env")["state"], "failed");
    assert_eq!(
        ran.message("env"),
        "cannot set the environment of deployment/alphaswarm-core in namespace `alphaswarm`: \
         the API server closed the connection before it answered: the request may or may not \
         have been applied; it was not sent again (PATCH is not idempotent)"
    );
    // The server read the PATCH and dropped it; nobody sent it again.
    assert!(k8s.mutations().is_empty(), "{:?}", k8s.mutations());
    let env = &k8s.deployment("alphaswarm-core")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env["env"][0]["value"], "info");
}

#[test]
fn a_server_stopped_between_two_steps_is_refused_plainly() {
    let k8s = TestK8s::start_answering_once();
    let kubeconfig = k8s.kubeconfig.clone();
    let k8s = Arc::new(Mutex::new(k8s));
    let marks = tempfile::tempdir().unwrap();
    let (ready, gone) = (marks.path().join("ready"), marks.path().join("gone"));
    // `between` tells the test that `first` is done and waits for the
    // server to be stopped.
    let text = format!(
        r#"name: stopped
steps:
  - id: first
    k8s: {{operation: get, name: alphaswarm-core-7d9f-def34}}
  - id: between
    needs: [first]
    shell: "touch '{ready}' && while [ ! -e '{gone}' ]; do sleep 0.05; done"
  - id: second
    needs: [between]
    k8s: {{operation: list}}
"#,
        ready = ready.display(),
        gone = gone.display()
    );
    let stopper = {
        let (k8s, ready) = (k8s.clone(), ready.clone());
        std::thread::spawn(move || {
            while !ready.exists() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            k8s.lock().unwrap().stop();
            std::fs::write(&gone, "").unwrap();
        })
    };
    let ran = run(&kubeconfig, &text);
    // Should `between` never have run, the thread still ends.
    std::fs::write(&ready, "").unwrap();
    stopper.join().unwrap();
    assert_eq!(ran.finished("first")["state"], "succeeded");
    let said = ran.message("second");
    assert!(
        said.starts_with(
            "cannot list pod in namespace `alphaswarm`: connection refused: the API server is not listening"
        ),
        "{said}"
    );
    assert!(!said.contains("closed"), "{said}");
}
