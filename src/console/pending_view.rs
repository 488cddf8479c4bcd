//! What a run waits for in its run store (`gates/*.pending.json`, read by
//! the runtime's own reader, `pending::list`), on the run page and in the
//! API: the step, the question, the effect, the masked command, the
//! context lines, who started the run, the deadline, whether the waiting
//! process is still there, and the exact commands that decide it, as text
//! to copy. A deciding console (`--decide`) adds the buttons that decide a
//! live record as the user running the console, beside the command and
//! the plan hash they decide (the page's script posts them to
//! [`super::decision`]).
//!
//! A record the reader refused (not written by the run's owner, a symlink,
//! too large, another version, a `gates/` that is a symlink) is never shown
//! as waiting: only that something was refused, and why.

use super::html::text;
use super::store::Run;
use runbook_runtime::pending::{self, AnswerSpec, Listed, PendingKind};
use serde_json::{json, Value};
use std::fmt::Write;

/// A deciding console's user, and the CSRF token of the signed-in
/// browser the page is for (none: not signed in).
#[derive(Clone, Copy)]
pub struct Decider<'a> {
    pub user: &'a str,
    pub csrf: Option<&'a str>,
}

/// The `#pending` section, or nothing when nothing waits or was refused.
pub fn section(out: &mut String, run: &Run, decider: Option<Decider>) {
    if run.pending.is_empty() && run.refused.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"pending\"><h2>Waiting for a decision</h2>"
    );
    if !run.pending.is_empty() {
        match decider.map(|d| d.user) {
            Some(user) => {
                let _ = writeln!(
                    out,
                    "<p class=\"muted\">Decide here as <code>{}</code>, the user running this console (once signed in), or from a terminal.</p>",
                    text(user)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<p class=\"muted\">Decide from a terminal, as a user in the run directory's group: the console changes nothing.</p>"
                );
            }
        }
    }
    for listed in &run.pending {
        record(out, listed, run, decider);
    }
    if !run.refused.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"damage refused\"><p>Not shown: {} gate file{} that cannot be trusted.</p><ul>",
            run.refused.len(),
            if run.refused.len() == 1 { "" } else { "s" }
        );
        for why in &run.refused {
            let _ = writeln!(out, "<li>{}</li>", text(why));
        }
        let _ = writeln!(out, "</ul></div>");
    }
    let _ = writeln!(out, "</section>");
}

fn record(out: &mut String, listed: &Listed, run: &Run, decider: Option<Decider>) {
    let r = &listed.record;
    let kind = match (r.kind, &r.effect) {
        (PendingKind::Gate, Some(effect)) => format!("approval, effect {}", text(effect)),
        (kind, _) => kind.name().to_string(),
    };
    let state = if listed.live { "live" } else { "stale" };
    let _ = writeln!(
        out,
        "<article class=\"pending {state}\" data-step=\"{}\"><h3><code>{}</code>{}{} ({kind}){}</h3>",
        text(&r.step),
        text(&r.step),
        r.title
            .as_deref()
            .map(|t| format!(" — {}", text(t)))
            .unwrap_or_default(),
        r.element
            .as_deref()
            .map(|e| format!(", element {}", text(e)))
            .unwrap_or_default(),
        if listed.live {
            ""
        } else {
            " <span class=\"status s-stale\">stale</span>"
        }
    );
    let _ = writeln!(out, "<dl>");
    let _ = writeln!(
        out,
        "<dt>Started by</dt><dd>{} (uid {})</dd>",
        text(&r.starter),
        r.starter_uid
    );
    let _ = writeln!(out, "<dt>Asked</dt><dd>{}</dd>", text(&r.asked_at));
    let _ = writeln!(
        out,
        "<dt>Deadline</dt><dd>{}</dd>",
        match &r.deadline {
            Some(d) => format!("rejected if undecided at {}", text(d)),
            None => "none".into(),
        }
    );
    if !listed.live {
        let _ = writeln!(
            out,
            "<dt>Stale</dt><dd>process {} is gone: nobody waits for this any more, and it cannot be decided</dd>",
            r.pid
        );
    }
    if r.by_other {
        let _ = writeln!(
            out,
            "<dt>Four-eyes</dt><dd>only someone other than {} may approve it</dd>",
            text(&r.starter)
        );
    }
    if r.rerun {
        let _ = writeln!(
            out,
            "<dt>Re-run</dt><dd>this step was running when the run stopped: it may have done part of its work</dd>"
        );
    }
    let _ = writeln!(out, "</dl>");
    if !r.context.is_empty() {
        let _ = writeln!(
            out,
            "<pre class=\"context\">{}</pre>",
            text(&r.context.join("\n"))
        );
    }
    if let Some(command) = &r.command {
        let _ = writeln!(
            out,
            "<p>Runs:</p><pre class=\"command\">{}</pre>",
            text(command)
        );
    }
    let _ = writeln!(out, "<p class=\"question\">{}</p>", text(&r.question));
    if let Some(AnswerSpec::Choice { choices }) = &r.answer {
        let _ = write!(out, "<ol class=\"choices\">");
        for c in choices {
            let _ = write!(out, "<li>{}</li>", text(c));
        }
        let _ = writeln!(out, "</ol>");
    }
    if listed.live {
        let _ = writeln!(out, "<ul class=\"decide\">");
        for c in pending::commands(r, Some(&run.store)) {
            let _ = writeln!(
                out,
                "<li>{}: <code class=\"copy\">{}</code></li>",
                text(&c.label),
                text(&c.command)
            );
        }
        let _ = writeln!(out, "</ul>");
        if let Some(decider) = decider {
            buttons(out, r, decider);
        }
    }
    let _ = writeln!(out, "</article>");
}

