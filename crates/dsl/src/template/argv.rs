//! Which elements of an argv list a shell parses after all: an argv list
//! runs without a shell, but `[sh, -c, SCRIPT]` (also after `kubectl exec
//! pod --` or `docker exec c`) hands SCRIPT to one, and `[ssh, host, ...]`
//! joins the words after the host with spaces for the remote login shell.
//! Those elements are shell command templates; the others are plain text.

/// Programs that run the script given with `-c`.
pub(crate) const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "posh"];

/// `ssh` options that take an argument.
const SSH_OPTIONS_WITH_ARGUMENT: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// For each element (`None` when it is not literal text), whether a shell
/// parses it.
pub fn shell_parsed(words: &[Option<&str>]) -> Vec<bool> {
    let mut parsed = vec![false; words.len()];
    let mut i = 0;
    while i < words.len() {
        let program = words[i].map(|w| w.rsplit('/').next().unwrap_or(w));
        match program {
            Some(p) if SHELLS.contains(&p) => {
                if let Some(script) = script_of_shell(words, i + 1) {
                    parsed[script] = true;
                    i = script + 1;
                    continue;
                }
            }
            Some("ssh") => {
                if let Some(host) = host_of_ssh(words, i + 1) {
                    for p in parsed.iter_mut().skip(host + 1) {
                        *p = true;
                    }
                }
                break;
            }
            _ => {}
        }
        i += 1;
    }
    parsed
}

/// The index of the script after a shell's options, when they include `-c`.
pub(crate) fn script_of_shell(words: &[Option<&str>], mut i: usize) -> Option<usize> {
    let mut command = false;
    while let Some(Some(word)) = words.get(i) {
        if *word == "--" || *word == "-" {
            i += 1;
            break;
        }
        let Some(flags) = word
            .strip_prefix('-')
            .or_else(|| word.strip_prefix('+'))
            .filter(|f| !f.is_empty() && !f.starts_with('-'))
        else {
            break;
        };
        command |= flags.contains('c');
        // `-o pipefail`, `-euo pipefail`: the option name is the next word.
        i += if flags.ends_with('o') { 2 } else { 1 };
    }
    (command && i < words.len()).then_some(i)
}

/// The index of the destination after `ssh`'s options.
pub(crate) fn host_of_ssh(words: &[Option<&str>], mut i: usize) -> Option<usize> {
    while let Some(Some(word)) = words.get(i) {
        if *word == "--" {
            i += 1;
            break;
        }
        let Some(flags) = word.strip_prefix('-').filter(|f| !f.is_empty()) else {
            break;
        };
        // `-p 22` takes the next word; `-p22` and `-vA` do not.
        let takes_next = flags.len() == 1 && SSH_OPTIONS_WITH_ARGUMENT.contains(flags);
        i += if takes_next { 2 } else { 1 };
    }
    (i < words.len()).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::shell_parsed;

    fn scripts(words: &[&str]) -> Vec<usize> {
        let words: Vec<Option<&str>> = words
            .iter()
            .map(|w| (*w != "{{x}}").then_some(*w))
            .collect();
        shell_parsed(&words)
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| p.then_some(i))
            .collect()
    }

    #[test]
    fn finds_the_scripts_a_shell_runs() {
        assert_eq!(scripts(&["sh", "-c", "echo $1", "sh", "{{x}}"]), [2]);
        assert_eq!(
            scripts(&["/bin/bash", "-euo", "pipefail", "-c", "{{x}}"]),
            [4]
        );
        assert_eq!(scripts(&["bash", "-ec", "s", "-c"]), [2]);
        assert_eq!(scripts(&["sh", "script.sh", "-c"]), Vec::<usize>::new());
        assert_eq!(scripts(&["echo", "sh", "-c", "x"]), [3]);
        assert_eq!(
            scripts(&["kubectl", "exec", "p", "--", "sh", "-c", "ls {{x}}"]),
            [6]
        );
        assert_eq!(scripts(&["printf", "%s", "{{x}}"]), Vec::<usize>::new());
    }

    #[test]
    fn the_remote_command_of_ssh_is_parsed_by_a_shell() {
        assert_eq!(
            scripts(&[
                "ssh",
                "-p",
                "22",
                "-i",
                "k",
                "-oBatchMode=yes",
                "-v",
                "root@h",
                "restore",
                "{{x}}"
            ]),
            [8, 9]
        );
        assert_eq!(scripts(&["ssh", "host"]), Vec::<usize>::new());
    }
}
