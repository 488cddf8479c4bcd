//! Running a `silence` step through the Alertmanager API v2: `POST
//! /api/v2/silences` to create, `GET` then `DELETE /api/v2/silence/ID` to
//! expire, `GET /api/v2/status` for a dry-run's preview. The body is built
//! by serde, so a value is always a JSON string; the rendered matchers and
//! duration are held to the same rules `check` applies to the written ones.

use super::matchers::{self, Matcher, BROAD_HELP};
use super::reuse;
use super::shown;
use super::{Params, DEFAULT_MAX_DURATION};
use crate::capped;
use crate::web::send::Repeat;
use crate::web::{self, ClientOptions};
use runbook_runtime::{ActionContext, ActionResult, Mode};
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};

/// The limit on each request when the step sets no `timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest an `expire`'s prompt waits to read the silence: a person
/// waits on it (the step's `timeout`, when shorter, holds).
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a refusal's body goes into the failure message.
const REFUSAL_LIMIT: usize = 2000;

/// A checked `silence` step, ready to send.
pub struct Call {
    base: reqwest::Url,
    headers: Vec<(String, String)>,
    timeout: Duration,
    what: What,
}

enum What {
    Create(Create),
    Expire { id: String },
}

struct Create {
    matchers: Vec<Matcher>,
    duration: Duration,
    comment: String,
    created_by: String,
}

/// The body of `POST /api/v2/silences` (Alertmanager's `postableSilence`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence<'a> {
    matchers: &'a [Matcher],
    starts_at: String,
    ends_at: String,
    created_by: &'a str,
    comment: &'a str,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

impl Call {
    /// The call the rendered parameters describe, or why there is none.
    pub fn new(params: &Params) -> Result<Call, String> {
        let base = reqwest::Url::parse(params.url.trim())
            .ok()
            .filter(|u| u.host().is_some())
            .ok_or_else(|| {
                format!(
                    "`{}` is not a URL of Alertmanager (`http://alertmanager:9093`)",
                    shown_text(&params.url)
                )
            })?;
        let headers = params
            .headers
            .iter()
            .flatten()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect();
        let timeout = params.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let what = match &params.expire {
            // Checked when it is used: in a dry-run it may stand for the id
            // of a silence that was not created (`<steps.mute.id>`).
            Some(id) => What::Expire {
                id: id.trim().to_string(),
            },
            None => What::Create(create(params)?),
        };
        Ok(Call {
            base,
            headers,
            timeout,
            what,
        })
    }

    /// One line for a dry-run and an approval prompt: the silence as it
    /// would be created (its end as if created now, its comment with the
    /// `mark` of the run and step when the run has one), or the one expired.
    pub fn describe(&self, mark: Option<&str>) -> String {
        let at = shown(&self.base);
        match &self.what {
            What::Create(c) => {
                let comment = match mark {
                    Some(mark) => format!("{:?}", reuse::marked(&c.comment, mark)),
                    None => format!("{:?} (marked with the run and step)", c.comment),
                };
                format!(
                    "create a silence at {at} of {} for {} (until {}), by {:?}: {comment}",
                    show_matchers(&c.matchers),
                    humantime::format_duration(c.duration),
                    humantime::format_rfc3339_seconds(SystemTime::now() + c.duration),
                    c.created_by,
                )
            }
            What::Expire { id } => format!(
                "expire the silence {} at {at}",
                silence_id(id).unwrap_or_else(|_| shown::quoted(id))
            ),
        }
    }

    /// [`Call::describe`], and for an `expire` the silence it would end as
    /// Alertmanager holds it now, in parentheses: its matchers, comment and
    /// author (`... (alertname="RedisHighMemory"; comment: "..."; by
    /// "ann")`), or that they could not be read and why. An id a dry-run
    /// does not have (`<steps.mute.id>`) is not looked up.
    pub async fn describe_now(&self, ctx: &ActionContext) -> String {
        let line = self.describe(ctx.run_mark().as_deref());
        let What::Expire { id } = &self.what else {
            return line;
        };
        if unknown(id) {
            return line;
        }
        let read = match silence_id(id) {
            Ok(id) => {
                let bounded = Call {
                    base: self.base.clone(),
                    headers: self.headers.clone(),
                    timeout: self.timeout.min(DESCRIBE_TIMEOUT),
                    what: What::Expire { id: id.clone() },
                };
                bounded.look_up(&id, ctx).await
            }
            Err(e) => Err(e),
        };
        format!("{line} ({})", shown::expiring(&read))
    }