/// The form that decides a live record from the browser: what it decides
/// (the command above it and the whole plan hash), an optional reason (as
/// `--reason`; a manual step's note), and a button per verdict the record
/// takes: Approve/Reject a gate, the choices or a typed answer of an `ask`
/// (validated by the server as `runbook answer` validates it), Done for a
/// `manual` step. It is a plain HTML form, which posts itself when no
/// script runs (the signed-in browser's CSRF token in a hidden field); the
/// page's script sends it as JSON instead, with the nonce and plan hash.
/// Without a signed-in session it is refused with how to sign in.
fn buttons(out: &mut String, r: &pending::PendingRecord, decider: Decider) {
    let key = text(&r.nonce);
    let _ = writeln!(
        out,
        "<form class=\"decide-web\" method=\"post\" action=\"/runs/{run}/gates/{key}/decision\" data-run=\"{run}\" data-nonce=\"{key}\" data-plan-hash=\"{hash}\">\n<input type=\"hidden\" name=\"plan_hash\" value=\"{hash}\">",
        run = text(&r.run_id),
        hash = text(&r.plan_hash)
    );
    if let Some(csrf) = decider.csrf {
        let _ = writeln!(
            out,
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            text(csrf)
        );
    }
    let user = decider.user;
    let _ = writeln!(
        out,
        "<p>Deciding as <code>{}</code> under plan <code class=\"plan-hash\">{}</code>{}.</p>",
        text(user),
        text(&r.plan_hash),
        if r.command.is_some() {
            ", for exactly the command shown above"
        } else {
            ""
        }
    );
    let reason = match r.kind {
        PendingKind::Manual => "Note (optional)",
        _ => "Reason (optional, journaled)",
    };
    let _ = writeln!(
        out,
        "<label>{reason} <textarea name=\"reason\" data-keep=\"{key}-reason\" rows=\"2\" maxlength=\"60000\"></textarea></label>"
    );
    let _ = write!(out, "<p class=\"verdicts\">");
    match (r.kind, &r.answer) {
        (PendingKind::Gate, _) => {
            let _ = write!(
                out,
                "<button type=\"submit\" name=\"verdict\" value=\"approve\" data-verdict=\"approve\">Approve</button> "
            );
        }
        (PendingKind::Manual, _) => {
            let _ = write!(
                out,
                "<button type=\"submit\" name=\"verdict\" value=\"approve\" data-verdict=\"approve\">Done</button> "
            );
        }
        (PendingKind::Ask, Some(AnswerSpec::Choice { choices })) => {
            // Sent by number, which `runbook answer` takes too: the name
            // shown is escaped, the number is exact.
            for (i, c) in choices.iter().enumerate() {
                let _ = write!(
                    out,
                    "<button type=\"submit\" name=\"choice\" value=\"{0}\" data-verdict=\"answer\" data-answer=\"{0}\">{1}</button> ",
                    i + 1,
                    text(c)
                );
            }
        }
        (PendingKind::Ask, spec) => {
            let kind = match spec {
                Some(AnswerSpec::Number { .. }) => "number (as `runbook answer` takes it)",
                _ => "text",
            };
            let _ = write!(
                out,
                "<label>Answer, a {kind} <input type=\"text\" name=\"answer\" data-keep=\"{key}-answer\"></label> <button type=\"submit\" name=\"verdict\" value=\"answer\" data-verdict=\"answer\">Answer</button> "
            );
        }
    }
    let _ = writeln!(
        out,
        "<button type=\"submit\" name=\"verdict\" value=\"reject\" data-verdict=\"reject\" class=\"reject\">Reject</button></p>"
    );
    let _ = writeln!(
        out,
        "<p class=\"decide-status\" role=\"status\" data-keep=\"{key}-status\"></p></form>"
    );
}

/// The API's `pending` (each record as the run store holds it, with `live`,
/// `stale` and the `commands` that decide it) and `pending_refused`.
pub fn json(run: &Run) -> (Value, Value) {
    let pending: Vec<Value> = run
        .pending
        .iter()
        .map(|listed| {
            let mut value = serde_json::to_value(&listed.record).unwrap_or_default();
            value["live"] = listed.live.into();
            value["stale"] = (!listed.live).into();
            value["commands"] = if listed.live {
                json!(pending::commands(&listed.record, Some(&run.store)))
            } else {
                json!([])
            };
            value
        })
        .collect();
    (json!(pending), json!(run.refused))
}
