//! The lint rules: stable codes, default severities, one-line rationales.

use crate::severity::Severity;

/// A `runbook lint` rule. Its code (`lint::ungated_write`) never changes
/// meaning once released: `runbook.toml` and `lint: {allow}` annotations name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LintRule {
    UngatedWrite,
    WriteWithoutTimeout,
    RawShellInsertion,
    RawEncodedInsertion,
    ShellScriptInArgv,
    PollWithoutDeadline,
    BranchWithoutElse,
    ManualWithoutInstructions,
    SecretOutputUnmasked,
    SecretOnCommandLine,
    NamesReadAsLines,
    ReadThatWrites,
    OnCallWithoutDescription,
    UnusedInput,
    UnusedVar,
    UnknownRule,
}

impl LintRule {
    /// Every rule, in documentation order.
    pub const ALL: &'static [LintRule] = &[
        LintRule::UngatedWrite,
        LintRule::WriteWithoutTimeout,
        LintRule::RawShellInsertion,
        LintRule::RawEncodedInsertion,
        LintRule::ShellScriptInArgv,
        LintRule::PollWithoutDeadline,
        LintRule::BranchWithoutElse,
        LintRule::ManualWithoutInstructions,
        LintRule::SecretOutputUnmasked,
        LintRule::SecretOnCommandLine,
        LintRule::NamesReadAsLines,
        LintRule::ReadThatWrites,
        LintRule::OnCallWithoutDescription,
        LintRule::UnusedInput,
        LintRule::UnusedVar,
        LintRule::UnknownRule,
    ];

    /// The short name, as written in `runbook.toml` and `lint: {allow}`.
    pub fn short_name(self) -> &'static str {
        match self {
            LintRule::UngatedWrite => "ungated_write",
            LintRule::WriteWithoutTimeout => "write_without_timeout",
            LintRule::RawShellInsertion => "raw_shell_insertion",
            LintRule::RawEncodedInsertion => "raw_encoded_insertion",
            LintRule::ShellScriptInArgv => "shell_script_in_argv",
            LintRule::PollWithoutDeadline => "poll_without_deadline",
            LintRule::BranchWithoutElse => "branch_without_else",
            LintRule::ManualWithoutInstructions => "manual_without_instructions",
            LintRule::SecretOutputUnmasked => "secret_output_unmasked",
            LintRule::SecretOnCommandLine => "secret_on_command_line",
            LintRule::NamesReadAsLines => "names_read_as_lines",
            LintRule::ReadThatWrites => "read_that_writes",
            LintRule::OnCallWithoutDescription => "on_call_without_description",
            LintRule::UnusedInput => "unused_input",
            LintRule::UnusedVar => "unused_var",
            LintRule::UnknownRule => "unknown_rule",
        }
    }

    /// The stable code, as printed: `lint::ungated_write`.
    pub fn name(self) -> &'static str {
        match self {
            LintRule::UngatedWrite => "lint::ungated_write",
            LintRule::WriteWithoutTimeout => "lint::write_without_timeout",
            LintRule::RawShellInsertion => "lint::raw_shell_insertion",
            LintRule::RawEncodedInsertion => "lint::raw_encoded_insertion",
            LintRule::ShellScriptInArgv => "lint::shell_script_in_argv",
            LintRule::PollWithoutDeadline => "lint::poll_without_deadline",
            LintRule::BranchWithoutElse => "lint::branch_without_else",
            LintRule::ManualWithoutInstructions => "lint::manual_without_instructions",
            LintRule::SecretOutputUnmasked => "lint::secret_output_unmasked",
            LintRule::SecretOnCommandLine => "lint::secret_on_command_line",
            LintRule::NamesReadAsLines => "lint::names_read_as_lines",
            LintRule::ReadThatWrites => "lint::read_that_writes",
            LintRule::OnCallWithoutDescription => "lint::on_call_without_description",
            LintRule::UnusedInput => "lint::unused_input",
            LintRule::UnusedVar => "lint::unused_var",
            LintRule::UnknownRule => "lint::unknown_rule",
        }
    }

    /// A rule by its short name or code.
    pub fn parse(name: &str) -> Option<LintRule> {
        let short = name.strip_prefix("lint::").unwrap_or(name);
        LintRule::ALL
            .iter()
            .copied()
            .find(|r| r.short_name() == short)
    }

    /// The severity a finding has unless `runbook.toml` says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            LintRule::UngatedWrite
            | LintRule::RawShellInsertion
            | LintRule::RawEncodedInsertion
            | LintRule::UnknownRule => Severity::Error,
            _ => Severity::Warning,
        }
    }

    /// Why the rule exists, in one line.
    pub fn rationale(self) -> &'static str {
        match self {
            LintRule::UngatedWrite => "a step that changes or destroys something should wait for an operator's approval, so a run never surprises the person who started it (a step that undoes an earlier one, a silence's `expire`, is a cleanup and is not asked: a refused gate would leave the change in place); a `playbook` step with no approval that calls a playbook whose destructive step has none is said at the call too, where the calling playbook's reviewer looks",
            LintRule::WriteWithoutTimeout => "a write that hangs holds the incident hostage: give it a deadline (a kind whose own `timeout` parameter applies to the operation, like `http`'s, is bounded by it; `k8s`'s bounds only `rollout_status`)",
            LintRule::RawShellInsertion => "a value inserted into a shell command without quoting can inject a command (the `${{ }}` script-injection lesson)",
            LintRule::RawEncodedInsertion => "a raw value in a URL, a JSON body, a PromQL query or a Kubernetes name skips its encoding and can change where a request goes or what it asks",
            LintRule::ShellScriptInArgv => "a value inserted into the script of `sh -c` (or the remote command of `ssh`) in an argv list is quoted for that shell, but runbook only guesses that a shell parses it, and what the script does with the value (`eval`, another `sh -c`) is the author's to check",
            LintRule::PollWithoutDeadline => "an `until` without `within` can poll forever when the condition never holds",
            LintRule::BranchWithoutElse => "a branch whose cases may all be false, with no `else`, silently ends the procedure on that path",
            LintRule::ManualWithoutInstructions => "a manual step is only as good as its instructions: at 3 a.m. nobody remembers what \"do it\" meant",
            LintRule::SecretOutputUnmasked => "a step that reads a secret captures outputs that may carry it: mark them `secret: true` so they are masked whatever they hold, or `secret: false` when they cannot hold it",
            LintRule::SecretOnCommandLine => "a process's command line is readable by every user of the machine (`ps`, `/proc/PID/cmdline`) while it runs, however runbook masks it in what it shows; its environment is readable only by its own user and root",
            LintRule::NamesReadAsLines => "file names may hold line breaks: read as lines, names written a NUL apart are one record, and a name with a line break is two names, each of which a later step may change or delete",
            LintRule::ReadThatWrites => "a step declared `effect: read` runs in a dry-run and is never asked for: one whose command plainly changes something (a redirection into a file, `mkdir`, `rm`, `kill`, `sed -i`, `systemctl restart`, `kubectl delete`) makes the preview change the world",
            LintRule::OnCallWithoutDescription => "in a playbook tagged `on-call`, each step that runs a command or a query should say why it is there, for the engineer who runs it half asleep (manual steps, questions, branches, `log`, `notify`, `approve`, `wait`, `playbook` steps and asserts with a `message` say it in their own text)",
            LintRule::UnusedVar => "a computed value nothing reads is often what is left of a removed branch case or step (the condition that chose a destructive step, say): read it, or remove it with what it decided",
            LintRule::UnusedInput => "an input nothing reads is asked for (or required) and then ignored: a renamed input whose old name is still passed, a step that was meant to use it, or a leftover to remove",
            LintRule::UnknownRule => "a `lint: {allow}` annotation that names no rule silences nothing (a typo?)",
        }
    }
}