    /// Creates or expires; never in a dry-run, even for a step its author
    /// declared `effect: read` (which a dry-run executes).
    pub async fn run(&self, ctx: &ActionContext) -> ActionResult {
        if ctx.mode == Mode::DryRun {
            return ActionResult::undecided(format!(
                "not run in a dry-run: it would {}; a silence step is `write` unless declared otherwise",
                self.describe(ctx.run_mark().as_deref())
            ));
        }
        let done = match &self.what {
            What::Create(c) => self.create(c, ctx).await,
            What::Expire { id } => match silence_id(id) {
                Ok(id) => self.expire(&id, ctx).await,
                Err(e) => Err(e),
            },
        };
        done.unwrap_or_else(ActionResult::failure)
    }

    /// What a dry-run can learn without changing anything: that
    /// Alertmanager answers, and for `expire` that the silence exists.
    pub async fn preview(&self, ctx: &ActionContext) -> ActionResult {
        let done = match &self.what {
            What::Create(_) => self.status(ctx).await,
            What::Expire { id } if unknown(id) => {
                let mut result = ActionResult::success(Map::new());
                result.message = Some(
                    "the id comes from a step the dry-run did not run; nothing was expired".into(),
                );
                Ok(result)
            }
            What::Expire { id } => match silence_id(id) {
                Ok(id) => self.look_up(&id, ctx).await,
                Err(e) => Err(e),
            }
            .map(|silence| {
                let mut result = ActionResult::success(Map::new());
                result.message = Some(format!("{}; nothing was expired", held(&silence)));
                result
            }),
        };
        done.unwrap_or_else(ActionResult::failure)
    }

