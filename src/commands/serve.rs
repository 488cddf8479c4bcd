use super::INVALID;
use crate::console::{self, Options};
use crate::run_dir::refuse;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The shortest token accepted from `--token-file`.
const MIN_TOKEN: usize = 16;

/// `runbook serve`: the read-only web console over `journal_dir`. Off
/// loopback it needs a token; it refuses to start otherwise.
pub fn run(journal_dir: &Path, listen: SocketAddr, token_file: Option<&Path>) -> i32 {
    let token = match token_file {
        Some(file) => match read_token(file) {
            Ok(token) => Some(token),
            Err(code) => return code,
        },
        None => None,
    };
    if !listen.ip().is_loopback() && token.is_none() {
        return refuse(
            &listen.to_string(),
            "runbook::serve_unprotected",
            format!("`--listen {listen}` is not a loopback address and no `--token-file` was given"),
            "anyone who can reach that address could read every run's output: pass `--token-file FILE` (a file holding a random token of at least 16 characters, e.g. `openssl rand -hex 32 > FILE`), or listen on 127.0.0.1".into(),
        );
    }
    if !journal_dir.is_dir() {
        eprintln!(
            "runbook serve: note: `{}` is not a directory yet; runs will be listed once it holds some",
            journal_dir.display()
        );
    }
    match console::serve(Options {
        journal_dir: PathBuf::from(journal_dir),
        listen,
        token,
    }) {
        Ok(()) => super::OK,
        Err(e) => {
            eprintln!("runbook serve: {e}");
            INVALID
        }
    }
}

/// The token in `file`: one line of at least [`MIN_TOKEN`] characters from
/// `A-Z a-z 0-9 . _ ~ + / = -` (it is sent in a header and a cookie).
fn read_token(file: &Path) -> Result<String, i32> {
    let shown = file.display().to_string();
    let bytes = runbook_dsl::user_file::read(file, runbook_dsl::user_file::MAX_FILE_BYTES)
        .map_err(|e| {
            refuse(
                &shown,
                "runbook::bad_token_file",
                format!("cannot read the token file `{shown}`: {e}"),
                "give a regular file holding the token, e.g. `openssl rand -hex 32 > FILE`".into(),
            )
        })?;
    let token = String::from_utf8_lossy(&bytes).trim().to_string();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._~+/=-".contains(c);
    if token.chars().count() < MIN_TOKEN || !token.chars().all(allowed) {
        return Err(refuse(
            &shown,
            "runbook::bad_token_file",
            format!("the token file `{shown}` does not hold a usable token"),
            format!("a token is one line of at least {MIN_TOKEN} characters from `A-Z a-z 0-9 . _ ~ + / = -`, e.g. `openssl rand -hex 32 > FILE`"),
        ));
    }
    Ok(token)
}
