//! Creating a silence once. Alertmanager has no idempotent create: a `POST`
//! whose answer is lost (a timeout, a connection dropped after the server
//! acted, runbook killed before it journaled the result) has created a
//! silence the run does not know, and the next attempt or the resume would
//! create a second one. So every silence runbook creates carries the mark
//! of its run and step in its comment (`... (runbook run ID, step mute)`),
//! and an execution that may repeat an earlier one (a retry, a resume of
//! an interrupted step: `ActionContext::may_repeat`) first looks for a
//! silence it made: one with that mark and the same matchers, not ended,
//! whoever it is by (the operator who resumes may not be the one who
//! started the run). Found, it is the step's silence (its id the output),
//! and nothing is created.

use super::matchers::Matcher;
use serde_json::Value;

/// The comment a silence is created with: the author's, then the mark.
pub fn marked(comment: &str, mark: &str) -> String {
    format!("{comment} ({mark})")
}

/// The silence of `listed` (Alertmanager's `GET /api/v2/silences`) that an
/// earlier execution of this step created, if any: its comment ends with
/// the mark, its matchers are the step's, and it has not ended.
pub fn earlier<'a>(listed: &'a [Value], mark: &str, matchers: &[Matcher]) -> Option<&'a Value> {
    let suffix = format!("({mark})");
    listed.iter().find(|s| {
        s["comment"].as_str().is_some_and(|c| c.ends_with(&suffix))
            && matches!(s["status"]["state"].as_str(), Some("active" | "pending"))
            && same_matchers(&s["matchers"], matchers)
    })
}

/// Whether Alertmanager's matchers are `ours`, in any order.
fn same_matchers(theirs: &Value, ours: &[Matcher]) -> bool {
    let Some(theirs) = theirs.as_array() else {
        return false;
    };
    let key = |name: &str, value: &str, regex: bool, equal: bool| {
        (name.to_string(), value.to_string(), regex, equal)
    };
    let mut theirs: Vec<_> = theirs
        .iter()
        .map(|m| {
            key(
                m["name"].as_str().unwrap_or_default(),
                m["value"].as_str().unwrap_or_default(),
                m["isRegex"].as_bool().unwrap_or(false),
                // Alertmanager before 0.22 has no `isEqual`: equality.
                m["isEqual"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    let mut ours: Vec<_> = ours
        .iter()
        .map(|m| key(&m.name, &m.value, m.is_regex, m.is_equal))
        .collect();
    theirs.sort();
    ours.sort();
    theirs == ours
}

#[cfg(test)]
mod tests {
    use super::super::matchers::Op;
    use super::*;
    use serde_json::json;

    const MARK: &str = "runbook run r1, step mute";

    fn silence(comment: &str, by: &str, state: &str, value: &str) -> Value {
        json!({
            "id": format!("{comment}-{by}-{state}-{value}"),
            "comment": comment,
            "createdBy": by,
            "status": {"state": state},
            "matchers": [
                {"name": "job", "value": "web", "isRegex": false, "isEqual": true},
                {"name": "instance", "value": value, "isRegex": false, "isEqual": true},
            ],
        })
    }

    #[test]
    fn only_this_steps_live_silence_is_reused() {
        let ours = [
            Matcher::new("instance", Op::Equal, "db-1"),
            Matcher::new("job", Op::Equal, "web"),
        ];
        let comment = marked("disk swap", MARK);
        let others = vec![
            silence("disk swap", "ann", "active", "db-1"),
            silence(
                &marked("disk swap", "runbook run r2, step mute"),
                "ann",
                "active",
                "db-1",
            ),
            silence(
                &marked("disk swap", "runbook run r1, step mute2"),
                "ann",
                "active",
                "db-1",
            ),
            silence(&comment, "ann", "expired", "db-1"),
            silence(&comment, "ann", "active", "db-2"),
        ];
        assert!(earlier(&others, MARK, &ours).is_none());
        let mut listed = others;
        // By someone else: the operator who resumed the run.
        listed.push(silence(&comment, "bob", "active", "db-1"));
        let found = earlier(&listed, MARK, &ours).expect("ours");
        assert_eq!(found["id"], format!("{comment}-bob-active-db-1"));
    }
}
