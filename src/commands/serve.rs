use super::INVALID;
use crate::console::{self, Options};
use crate::run_dir::refuse;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Descriptors kept for what is not a connection: the listener, stdio,
/// journals being read, a decision's files.
const SPARE_FILES: libc::rlim_t = 64;

/// The shortest token accepted from `--token-file`.
const MIN_TOKEN: usize = 16;

/// `--decide` and `--secure-cookie`.
pub struct Deciding {
    pub decide: bool,
    pub secure_cookie: bool,
}

/// `--tls-cert` with `--tls-key`, `--insecure-http` and `--max-connections`.
pub struct Transport {
    pub tls: Option<(PathBuf, PathBuf)>,
    pub insecure_http: bool,
    /// `--max-connections`.
    pub max_connections: usize,
}

/// `runbook serve`: the web console over `journal_dir`, read-only unless
/// `--decide`. Off loopback it needs a token; it refuses to start otherwise.
/// Deciding always needs one: the token file's (which must then be the
/// user's own, mode 0600), or 256 random bits made here. Off loopback in
/// clear HTTP it refuses to decide unless `--insecure-http`, and warns
/// that a read-only console's token crosses the network in clear. A
/// `--tls-key` must be private as a deciding token file is.
pub fn run(
    journal_dir: &Path,
    listen: SocketAddr,
    token_file: Option<&Path>,
    deciding: Deciding,
    transport: Transport,
) -> i32 {
    let token = match token_file {
        Some(file) => {
            if deciding.decide {
                if let Err(code) = private(file, &TOKEN) {
                    return code;
                }
            }
            match read_token(file) {
                Ok(token) => Some(token),
                Err(code) => return code,
            }
        }
        None => None,
    };
    let decide = if deciding.decide {
        let token = match &token {
            Some(token) => token.clone(),
            None => match console::random_hex(32) {
                Ok(token) => token,
                Err(e) => {
                    eprintln!("runbook serve: cannot make a token: {e}");
                    return INVALID;
                }
            },
        };
        Some(console::Decide {
            token,
            token_file: token_file.map(PathBuf::from),
            secure_cookie: deciding.secure_cookie,
        })
    } else {
        None
    };
    if !listen.ip().is_loopback() && token.is_none() {
        return refuse(
            &listen.to_string(),
            "runbook::serve_unprotected",
            format!("`--listen {listen}` is not a loopback address and no `--token-file` was given"),
            "anyone who can reach that address could read every run's output: pass `--token-file FILE` (a file holding a random token of at least 16 characters, e.g. `openssl rand -hex 32 > FILE`), or listen on 127.0.0.1".into(),
        );
    }
    let tls = match &transport.tls {
        Some((cert, key)) => match console::tls::load(cert, key) {
            Ok(config) => match private(key, &TLS_KEY) {
                Ok(()) => Some(config),
                Err(code) => return code,
            },
            Err(bad) => return bad_tls_file(&bad),
        },
        None => None,
    };
    if tls.is_none() && !listen.ip().is_loopback() {
        if deciding.decide && !transport.insecure_http {
            return refuse(
                &listen.to_string(),
                "runbook::serve_decide_in_clear",
                format!("`--decide` on `--listen {listen}`, which is not a loopback address, over clear HTTP"),
                "the token, the session cookie and every approval would cross the network in clear, where anyone on the path can read and replay them: give `--tls-cert FILE --tls-key FILE`, or listen on 127.0.0.1 (behind a TLS-terminating proxy, `--insecure-http` accepts it)".into(),
            );
        }
        eprintln!(
            "runbook serve: warning: `--listen {listen}` is not loopback and the console speaks clear HTTP: the token and every page cross the network unencrypted; give `--tls-cert FILE --tls-key FILE`"
        );
    }
    open_files(transport.max_connections);
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
        decide,
        tls,
        max_connections: transport.max_connections,
    }) {
        Ok(()) => super::OK,
        Err(e) => {
            eprintln!("runbook serve: {e}");
            INVALID
        }
    }
}

/// A file holding a secret, which only its reader may read or replace:
/// what it is called, its diagnostic code, and what its leak gives away.
struct Secret {
    name: &'static str,
    code: &'static str,
    stakes: &'static str,
}

/// `--token-file` of a deciding console.
const TOKEN: Secret = Secret {
    name: "the token file",
    code: "runbook::bad_token_file",
    stakes: "a deciding console's token decides as you",
};

/// `--tls-key`.
const TLS_KEY: Secret = Secret {
    name: "the `--tls-key` file",
    code: "runbook::bad_tls_file",
    stakes: "whoever holds the console's private key can pose as the console and read its traffic",
};

/// Refuses a secret's file that anyone but its reader could read or
/// replace (root may read one of root's own); says which file, its owner
/// or mode and the fix, never what it holds.
fn private(file: &Path, secret: &Secret) -> Result<(), i32> {
    let shown = file.display().to_string();
    let name = secret.name;
    let problem = |message: String, help: String| refuse(&shown, secret.code, message, help);
    let meta = std::fs::metadata(file).map_err(|e| {
        problem(
            format!("cannot read {name} `{shown}`: {e}"),
            "give a regular file of your own, mode 0600, e.g. made under `(umask 077; ...)`".into(),
        )
    })?;
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    if meta.uid() != me {
        return Err(problem(
            format!(
                "{name} `{shown}` belongs to uid {}, not to you (uid {me})",
                meta.uid()
            ),
            format!("{}: keep it in a file of your own, mode 0600 (`install -m 600 FILE NEW` as you copies it)", secret.stakes),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(problem(
            format!("{name} `{shown}` can be read or written by others (mode {mode:04o})"),
            format!("{}: `chmod 600 FILE`", secret.stakes),
        ));
    }
    Ok(())
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

/// The refusal of a `--tls-cert` or `--tls-key` that cannot serve.
fn bad_tls_file(bad: &console::tls::BadFile) -> i32 {
    refuse(
        &bad.file,
        "runbook::bad_tls_file",
        format!("`{} {}`: {}", bad.flag, bad.file, bad.why),
        "give the PEM certificate chain (the console's own certificate first) to `--tls-cert` and its PEM private key to `--tls-key`, e.g. `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -subj /CN=HOST -addext subjectAltName=DNS:HOST`".into(),
    )
}

/// Makes room for `max` connections under the open-files limit: raises the
/// soft limit as far as the hard one allows; warns when that is not
/// enough (connections past the limit would wait, journals not open).
fn open_files(max: usize) {
    let need = max as libc::rlim_t + SPARE_FILES;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur < need {
        let raised = libc::rlimit {
            rlim_cur: need.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    let have = limit.rlim_cur;
    if have < need {
        eprintln!(
            "runbook serve: warning: `--max-connections {max}` does not fit under the open-files limit ({have}, `ulimit -n`; {SPARE_FILES} are kept for the rest): past about {} connections new ones wait and journals cannot be opened; lower `--max-connections` or raise the limit",
            have.saturating_sub(SPARE_FILES)
        );
    }
}
