use super::INVALID;
use crate::console::{self, Options};
use crate::run_dir::refuse;
use crate::secret_file::{self, Secret};
use std::net::SocketAddr;
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
        Some(file) => match read_token(file, deciding.decide) {
            Ok(token) => Some(token),
            Err(code) => return code,
        },
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
        Some((cert, key)) => {
            let key_pem = match secret_file::read(key, &TLS_KEY, console::tls::MAX_FILE_BYTES) {
                Ok(bytes) => bytes,
                Err(code) => return code,
            };
            match console::tls::load(cert, key, &key_pem) {
                Ok(config) => Some(config),
                Err(bad) => return bad_tls_file(&bad),
            }
        }
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

/// The token in `file`. A deciding console's must be private to its
/// reader and is read through [`secret_file::read`]; a read-only
/// console's need not be.
fn read_token(file: &Path, private: bool) -> Result<String, i32> {
    let limit = runbook_dsl::user_file::MAX_FILE_BYTES;
    let bytes = if private {
        secret_file::read(file, &TOKEN, limit)?
    } else {
        let shown = file.display().to_string();
        runbook_dsl::user_file::read(file, limit).map_err(|e| {
            refuse(
                &shown,
                "runbook::bad_token_file",
                format!("cannot read the token file `{shown}`: {e}"),
                "give a regular file holding the token, e.g. `openssl rand -hex 32 > FILE`".into(),
            )
        })?
    };
    token_of(file, &bytes)
}

/// The token in `bytes`, read from `file`: one line of at least
/// [`MIN_TOKEN`] characters from `A-Z a-z 0-9 . _ ~ + / = -` (it is sent
/// in a header and a cookie).
fn token_of(file: &Path, bytes: &[u8]) -> Result<String, i32> {
    let shown = file.display().to_string();
    let token = String::from_utf8_lossy(bytes).trim().to_string();
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
