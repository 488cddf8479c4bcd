//! What the operations' results say beyond the objects themselves: the
//! pods' phases and crash loops, a rollout's progress as `kubectl rollout
//! status` reads it.

use serde_json::{Map, Value};

/// The derived outputs of pods: counts by phase, the names of pods with a
/// container in `CrashLoopBackOff`, restarts summed.
pub fn pod_summary(pods: &[Value], fields: &mut Map<String, Value>) {
    let mut phases = Map::new();
    let mut crashlooping = Vec::new();
    let mut restarts = 0i64;
    for pod in pods {
        let phase = pod["status"]["phase"].as_str().unwrap_or("Unknown");
        let n = phases.get(phase).and_then(Value::as_i64).unwrap_or(0);
        phases.insert(phase.to_string(), Value::from(n + 1));
        let statuses = ["containerStatuses", "initContainerStatuses"]
            .iter()
            .flat_map(|k| pod["status"][k].as_array().cloned().unwrap_or_default());
        let mut looping = false;
        for s in statuses {
            restarts += s["restartCount"].as_i64().unwrap_or(0);
            looping |= s["state"]["waiting"]["reason"] == "CrashLoopBackOff";
        }
        if looping {
            crashlooping.push(pod["metadata"]["name"].clone());
        }
    }
    fields.insert("phases".into(), Value::Object(phases));
    fields.insert("crashlooping".into(), Value::Array(crashlooping));
    fields.insert("restarts".into(), Value::from(restarts));
}

/// Whether a workload's rollout is complete, as `kubectl rollout status`
/// decides it, and a sentence on its progress.
pub fn rollout_progress(o: &Value) -> (bool, String) {
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let generation = int(&o["metadata"]["generation"]);
    let observed = int(&o["status"]["observedGeneration"]);
    let wanted = o["spec"]["replicas"].as_i64().unwrap_or(1);
    let updated = int(&o["status"]["updatedReplicas"]);
    let replicas = int(&o["status"]["replicas"]);
    let available = int(&o["status"]["availableReplicas"]);
    if observed < generation {
        return (
            false,
            "waiting for the controller to observe the change".into(),
        );
    }
    if updated < wanted {
        return (false, format!("{updated} of {wanted} replicas updated"));
    }
    if replicas > updated {
        return (
            false,
            format!("{} old replicas pending termination", replicas - updated),
        );
    }
    if available < updated {
        return (
            false,
            format!("{available} of {updated} updated replicas available"),
        );
    }
    (
        true,
        format!("rolled out: {available} of {wanted} replicas available"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pods_are_summarised() {
        let pods = vec![
            json!({"metadata": {"name": "a"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
            json!({"metadata": {"name": "b"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 0, "state": {"running": {}}}]}}),
            json!({"metadata": {"name": "c"}, "status": {"phase": "Pending"}}),
        ];
        let mut f = Map::new();
        pod_summary(&pods, &mut f);
        assert_eq!(f["phases"], json!({"Running": 2, "Pending": 1}));
        assert_eq!(f["crashlooping"], json!(["a"]));
        assert_eq!(f["restarts"], 7);
    }

    #[test]
    fn rollout_progress_as_kubectl_reads_it() {
        let o = |gen: i64, obs: i64, upd: i64, rep: i64, avail: i64| {
            json!({"metadata": {"generation": gen}, "spec": {"replicas": 3},
                   "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": rep, "availableReplicas": avail}})
        };
        assert!(!rollout_progress(&o(2, 1, 3, 3, 3)).0);
        assert_eq!(
            rollout_progress(&o(2, 2, 1, 3, 1)).1,
            "1 of 3 replicas updated"
        );
        assert!(!rollout_progress(&o(2, 2, 3, 4, 3)).0);
        assert!(rollout_progress(&o(2, 2, 3, 3, 3)).0);
    }
}
