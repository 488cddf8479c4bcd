//! A real TLS server (`openssl s_server`, Debian package `openssl`) of the
//! test's own on a loopback port, presenting a certificate made for the
//! test with `openssl`: one signed by a CA of the test's own for
//! `localhost` and 127.0.0.1, the same expired, or a self-signed one.
//! Killed when dropped.

use super::{free_port, require_program, wait_until, Killed};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Which certificate the server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presents {
    /// Signed by [`TestTls::ca`], for `localhost` and 127.0.0.1, valid 30 days.
    Valid,
    /// Signed by the same CA, for the same names, its `notAfter` a day ago.
    Expired,
    /// Signed by itself (`CN=runbook self-signed test`), for `localhost`
    /// and 127.0.0.1.
    SelfSigned,
    /// Signed by an intermediate CA (`CN=runbook test intermediate`), which
    /// the CA signed; the server sends the intermediate after its own.
    Intermediate,
    /// The same chain, but the server does not send the intermediate.
    IntermediateNotSent,
}

pub struct TestTls {
    pub port: u16,
    dir: tempfile::TempDir,
    _server: Killed,
}

impl TestTls {
    pub fn start(presents: Presents) -> TestTls {
        require_program(Path::new("/usr/bin/openssl"), "openssl");
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path(), presents);
        let port = free_port();
        let server = Command::new("/usr/bin/openssl")
            .current_dir(dir.path())
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", "leaf.pem", "-key", "leaf.key"])
            .args(if presents == Presents::Intermediate {
                &["-cert_chain", "intermediate.pem"][..]
            } else {
                &[]
            })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let server = Killed(server);
        wait_until("openssl s_server listens", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        TestTls {
            port,
            dir,
            _server: server,
        }
    }

    /// The CA's certificate (PEM), for `ca_file`.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("/usr/bin/openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ca.pem` and `leaf.pem`/`leaf.key` in `dir` (P-256 keys: quick to make),
/// and `intermediate.pem` for the chains with one.
pub fn make_certificates(dir: &Path, presents: Presents) {
    let key: &[&str] = &[
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    let ca: &[&str] = &["-keyout", "ca.key", "-out", "ca.pem", "-days", "30"];
    openssl(
        dir,
        &[
            &["req", "-x509"],
            key,
            ca,
            &["-subj", "/CN=runbook test CA"],
        ]
        .concat(),
    );
    let leaf: &[&str] = &["-keyout", "leaf.key", "-subj", "/CN=localhost"];
    if presents == Presents::SelfSigned {
        // A subject of its own: a trusted root of the machine's named
        // `CN=localhost` would be taken for its issuer.
        let leaf: &[&str] = &[
            "-keyout",
            "leaf.key",
            "-subj",
            "/CN=runbook self-signed test",
        ];
        // Not a CA (`req -x509` makes one by default): a server's own
        // certificate that signed itself.
        let server: &[&str] = &[
            "-addext",
            san,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ];
        let out: &[&str] = &["-out", "leaf.pem", "-days", "30"];
        openssl(dir, &[&["req", "-x509"], key, leaf, out, server].concat());
        return;
    }
    openssl(dir, &[&["req"], key, leaf, &["-out", "leaf.csr"]].concat());
    // The leaf's issuer: the CA itself, or an intermediate CA it signed.
    let (issuer, issuer_key) = match presents {
        Presents::Intermediate | Presents::IntermediateNotSent => {
            let subject: &[&str] = &[
                "-keyout",
                "intermediate.key",
                "-subj",
                "/CN=runbook test intermediate",
            ];
            let out: &[&str] = &["-out", "intermediate.csr"];
            openssl(dir, &[&["req"], key, subject, out].concat());
            std::fs::write(
                dir.join("intermediate.cnf"),
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
            )
            .unwrap();
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "intermediate.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "intermediate.pem",
                    "-days",
                    "30",
                    "-extfile",
                    "intermediate.cnf",
                ],
            );
            ("intermediate.pem", "intermediate.key")
        }
        _ => ("ca.pem", "ca.key"),
    };
    std::fs::write(dir.join("san.cnf"), format!("{san}\n")).unwrap();
    // `-days -1`: a `notAfter` one day before now, so the leaf has expired.
    let days = if presents == Presents::Expired {
        "-1"
    } else {
        "30"
    };
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            issuer,
            "-CAkey",
            issuer_key,
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            days,
            "-extfile",
            "san.cnf",
        ],
    );
}
