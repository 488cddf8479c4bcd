//! Running an `http` step: one request with the shared client
//! ([`crate::web`]), the response captured as typed results, the status
//! checked against `expect_status`; with `save_to` the body goes to a file
//! ([`super::file`]).

use super::file::{self, Saving};
use super::Params;
use crate::capped::{self, Capped};
use crate::web::send::Repeat;
use crate::web::{self, ClientOptions};
use runbook_runtime::output_cap::OutputCap;
use runbook_runtime::{ActionContext, ActionResult, Mode};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The default limit on one request, as the schema documents it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which statuses succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Any,
    /// `2xx`, `4xx`: a class, by its first digit.
    Class(u16),
    Codes(Vec<u16>),
}

impl Expect {
    /// From the rendered `expect_status` parameter.
    pub fn from_arg(arg: Option<&Value>) -> Result<Expect, String> {
        let bad = |v: &Value| {
            format!(
                "`expect_status` must be a status, a list of statuses, \"2xx\" or \"any\", not {v}"
            )
        };
        let code = |v: &Value| -> Result<u16, String> {
            match v {
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| bad(v)),
                Value::String(s) => s.trim().parse().map_err(|_| bad(v)),
                _ => Err(bad(v)),
            }
        };
        match arg {
            None | Some(Value::Null) => Ok(Expect::Class(2)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("any") => Ok(Expect::Any),
            Some(Value::String(s))
                if s.len() == 3
                    && s[1..].eq_ignore_ascii_case("xx")
                    && s.as_bytes()[0].is_ascii_digit() =>
            {
                Ok(Expect::Class(u16::from(s.as_bytes()[0] - b'0')))
            }
            Some(Value::Array(items)) => Ok(Expect::Codes(
                items.iter().map(code).collect::<Result<_, _>>()?,
            )),
            Some(other) => Ok(Expect::Codes(vec![code(other)?])),
        }
    }

    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Expect::Any => true,
            Expect::Class(c) => status / 100 == *c,
            Expect::Codes(codes) => codes.contains(&status),
        }
    }

    fn show(&self) -> String {
        match self {
            Expect::Any => "any status".into(),
            Expect::Class(c) => format!("{c}xx"),
            Expect::Codes(codes) => codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

/// A request built from the parameters, before it is sent.
pub struct Request {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    timeout: Duration,
    client: ClientOptions,
    expect: Expect,
    /// `save_to`, made absolute, and `overwrite`.
    save: Option<(PathBuf, bool)>,
}

pub enum Body {
    Json(Value),
    Text(String),
    File(PathBuf),
}

/// How much of a refused response's body is read for the failure message
/// and the `body` result when the body was meant for a file.
const REFUSED_BODY_LIMIT: usize = 64 * 1024;

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether the request can carry `name` as a header name; `check` and
/// the run ask the same question.
pub(super) fn is_header_name(name: &str) -> bool {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// Whether `value` is one header line (no line break, no other control
/// character but a tab).
pub(super) fn is_header_value(value: &str) -> bool {
    reqwest::header::HeaderValue::from_str(value).is_ok()
}

/// A request header as written, or why it cannot be sent: a value holding
/// a line break would start a header of its own, so it is refused by name
/// before anything is sent (the value may be secret and is not quoted).
fn header(name: &str, value: String) -> Result<(String, String), String> {
    if !is_header_name(name) {
        return Err(format!(
            "`{}` is not a header name: letters, digits and `-` (and `!#$%&'*+.^_`|~`)",
            name.escape_debug()
        ));
    }
    if !is_header_value(&value) {
        return Err(format!(
            "the value of header `{name}` holds a line break or another control character, \
             which would end the header there: not sent"
        ));
    }
    Ok((name.to_string(), value))
}

/// The request the parameters describe; local paths are relative to
/// `workdir`, the directory runbook was started in.
pub fn request(params: &Params, workdir: &Path) -> Result<Request, String> {
    let url = &params.url;
    let mut url = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if let Some(query) = &params.query {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, &text_of(v));
        }
    }
    let method = params
        .method
        .as_deref()
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("`{method}` is not an HTTP method"))?;
    let headers = match &params.headers {
        Some(h) => h
            .iter()
            .map(|(k, v)| header(k, text_of(v)))
            .collect::<Result<Vec<_>, String>>()?,
        None => Vec::new(),
    };
    let body = match (&params.json, &params.body, params.body_file.as_deref()) {
        (Some(json), None, None) => Some(Body::Json(json.clone())),
        (None, Some(body), None) => Some(Body::Text(text_of(body))),
        (None, None, Some(file)) => Some(Body::File(file::resolve(workdir, file))),
        (None, None, None) => None,
        _ => return Err("`json`, `body` and `body_file` exclude each other".into()),
    };
    let save = params.save_to.as_deref().map(|path| {
        let overwrite = params.overwrite.unwrap_or(false);
        (file::resolve(workdir, path), overwrite)
    });
    let timeout = params.timeout.unwrap_or(DEFAULT_TIMEOUT);
    Ok(Request {
        method,
        url,
        headers,
        body,
        timeout,
        client: ClientOptions {
            follow_redirects: params.follow_redirects.unwrap_or(true),
            insecure: params.insecure.unwrap_or(false),
        },
        expect: Expect::from_arg(params.expect_status.as_ref())?,
        save,
    })
}

