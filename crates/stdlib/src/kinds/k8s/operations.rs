//! What each operation asks of the API server. Changes (rollout restart,
//! scale, set env, patch, delete) go with `dryRun=All` in a dry-run, so the
//! API server validates them and changes nothing.

use super::client::{connect, explain, resource, to_value, Resource, Target, ROLLOUT_TIMEOUT};
use super::results::{pod_summary, rollout_progress};
use super::schema::name_problem;
use super::{given, Operation, Params};
use crate::capped::{Capped, Items, TRUNCATED};
use kube::api::{
    Api, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch, PatchParams,
};
use kube::discovery::ApiResource;
use kube::Client;
use runbook_dsl::encode::percent_encode;
use runbook_runtime::{ActionContext, ActionResult};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant, SystemTime};

/// What one operation does, given the client.
struct Op<'a> {
    ctx: &'a ActionContext,
    params: &'a Params,
    client: Client,
    namespace: String,
    operation: Operation,
    resource_name: String,
    name: Option<&'a str>,
    dry_run: bool,
}

impl Op<'_> {
    fn target(&self) -> Target<'_> {
        Target {
            resource: &self.resource_name,
            name: self.name,
            namespace: &self.namespace,
        }
    }

    fn api(&self, r: &Resource) -> Api<DynamicObject> {
        if r.namespaced {
            Api::namespaced_with(self.client.clone(), &self.namespace, &r.api)
        } else {
            Api::all_with(self.client.clone(), &r.api)
        }
    }

    fn need_name(&self) -> Result<&str, String> {
        self.name
            .ok_or_else(|| format!("`{}` needs `name`", self.operation))
    }

    fn patch_params(&self) -> PatchParams {
        PatchParams {
            dry_run: self.dry_run,
            field_manager: Some("runbook".into()),
            ..PatchParams::default()
        }
    }

    async fn run(&self) -> Result<ActionResult, String> {
        let r = resource(&self.client, &self.resource_name).await?;
        let api = self.api(&r);
        let is_pod = r.api.kind == "Pod";
        let mut fields = Map::new();
        match self.operation {
            Operation::Get => {
                let name = self.need_name()?;
                let o = api
                    .get(name)
                    .await
                    .map_err(|e| explain(&e, "get", &self.target()))?;
                let v = to_value(&o);
                if is_pod {
                    pod_summary(std::slice::from_ref(&v), &mut fields);
                }
                fields.insert("names".into(), json!([name]));
                fields.insert("count".into(), Value::from(1));
                fields.insert("object".into(), v);
            }
            Operation::List => {
                let mut lp = ListParams::default();
                if let Some(s) = given(&self.params.selector) {
                    lp = lp.labels(s);
                }
                if let Some(s) = given(&self.params.field_selector) {
                    lp = lp.fields(s);
                }
                if let Some(n) = self.name {
                    lp = lp.fields(&format!("metadata.name={n}"));
                }
                let list = api
                    .list(&lp)
                    .await
                    .map_err(|e| explain(&e, "list", &self.target()))?;
                let items: Vec<Value> = list.items.iter().map(to_value).collect();
                if is_pod {
                    pod_summary(&items, &mut fields);
                }
                let names: Vec<Value> = items
                    .iter()
                    .map(|i| i["metadata"]["name"].clone())
                    .collect();
                fields.insert("count".into(), Value::from(items.len()));
                fields.insert("names".into(), Value::Array(names));
                // The objects within the output cap; the counts above are
                // over all of them. `object` and `items` share the cap.
                let mut budget = Items::new(self.ctx.output_cap.bytes / 2);
                let items = budget.keep(items);
                fields.insert(TRUNCATED.into(), Value::Bool(budget.truncated()));
                fields.insert(
                    "object".into(),
                    json!({"kind": format!("{}List", r.api.kind), "items": items.clone()}),
                );
                fields.insert("items".into(), Value::Array(items));
            }
            Operation::Logs => return self.logs().await,
            Operation::Events => return self.events().await,
            Operation::RolloutStatus => return self.rollout_status(&api).await,
            Operation::RolloutRestart => {
                let name = self.need_name()?;
                let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
                let patch = json!({"spec": {"template": {"metadata": {"annotations": {
                    "kubectl.kubernetes.io/restartedAt": now
                }}}}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Strategic(patch))
                    .await
                    .map_err(|e| explain(&e, "restart", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            Operation::Scale => {
                let name = self.need_name()?;
                let replicas = self
                    .params
                    .replicas
                    .ok_or("`scale` needs `replicas`, a number")?;
                let patch = json!({"spec": {"replicas": replicas}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Merge(patch))
                    .await
                    .map_err(|e| explain(&e, "scale", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            Operation::SetEnv => {
                let name = self.need_name()?;
                let Some(env) = &self.params.env else {
                    return Err("`set_env` needs `env`, a mapping".into());
                };
                let current = api
                    .get(name)
                    .await
                    .map_err(|e| explain(&e, "read", &self.target()))?;
                let current = to_value(&current);
                let env: Vec<Value> = env
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        json!({"name": k, "value": v})
                    })
                    .collect();
                let containers: Vec<Value> = current["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| match given(&self.params.container) {
                        Some(only) => c["name"] == only,
                        None => true,
                    })
                    .map(|c| json!({"name": c["name"], "env": env}))
                    .collect();
                if containers.is_empty() {
                    return Err(format!(
                        "{} has no container to set the environment of",
                        self.target()
                    ));
                }
                let patch = json!({"spec": {"template": {"spec": {"containers": containers}}}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Strategic(patch))
                    .await
                    .map_err(|e| explain(&e, "set the environment of", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            Operation::Patch => {
                let name = self.need_name()?;
                let doc = self
                    .params
                    .patch
                    .clone()
                    .ok_or("`patch` needs `patch`, the document")?;
                let kind = given(&self.params.patch_type).unwrap_or(
                    if r.api.group.contains('.') && !r.api.group.ends_with("k8s.io") {
                        "merge"
                    } else {
                        "strategic"
                    },
                );
                let patch = match kind {
                    "merge" => Patch::Merge(doc),
                    "json" => {
                        Patch::Json::<Value>(serde_json::from_value(doc).map_err(|e| {
                            format!("the JSON patch is not a list of operations: {e}")
                        })?)
                    }
                    _ => Patch::Strategic(doc),
                };
                let o = api
                    .patch(name, &self.patch_params(), &patch)
                    .await
                    .map_err(|e| explain(&e, "patch", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            Operation::Delete => {
                let name = self.need_name()?;
                let dp = DeleteParams {
                    dry_run: self.dry_run,
                    ..DeleteParams::default()
                };
                let gone = api
                    .delete(name, &dp)
                    .await
                    .map_err(|e| explain(&e, "delete", &self.target()))?;
                let object = gone.left().map(|o| to_value(&o)).unwrap_or(Value::Null);
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), object);
            }
        }
        let mut result = ActionResult::success(fields);
        if self.dry_run {
            result.message = Some(format!(
                "the API server accepted {} of {} with dryRun=All",
                self.operation.name().replace('_', " "),
                self.target()
            ));
        }
        Ok(result)
    }

    async fn logs(&self) -> Result<ActionResult, String> {
        let name = self.need_name()?;
        let pods: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(self.client.clone(), &self.namespace);
        // `deployment/NAME`: one of its pods, as `kubectl logs deployment/NAME`.
        let pod = match name.split_once('/') {
            Some((workload, workload_name)) => {
                let r = resource(&self.client, workload).await?;
                let owner = self
                    .api(&r)
                    .get(workload_name)
                    .await
                    .map_err(|e| explain(&e, "read", &self.target()))?;
                let labels = to_value(&owner)["spec"]["selector"]["matchLabels"].clone();
                let selector = labels
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("{name} has no label selector"))?;
                let list = pods
                    .list(&ListParams::default().labels(&selector))
                    .await
                    .map_err(|e| explain(&e, "list the pods of", &self.target()))?;
                list.items
                    .first()
                    .and_then(|p| p.metadata.name.clone())
                    .ok_or_else(|| format!("{} has no pods", self.target()))?
            }
            None => name.to_string(),
        };
        let lp = LogParams {
            container: given(&self.params.container).map(str::to_string),
            tail_lines: self.params.tail,
            previous: self.params.previous,
            // The server stops after the cap and one byte more, which says
            // the logs were cut.
            limit_bytes: i64::try_from(self.ctx.output_cap.bytes).ok().map(|c| c + 1),
            ..LogParams::default()
        };
        let target = Target {
            resource: "pod",
            name: Some(&pod),
            namespace: &self.namespace,
        };
        let logs = pods
            .logs(&pod, &lp)
            .await
            .map_err(|e| explain(&e, "read the logs of", &target))?;
        let mut kept = Capped::new(&self.ctx.output_cap);
        kept.push(logs.as_bytes());
        let mut fields = Map::new();
        fields.insert("names".into(), json!([pod]));
        fields.insert("logs".into(), Value::String(kept.text(None)));
        kept.mark(&mut fields);
        let mut result = ActionResult::success(fields);
        if kept.truncated() {
            result.message = Some(format!(
                "the logs were cut at the output cap ({}): `truncated` is true; `tail` reads the last lines",
                self.ctx.output_cap.describe()
            ));
        }
        Ok(result)
    }

    async fn events(&self) -> Result<ActionResult, String> {
        let gvk = GroupVersionKind::gvk("", "v1", "Event");
        let ar = ApiResource::from_gvk_with_plural(&gvk, "events");
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.namespace, &ar);
        let mut lp = ListParams::default();
        let mut fields_sel = Vec::new();
        if let Some(n) = self.name {
            fields_sel.push(format!("involvedObject.name={n}"));
        }
        if let Some(f) = given(&self.params.field_selector) {
            fields_sel.push(f.to_string());
        }
        if !fields_sel.is_empty() {
            lp = lp.fields(&fields_sel.join(","));
        }
        let target = Target {
            resource: "events",
            name: self.name,
            namespace: &self.namespace,
        };
        let list = api
            .list(&lp)
            .await
            .map_err(|e| explain(&e, "list", &target))?;
        let mut events: Vec<Value> = list.items.iter().map(to_value).collect();
        let time = |e: &Value| {
            ["lastTimestamp", "eventTime", "firstTimestamp"]
                .iter()
                .find_map(|k| e[k].as_str().map(str::to_string))
                .or_else(|| {
                    e["metadata"]["creationTimestamp"]
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_default()
        };
        events.sort_by_key(|e| time(e));
        if let Some(n) = self.params.tail {
            let n = usize::try_from(n).unwrap_or(0);
            if events.len() > n {
                events.drain(..events.len() - n);
            }
        }
        let mut fields = Map::new();
        fields.insert("count".into(), Value::from(events.len()));
        fields.insert("events".into(), Value::Array(events));
        Ok(ActionResult::success(fields))
    }

    async fn rollout_status(&self, api: &Api<DynamicObject>) -> Result<ActionResult, String> {
        let name = self.need_name()?;
        let limit = self.params.timeout.unwrap_or(ROLLOUT_TIMEOUT);
        let started = Instant::now();
        loop {
            let o = api
                .get(name)
                .await
                .map_err(|e| explain(&e, "read", &self.target()))?;
            let v = to_value(&o);
            let (done, progress) = rollout_progress(&v);
            if done {
                let mut fields = Map::new();
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), v);
                let mut result = ActionResult::success(fields);
                result.message = Some(progress);
                return Ok(result);
            }
            if !self.ctx.mode.repeats_polls() {
                return Ok(ActionResult::undecided(format!(
                    "a dry-run probes once and does not wait: {progress} (a run waits up to {} for the rollout)",
                    humantime::format_duration(limit)
                )));
            }
            if started.elapsed() >= limit {
                return Err(format!(
                    "the rollout of {} did not complete within {}: {progress}",
                    self.target(),
                    humantime::format_duration(limit)
                ));
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = self.ctx.cancel.cancelled() => return Err("stopped while waiting for the rollout".into()),
            }
        }
    }
}

/// Runs the operation; with `dry_run`, a change is sent with `dryRun=All`.
pub async fn execute(params: &Params, ctx: &ActionContext, dry_run: bool) -> ActionResult {
    let operation = params.operation;
    let connected = connect(given(&params.context), given(&params.namespace)).await;
    let (client, namespace) = match connected {
        Ok(c) => c,
        Err(e) => return ActionResult::failure(e),
    };
    // A rendered name must be one the API accepts (`web#frag` would delete
    // `web`); each path segment is percent-encoded anyway, so a rule relaxed
    // later still cannot change the request's path.
    let names = [
        ("name", given(&params.name)),
        ("namespace", Some(namespace.as_str())),
        ("container", given(&params.container)),
    ];
    for (param, value) in names {
        if let Some(problem) = value.and_then(|v| name_problem(param, v, operation.name())) {
            return ActionResult::failure(problem);
        }
    }
    let name = given(&params.name).map(|n| match n.split_once('/') {
        Some((kind, name)) => format!("{}/{}", percent_encode(kind), percent_encode(name)),
        None => percent_encode(n),
    });
    let op = Op {
        ctx,
        params,
        client,
        namespace: percent_encode(&namespace),
        operation,
        resource_name: given(&params.resource)
            .unwrap_or(operation.default_resource())
            .to_string(),
        name: name.as_deref(),
        dry_run,
    };
    tokio::select! {
        r = op.run() => r.unwrap_or_else(ActionResult::failure),
        _ = ctx.cancel.cancelled() => ActionResult::failure("stopped while talking to the API server"),
    }
}
