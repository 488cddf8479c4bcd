//! Per-repository lint configuration: a `runbook.toml` found by walking up
//! from the playbook, so a team tunes the rules once for all its playbooks.
//!
//! ```toml
//! [lint.rules]
//! write_without_timeout = "off"      # disable a rule
//! branch_without_else = "error"      # change its severity
//! ```

use super::LintRule;
use crate::severity::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Severity overrides by rule; `None` turns a rule off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LintConfig {
    overrides: BTreeMap<LintRule, Option<Severity>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    lint: Option<Section>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    rules: BTreeMap<String, String>,
}

impl LintConfig {
    /// Reads the text of a `runbook.toml`. Errors say what to fix.
    pub fn from_toml(text: &str) -> Result<LintConfig, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config = LintConfig::default();
        for (name, level) in file.lint.map(|l| l.rules).unwrap_or_default() {
            let rule = LintRule::parse(&name).ok_or_else(|| {
                let names: Vec<&str> = LintRule::ALL.iter().map(|r| r.short_name()).collect();
                format!("unknown lint rule `{name}` (rules: {})", names.join(", "))
            })?;
            let severity = match level.as_str() {
                "off" | "allow" => None,
                "warning" | "warn" => Some(Severity::Warning),
                "error" => Some(Severity::Error),
                other => {
                    return Err(format!(
                    "`{other}` is not a level for `{name}`: use \"off\", \"warning\" or \"error\""
                ))
                }
            };
            config.overrides.insert(rule, severity);
        }
        Ok(config)
    }

    /// The severity of a rule's findings, or `None` when it is off.
    pub fn severity(&self, rule: LintRule) -> Option<Severity> {
        match self.overrides.get(&rule) {
            Some(level) => *level,
            None => Some(rule.default_severity()),
        }
    }

    /// Sets a rule's level (`None`: off).
    pub fn set(&mut self, rule: LintRule, severity: Option<Severity>) {
        self.overrides.insert(rule, severity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disables_and_changes_severities() {
        let config = LintConfig::from_toml(
            "[lint.rules]\nwrite_without_timeout = \"off\"\n\"lint::branch_without_else\" = \"error\"\n",
        )
        .unwrap();
        assert_eq!(config.severity(LintRule::WriteWithoutTimeout), None);
        assert_eq!(
            config.severity(LintRule::BranchWithoutElse),
            Some(Severity::Error)
        );
        assert_eq!(
            config.severity(LintRule::UngatedWrite),
            Some(Severity::Error)
        );
    }

    #[test]
    fn rejects_unknown_rules_and_levels() {
        assert!(LintConfig::from_toml("[lint.rules]\nnope = \"off\"\n")
            .unwrap_err()
            .contains("unknown lint rule `nope`"));
        assert!(
            LintConfig::from_toml("[lint.rules]\nungated_write = \"loud\"\n")
                .unwrap_err()
                .contains("not a level")
        );
        assert_eq!(LintConfig::from_toml("").unwrap(), LintConfig::default());
    }
}
