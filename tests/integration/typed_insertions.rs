//! A parameter value that is exactly one insertion keeps the inserted
//! value's type where the parameter takes more than text (a `patch`, a JSON
//! body, `replicas`), and `check` holds that type against the parameter's
//! (docs/language.md, "Templates").

use crate::harness::k8s::TestK8s;
use crate::harness::run_playbook;
use crate::running::Sandbox;
use serde_json::json;

#[test]
fn a_single_insertion_keeps_its_type() {
    let k8s = TestK8s::start();
    k8s.cluster.lock().unwrap().hpas.insert(
        "alphaswarm".into(),
        vec![json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "alphaswarm-core", "namespace": "alphaswarm"},
            "spec": {"minReplicas": 2, "maxReplicas": 10,
                     "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "alphaswarm-core"}}
        })],
    );
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let ran = run_playbook(
        "hpa.yaml",
        r#"name: hpa
inputs:
  paused: {type: bool, default: true}
  label: {type: string, default: "020"}
steps:
  - id: size
    ask:
      question: How many replicas at most?
      type: number
  - id: hpa
    needs: [size]
    k8s:
      operation: patch
      resource: hpa
      name: alphaswarm-core
      patch_type: merge
      patch:
        spec:
          maxReplicas: "{{steps.size.answer}}"
  - id: deployment
    needs: [size]
    k8s:
      operation: patch
      resource: deployment
      name: alphaswarm-worker
      patch_type: merge
      patch:
        metadata:
          labels:
            size: "{{inputs.label}}"
            note: "max {{steps.size.answer}}"
        spec:
          paused: "{{inputs.paused}}"
  - id: scale
    needs: [size]
    k8s:
      operation: scale
      name: alphaswarm-core
      replicas: "{{steps.size.answer}}"
"#,
        &["--yes", "--answer", "size=20"],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let bodies: Vec<_> = k8s.mutations().into_iter().map(|m| m.body).collect();
    // The JSON the API server received: numbers and booleans, not "20", "true".
    assert!(
        bodies.contains(&json!({"spec": {"maxReplicas": 20}})),
        "{bodies:#?}"
    );
    assert!(
        bodies.contains(&json!({"metadata": {"labels": {"size": "020", "note": "max 20"}}, "spec": {"paused": true}})),
        "{bodies:#?}"
    );
    assert!(
        bodies.contains(&json!({"spec": {"replicas": 20}})),
        "{bodies:#?}"
    );
    assert_eq!(
        k8s.cluster.lock().unwrap().hpas["alphaswarm"][0]["spec"]["maxReplicas"],
        20
    );

    // A text inserted where a number is wanted is a check error.
    let s = Sandbox::new(
        r#"
inputs:
  size: {type: string, default: "20; rm -rf /"}
steps:
  - id: scale
    k8s:
      operation: scale
      name: alphaswarm-core
      replicas: "{{inputs.size}}"
"#,
    );
    let out = s.command(&["check", "p.yaml"]).output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("runbook::type_mismatch"), "{text}");
    assert!(
        text.contains("`replicas` takes an integer, and `inputs.size` is a string"),
        "{text}"
    );
}