    fn endpoint(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Creates the silence, marked with the run and step; an execution
    /// that may repeat an earlier one reuses the silence that one created
    /// (see [`reuse`]).
    async fn create(&self, c: &Create, ctx: &ActionContext) -> Result<ActionResult, String> {
        let mark = ctx.run_mark();
        if let Some(mark) = mark.as_deref().filter(|_| ctx.may_repeat()) {
            if let Some(reused) = self.earlier(c, mark, ctx).await? {
                return Ok(reused);
            }
        }
        let comment = match &mark {
            Some(mark) => reuse::marked(&c.comment, mark),
            None => c.comment.clone(),
        };
        let now = SystemTime::now();
        let ends_at = rfc3339(now + c.duration);
        let body = PostableSilence {
            matchers: &c.matchers,
            starts_at: rfc3339(now),
            ends_at: ends_at.clone(),
            created_by: &c.created_by,
            comment: &comment,
        };
        let url = self.endpoint(&["api", "v2", "silences"]);
        let what = format!("create a silence at {}", shown(&self.base));
        let client = client()?;
        let (status, text, _) = self.send(ctx, client.post(url).json(&body), &what).await?;
        if !status.is_success() {
            return Err(refused(&what, status, &text));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let id = answer["silenceID"].as_str().ok_or_else(|| {
            format!(
                "{what}: Alertmanager answered {status} without a `silenceID`: {}",
                cut(&text)
            )
        })?;
        let mut fields = Map::new();
        fields.insert("id".into(), Value::String(id.into()));
        fields.insert("ends_at".into(), Value::String(ends_at.clone()));
        let mut result = ActionResult::success(fields);
        result.message = Some(format!("silence {id} until {ends_at}"));
        Ok(result)
    }

    /// The silence an earlier execution of this step created and the run
    /// never learnt of, as the step's result; `None` when there is none.
    async fn earlier(
        &self,
        c: &Create,
        mark: &str,
        ctx: &ActionContext,
    ) -> Result<Option<ActionResult>, String> {
        let what = format!(
            "look for the silence an earlier attempt created at {}",
            shown(&self.base)
        );
        let url = self.endpoint(&["api", "v2", "silences"]);
        let (status, text, truncated) = self.send(ctx, client()?.get(url), &what).await?;
        if !status.is_success() {
            return Err(refused(&what, status, &text));
        }
        // A cut list may leave out the silence looked for: creating another
        // then is the duplicate this look-up is for.
        if truncated {
            return Err(format!(
                "{what}: Alertmanager's list of silences is larger than the step's output cap; raise the step's `output_cap` to read it whole"
            ));
        }
        let listed: Vec<Value> = serde_json::from_str(&text).map_err(|_| {
            format!(
                "{what}: Alertmanager answered {status} with something other than a list of silences: {}",
                cut(&text)
            )
        })?;
        let Some(found) = reuse::earlier(&listed, mark, &c.matchers) else {
            return Ok(None);
        };
        let id = silence_id(found["id"].as_str().unwrap_or_default())?;
        let mut result = ActionResult::success(fields(&id, found));
        result.message = Some(format!(
            "silence {id} until {}: an earlier attempt created it (its answer never arrived); not created again",
            found["endsAt"].as_str().unwrap_or("?")
        ));
        Ok(Some(result))
    }

    async fn expire(&self, id: &str, ctx: &ActionContext) -> Result<ActionResult, String> {
        let before = self.look_up(id, ctx).await?;
        if before["status"]["state"] == "expired" {
            let mut result = ActionResult::success(fields(id, &before));
            result.message = Some(format!(
                "the silence {id} had already ended at {}: nothing to expire",
                before["endsAt"].as_str().unwrap_or("?")
            ));
            return Ok(result);
        }
        let what = format!("expire the silence {id} at {}", shown(&self.base));
        let url = self.endpoint(&["api", "v2", "silence", id]);
        let (status, text, _) = self.send(ctx, client()?.delete(url), &what).await?;
        if !status.is_success() {
            return Err(refused(&what, status, &text));
        }
        let after = self.look_up(id, ctx).await?;
        let mut result = ActionResult::success(fields(id, &after));
        result.message = Some(format!(
            "the silence {id} ended at {}",
            after["endsAt"].as_str().unwrap_or("?")
        ));
        Ok(result)
    }

    /// The silence `id` as Alertmanager holds it; an unknown id fails.
    async fn look_up(&self, id: &str, ctx: &ActionContext) -> Result<Value, String> {
        let what = format!("read the silence {id} at {}", shown(&self.base));
        let url = self.endpoint(&["api", "v2", "silence", id]);
        let (status, text, _) = self.send(ctx, client()?.get(url), &what).await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(format!(
                "Alertmanager at {} has no silence {id}",
                shown(&self.base)
            ));
        }
        if !status.is_success() {
            return Err(refused(&what, status, &text));
        }
        serde_json::from_str(&text).map_err(|_| {
            format!(
                "{what}: Alertmanager answered {status} with something other than a silence: {}",
                cut(&text)
            )
        })
    }

    async fn status(&self, ctx: &ActionContext) -> Result<ActionResult, String> {
        let what = format!("read the status of Alertmanager at {}", shown(&self.base));
        let url = self.endpoint(&["api", "v2", "status"]);
        let (status, text, _) = self.send(ctx, client()?.get(url), &what).await?;
        if !status.is_success() {
            return Err(refused(&what, status, &text));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let version = answer["versionInfo"]["version"].as_str().unwrap_or("?");
        let mut result = ActionResult::success(Map::new());
        result.message = Some(format!(
            "Alertmanager {version} answers; nothing was created"
        ));
        Ok(result)
    }

    /// Sends one request with the step's headers and timeout; the status,
    /// the body (within the output cap) and whether the cap cut it, or why
    /// there is none.
    async fn send(
        &self,
        ctx: &ActionContext,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(reqwest::StatusCode, String, bool), String> {
        let mut request = request.timeout(self.timeout);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let stopped = || format!("stopped before Alertmanager answered ({what})");
        let mut response = tokio::select! {
            r = web::send::send(OPTIONS, request, Repeat::ByMethod, what, self.timeout) => r?,
            _ = ctx.cancel.cancelled() => return Err(stopped()),
        };
        let status = response.status();
        let body = tokio::select! {
            r = capped::read_response(&mut response, &ctx.output_cap) => {
                r.map_err(|e| web::describe_failure(&e, what, self.timeout))?
            }
            _ = ctx.cancel.cancelled() => return Err(stopped()),
        };
        let text = String::from_utf8_lossy(body.bytes()).into_owned();
        Ok((status, text, body.truncated()))
    }
}

/// Alertmanager's API answers where it is asked.
const OPTIONS: ClientOptions = ClientOptions {
    follow_redirects: false,
    insecure: false,
};

fn client() -> Result<&'static reqwest::Client, String> {
    web::client(OPTIONS)
}

/// The creation the parameters describe, held to the rules of `check`.
fn create(params: &Params) -> Result<Create, String> {
    let missing = |name: &str| format!("a silence needs `{name}`");
    let written = params
        .matchers
        .as_ref()
        .ok_or_else(|| missing("matchers"))?;
    let matchers = matchers::from_value(written)?;
    if !params.allow_broad && matchers::is_broad(&matchers) {
        return Err(format!(
            "the silence of {} would swallow every alert (as the values were filled in): {BROAD_HELP}",
            show_matchers(&matchers)
        ));
    }
    let duration = params.duration.ok_or_else(|| missing("duration"))?;
    let cap = params.max_duration.unwrap_or(DEFAULT_MAX_DURATION);
    if duration.is_zero() {
        return Err("a silence of no time silences nothing: give a `duration`".into());
    }
    if duration > cap {
        return Err(format!(
            "a silence of {} is longer than the cap of {}: raise `max_duration` to mean it",
            runbook_dsl::duration::write_duration(duration.as_secs_f64()),
            runbook_dsl::duration::write_duration(cap.as_secs_f64())
        ));
    }
    let comment = params.comment.clone().ok_or_else(|| missing("comment"))?;
    if comment.trim().is_empty() {
        return Err("the silence's `comment` is empty; Alertmanager requires one".into());
    }
    let created_by = params
        .created_by
        .clone()
        .unwrap_or_else(runbook_runtime::operator::current_user);
    if created_by.trim().is_empty() {
        return Err("the silence's `created_by` is empty; Alertmanager requires one".into());
    }
    Ok(Create {
        matchers,
        duration,
        comment,
        created_by,
    })
}

/// An Alertmanager silence id (a UUID): letters, digits and `-`, so it is
/// one path segment and nothing else.
pub(super) fn silence_id(id: &str) -> Result<String, String> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(id.to_string())
    } else {
        Err(format!(
            "{} is not a silence id (Alertmanager's ids are UUIDs such as `2f1c0a6e-...`)",
            Value::String(id.to_string())
        ))
    }
}