/// Response headers as the schema promises: names lowercased, repeated
/// headers joined with `, `.
pub fn header_map(headers: &reqwest::header::HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match out.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                out.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    out
}

/// Why an exchange stopped before a response was complete.
enum Fault {
    /// No response: why, in words.
    Sent(String),
    Http(reqwest::Error),
    File(String),
}

/// Sends the request and captures the response.
pub async fn send(ctx: &ActionContext, req: Request) -> ActionResult {
    let what = format!("{} {}", req.method, req.url);
    let client = match web::client(req.client) {
        Ok(c) => c,
        Err(e) => return ActionResult::failure(e),
    };
    let mut builder = client
        .request(req.method.clone(), req.url.clone())
        .timeout(req.timeout);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    builder = match req.body {
        Some(Body::Json(json)) => builder.json(&json),
        Some(Body::Text(text)) => builder.body(text),
        Some(Body::File(path)) => match file::body_file(&path).await {
            Ok((body, len)) => builder
                .header(reqwest::header::CONTENT_LENGTH, len)
                .body(body),
            Err(e) => return ActionResult::failure(e),
        },
        None => builder,
    };
    let mut saving = match req.save {
        Some((path, overwrite)) => match Saving::begin(path, overwrite, ctx.mode == Mode::DryRun) {
            Ok(saving) => Some(saving),
            Err(e) => return ActionResult::failure(e),
        },
        None => None,
    };
    let started = Instant::now();
    let expect = &req.expect;
    let exchange = async {
        let mut response =
            web::send::send(req.client, builder, Repeat::ByMethod, &what, req.timeout)
                .await
                .map_err(Fault::Sent)?;
        let status = response.status().as_u16();
        let headers = header_map(response.headers());
        let size = response.content_length();
        let saving_body = saving.is_some();
        let body = match saving.as_mut().filter(|_| expect.accepts(status)) {
            Some(saving) => {
                while let Some(chunk) = response.chunk().await.map_err(Fault::Http)? {
                    saving.write(&chunk).map_err(Fault::File)?;
                }
                Capped::new(&OutputCap::new(0, ctx.output_cap.set_by.clone()))
            }
            // A refused answer to a request meant for a file: enough of it
            // to say why.
            None if saving_body => {
                let cap = OutputCap::new(
                    REFUSED_BODY_LIMIT.min(ctx.output_cap.bytes),
                    ctx.output_cap.set_by.clone(),
                );
                capped::read_response(&mut response, &cap)
                    .await
                    .map_err(Fault::Http)?
            }
            None => capped::read_response(&mut response, &ctx.output_cap)
                .await
                .map_err(Fault::Http)?,
        };
        Ok::<_, Fault>((status, headers, body, size))
    };
    let (status, headers, capped, size) = tokio::select! {
        done = exchange => match done {
            Ok(done) => done,
            Err(Fault::Http(e)) => return ActionResult::failure(web::describe_failure(&e, &what, req.timeout)),
            Err(Fault::File(e) | Fault::Sent(e)) => return ActionResult::failure(e),
        },
        _ = ctx.cancel.cancelled() => return ActionResult::failure(format!("stopped while waiting for {what}")),
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let saved = match saving.filter(|_| req.expect.accepts(status)) {
        Some(saving) => match saving.finish() {
            Ok(fields) => Some(fields),
            Err(e) => return ActionResult::failure(e),
        },
        None => None,
    };
    if let (Some(fields), Mode::DryRun) = (&saved, ctx.mode) {
        ctx.emit(
            runbook_runtime::Stream::Stdout,
            format!("dry-run: {} bytes received, not saved", fields["bytes"]),
        );
    }
    let body = capped.text(size);
    let is_json = headers
        .get("content-type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    let mut fields = Map::new();
    fields.insert("status".into(), Value::from(status));
    fields.insert("headers".into(), Value::Object(headers));
    let note = capped.truncated().then(|| {
        let mut note = format!(
            "the body was cut at the output cap ({}): `truncated` is true",
            ctx.output_cap.describe()
        );
        if is_json {
            note = format!("`json` is unset: {}", capped::not_parsed(&ctx.output_cap));
        }
        note
    });
    if is_json && !capped.truncated() {
        if let Ok(json) = serde_json::from_slice::<Value>(capped.bytes()) {
            fields.insert("json".into(), json);
        }
    }
    capped.mark(&mut fields);
    fields.insert("elapsed_ms".into(), Value::from(elapsed_ms));
    let first_line = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(str::to_string);
    fields.insert("body".into(), Value::String(body));
    fields.extend(saved.unwrap_or_default());
    if req.expect.accepts(status) {
        ActionResult {
            message: note,
            ..ActionResult::success(fields)
        }
    } else {
        let detail = first_line
            .map(|l| {
                let l: String = l.chars().take(200).collect();
                format!(": {l}")
            })
            .unwrap_or_default();
        ActionResult::failure(format!(
            "{what} answered {status}, expected {}{detail}",
            req.expect.show()
        ))
        .with_fields(fields)
    }
}

/// One line saying what the request does, for a dry-run and a gate.
pub fn describe(req: &Request) -> String {
    let mut out = format!("{} {}", req.method, req.url);
    match &req.body {
        Some(Body::Json(json)) => out.push_str(&format!(" with JSON {json}")),
        Some(Body::Text(text)) => out.push_str(&format!(" with a {}-byte body", text.len())),
        Some(Body::File(path)) => match file::body_file_size(path) {
            Ok(len) => out.push_str(&format!(
                " with the body of {} ({len} bytes)",
                path.display()
            )),
            Err(e) => out.push_str(&format!(" with a body file that cannot be sent: {e}")),
        },
        None => {}
    }
    if let Some((path, overwrite)) = &req.save {
        let how = if *overwrite { ", replacing it" } else { "" };
        out.push_str(&format!(", saving the body to {}{how}", path.display()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expected_statuses() {
        let e = |v: Value| Expect::from_arg(Some(&v)).unwrap();
        assert!(Expect::from_arg(None).unwrap().accepts(204));
        assert!(!Expect::from_arg(None).unwrap().accepts(301));
        assert!(e(json!("any")).accepts(503));
        assert!(e(json!("4xx")).accepts(404));
        assert!(e(json!(200)).accepts(200));
        assert!(!e(json!(200)).accepts(201));
        assert!(e(json!([200, 204])).accepts(204));
        assert!(Expect::from_arg(Some(&json!("often"))).is_err());
    }
}
