//! How a decision or an answer was given, journaled with who gave it.
//!
//! The journal, `--output json`, the terminal view and `runbook report`
//! write it as the same short text they always have (`terminal`,
//! `--approve`, `approval of \`CALL\``, ...), so journals written before
//! this was an enum still read, and readers of the JSON see no change.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Who or what decided a gate or answered a question.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// A person at the terminal prompt.
    Terminal,
    /// `--approve STEP` (a gate, or a `manual` step confirmed in advance).
    Approve,
    /// `--yes`: a `write` gate approved in advance.
    Yes,
    /// `--answer STEP=VALUE` or `--answers FILE`.
    Answer,
    /// Nobody could be asked (no terminal) and the command line did not
    /// decide: the gate fails closed.
    NoTerminal,
    /// A called playbook's gate, passed by the approval of the calling
    /// step (its id, itself dotted when calls nest).
    CallerApproval(String),
    /// A rehearsal's scenario file.
    Scenario,
    /// `runbook approve`/`reject`/`answer` from another terminal (or
    /// another front end writing the same decision file); who is the
    /// owner of the decision file.
    Remote,
    /// A web console (`runbook serve --decide`) run by the person who
    /// decided; who is the owner of the decision file, as for `Remote`.
    Web,
    /// The deadline passed with no decision: the gate is rejected.
    Timeout,
    /// The deadline passed with no answer: the `ask` took its `default`.
    TimeoutDefault,
}

impl Via {
    const CALLER_PREFIX: &'static str = "approval of `";

    /// Whether nobody decided: no terminal to ask, or the deadline passed.
    pub fn is_automatic(&self) -> bool {
        matches!(self, Via::NoTerminal | Via::Timeout | Via::TimeoutDefault)
    }

    /// Who decided, as a person reads it: `who` (the operator, journaled
    /// for the audit) for a decision someone made, `nobody` for one that
    /// was made because nobody could be asked or answered in time.
    pub fn decided_by<'a>(&self, who: &'a str) -> &'a str {
        if self.is_automatic() {
            "nobody"
        } else {
            who
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::Terminal => f.write_str("terminal"),
            Via::Approve => f.write_str("--approve"),
            Via::Yes => f.write_str("--yes"),
            Via::Answer => f.write_str("--answer"),
            Via::NoTerminal => f.write_str("no terminal"),
            Via::CallerApproval(call) => write!(f, "{}{call}`", Via::CALLER_PREFIX),
            Via::Scenario => f.write_str("scenario"),
            Via::Remote => f.write_str("remote"),
            Via::Web => f.write_str("web"),
            Via::Timeout => f.write_str("timeout"),
            Via::TimeoutDefault => f.write_str("timeout (the default)"),
        }
    }
}

impl FromStr for Via {
    type Err = String;

    fn from_str(text: &str) -> Result<Via, String> {
        Ok(match text {
            "terminal" => Via::Terminal,
            "--approve" => Via::Approve,
            "--yes" => Via::Yes,
            "--answer" => Via::Answer,
            "no terminal" => Via::NoTerminal,
            "scenario" => Via::Scenario,
            "remote" => Via::Remote,
            "web" => Via::Web,
            "timeout" => Via::Timeout,
            "timeout (the default)" => Via::TimeoutDefault,
            _ => match text
                .strip_prefix(Via::CALLER_PREFIX)
                .and_then(|rest| rest.strip_suffix('`'))
            {
                Some(call) if !call.is_empty() => Via::CallerApproval(call.to_string()),
                _ => return Err(format!("`{text}` is not a way a decision is given")),
            },
        })
    }
}

impl Serialize for Via {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Via {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Via, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_reads_back_from_the_text_it_writes() {
        for via in [
            Via::Terminal,
            Via::Approve,
            Via::Yes,
            Via::Answer,
            Via::NoTerminal,
            Via::CallerApproval("rollback.drain".into()),
            Via::Scenario,
            Via::Remote,
            Via::Web,
            Via::Timeout,
            Via::TimeoutDefault,
        ] {
            let json = serde_json::to_string(&via).unwrap();
            assert_eq!(serde_json::from_str::<Via>(&json).unwrap(), via, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&Via::CallerApproval("rollback".into())).unwrap(),
            r#""approval of `rollback`""#
        );
        assert!("approval of ``".parse::<Via>().is_err());
        assert!("by email".parse::<Via>().is_err());
    }
}