/// A dry-run's placeholder for a value it does not have (`<steps.mute.id>`),
/// which no silence id can be.
fn unknown(id: &str) -> bool {
    id.starts_with('<') && id.ends_with('>')
}

fn fields(id: &str, silence: &Value) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("id".into(), Value::String(id.into()));
    if let Some(ends_at) = silence["endsAt"].as_str() {
        fields.insert("ends_at".into(), Value::String(ends_at.into()));
    }
    fields
}

/// A silence as Alertmanager holds it, for the preview of `expire`: its
/// state and end. Its matchers, author and comment are in the step's
/// description already (`shown`, read when it is shown), so they are not
/// said twice. Every value is Alertmanager's: quoted, so a line break or a
/// control character in it cannot forge output.
fn held(silence: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    format!(
        "the silence is {:?} until {}",
        text(&silence["status"]["state"]),
        text(&silence["endsAt"]).escape_debug(),
    )
}

fn show_matchers(matchers: &[Matcher]) -> String {
    let shown: Vec<String> = matchers.iter().map(Matcher::show).collect();
    format!("{{{}}}", shown.join(", "))
}

/// Alertmanager's refusal, with its reason (its 400 body says which field is wrong).
fn refused(what: &str, status: reqwest::StatusCode, body: &str) -> String {
    let body = body.trim();
    let reason = match serde_json::from_str::<Value>(body) {
        Ok(Value::String(s)) => s,
        _ => body.to_string(),
    };
    if reason.is_empty() {
        format!("Alertmanager refused to {what}: {status}")
    } else {
        format!("Alertmanager refused to {what}: {status}: {}", cut(&reason))
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(REFUSAL_LIMIT) {
        Some((i, _)) => format!("{}... (cut)", &text[..i]),
        None => text.to_string(),
    }
}

/// The URL as messages show it: a password in it replaced by `***`.
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    url.to_string().trim_end_matches('/').to_string()
}

/// A text that may not parse as a URL, with anything between `//` and `@`
/// (a user and password) replaced.
fn shown_text(url: &str) -> String {
    match (url.find("//"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}***{}", &url[..start + 2], &url[at..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        let url = reqwest::Url::parse("http://ops:s3cr3t@am.example:9093/").unwrap();
        assert_eq!(shown(&url), "http://ops:***@am.example:9093");
        assert_eq!(shown_text("http://ops:s3cr3t@am ple"), "http://***@am ple");
        assert_eq!(shown_text("not a url"), "not a url");
    }

    #[test]
    fn ids_are_one_path_segment() {
        assert!(silence_id("2f1c0a6e-7d1b-4e0c-9a53-0e6f1d2c3b4a").is_ok());
        for bad in [
            "",
            "../status",
            "a/b",
            "a?b",
            "a#b",
            "x y",
            "$(id)",
            "%2e%2e",
        ] {
            assert!(silence_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_give_alertmanager_s_reason() {
        let status = reqwest::StatusCode::BAD_REQUEST;
        assert_eq!(
            refused("create a silence at x", status, "\"silence invalid: comment missing\"\n"),
            "Alertmanager refused to create a silence at x: 400 Bad Request: silence invalid: comment missing"
        );
        assert!(refused("x", status, &"é".repeat(5000)).ends_with("... (cut)"));
    }
}
