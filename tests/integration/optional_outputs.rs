//! Optional outputs: an output with a `default` takes it when what it is
//! captured from is absent (docs/language.md, "Outputs"); without one, an
//! absent value fails the step.

use crate::harness::k8s::TestK8s;
use crate::harness::run_playbook;

#[test]
fn optional_outputs_take_their_default() {
    // Kubernetes omits `status.unavailableReplicas` when none are
    // unavailable: the test server's deployments leave it out too.
    let k8s = TestK8s::start();
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let yaml = r#"name: rollout
steps:
  - id: worker
    k8s:
      operation: get
      resource: deployment
      name: alphaswarm-worker
    outputs:
      unavailable:
        from: object
        json: $.status.unavailableReplicas
        type: int
        default: 0
      ready:
        from: object
        json: $.status.readyReplicas
        type: int
        default: 0
      paused:
        from: object
        json: $.spec.paused
        type: bool
        default: false
      note:
        from: object
        json: $.metadata.annotations["runbook/note"]
        default: "it's $(none) `yet` # really"
  - id: lag
    shell: echo 'no lag reported'
    outputs:
      seconds: {regex: 'lag=(\d+)', type: int, default: -1}
  - id: decide
    needs: [worker, lag]
    assert: steps.worker.outputs.unavailable == 0 && steps.worker.outputs.ready == 1 && !steps.worker.outputs.paused && steps.lag.outputs.seconds == -1
  - id: show
    needs: [decide]
    log: "note: {{steps.worker.outputs.note}}"
"#;
    let runbook = r#"playbook rollout
step worker {
  k8s {
    operation get
    resource deployment
    name alphaswarm-worker
  }
  output unavailable {
    from object
    json "$.status.unavailableReplicas"
    type int
    default 0
  }
  output ready {
    from object
    json "$.status.readyReplicas"
    type int
    default 0
  }
  output paused {
    from object
    json "$.spec.paused"
    type bool
    default false
  }
  output note {
    from object
    json "$.metadata.annotations[\"runbook/note\"]"
    default "it's $(none) `yet` # really"
  }
}
step lag {
  shell "echo 'no lag reported'"
  output seconds {
    regex "lag=(\\d+)"
    type int
    default -1
  }
}
step decide {
  needs worker, lag
  assert "steps.worker.outputs.unavailable == 0 && steps.worker.outputs.ready == 1 && !steps.worker.outputs.paused && steps.lag.outputs.seconds == -1"
}
step show {
  needs decide
  log "note: {{steps.worker.outputs.note}}"
}
"#;
    for (name, text) in [("rollout.yaml", yaml), ("rollout.runbook", runbook)] {
        let ran = run_playbook(name, text, &[], &[("KUBECONFIG", &kubeconfig)]);
        assert_eq!(ran.code, 0, "{name}\n{}\n{}", ran.stdout, ran.stderr);
        let outputs = &ran.finished("worker")["outputs"];
        assert_eq!(outputs["unavailable"], 0, "{name}");
        assert_eq!(outputs["ready"], 1, "{name}");
        assert_eq!(outputs["paused"], false, "{name}");
        assert_eq!(ran.finished("lag")["outputs"]["seconds"], -1, "{name}");
        assert_eq!(
            ran.finished("show")["results"]["message"],
            "note: it's $(none) `yet` # really",
            "{name}"
        );
    }

    // Without a default, the absent field fails the step, as before.
    let ran = run_playbook(
        "strict.yaml",
        r#"steps:
  - id: worker
    k8s:
      operation: get
      resource: deployment
      name: alphaswarm-worker
    outputs:
      unavailable: {from: object, json: $.status.unavailableReplicas, type: int}
"#,
        &[],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let message = ran.finished("worker")["message"].to_string();
    assert!(
        message.contains("nothing at `$.status.unavailableReplicas`"),
        "{message}"
    );
}
