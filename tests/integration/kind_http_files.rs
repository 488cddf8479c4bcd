//! `http` with files (`save_to`, `body_file`) against a real HTTP server:
//! bodies saved byte for byte and only whole, existing files kept, hostile
//! file names refused, a dry-run that writes nothing.

use crate::harness::http::{blob, TestHttp};
use crate::harness::run_file;
use sha2::{Digest, Sha256};
use std::path::Path;

fn playbook(dir: &Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("files.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn an_export_is_saved_byte_for_byte_with_its_size_and_digest() {
    let server = TestHttp::start();
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    let file = playbook(
        dir.path(),
        &format!(
            r#"name: export
inputs:
  dir:
    type: string
steps:
  - id: export
    http:
      url: "{url}/blob"
      save_to: "{{{{inputs.dir}}}}/blob.bin"
  - id: relative
    http:
      url: "{url}/text"
      save_to: text.txt
  - id: check
    needs: [export, relative]
    assert: steps.export.bytes == 307200 && steps.export.body == ""
"#,
            url = server.url
        ),
    );
    let dir_arg = format!("dir={}", exports.display());
    let ran = run_file(&file, dir.path(), &["--input", &dir_arg], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let saved = std::fs::read(exports.join("blob.bin")).unwrap();
    assert_eq!(saved, blob());
    let results = &ran.finished("export")["results"];
    assert_eq!(results["sha256"], sha256_hex(&blob()));
    assert_eq!(
        results["saved_to"],
        exports.join("blob.bin").display().to_string()
    );
    // A relative path is from the directory runbook was started in.
    let text = std::fs::read_to_string(dir.path().join("text.txt")).unwrap();
    assert_eq!(text, "plain text\nsecond line");
    assert_eq!(ran.finished("check")["state"], "succeeded");
    let names: Vec<_> = std::fs::read_dir(&exports).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left behind");
}

#[test]
fn a_refused_status_or_an_existing_file_leaves_the_file_as_it_was() {
    let server = TestHttp::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backup.json"), "old backup").unwrap();
    let refused = playbook(
        dir.path(),
        &format!(
            r#"name: refused
steps:
  - id: export
    http:
      url: "{url}/error"
      save_to: backup.json
      overwrite: true
"#,
            url = server.url
        ),
    );
    let ran = run_file(&refused, dir.path(), &[], &[]);
    assert_ne!(ran.code, 0);
    let export = ran.finished("export");
    assert_eq!(export["state"], "failed");
    assert_eq!(export["results"]["status"], 503);
    assert!(
        export["results"]["body"]
            .as_str()
            .unwrap()
            .contains("upstream unavailable"),
        "{export}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("backup.json")).unwrap(),
        "old backup"
    );

    // Without `overwrite`, the step fails before the request is sent.
    let kept = playbook(
        dir.path(),
        &format!(
            r#"name: kept
steps:
  - id: export
    http:
      url: "{url}/unrouted-export"
      save_to: backup.json
"#,
            url = server.url
        ),
    );
    let ran = run_file(&kept, dir.path(), &[], &[]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("export")["message"].to_string();
    assert!(message.contains("already exists"), "{message}");
    assert!(server.requests().is_empty(), "nothing was sent");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("backup.json")).unwrap(),
        "old backup"
    );
}

#[test]
fn a_file_name_from_a_step_cannot_walk_the_path() {
    let server = TestHttp::start();
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    for hostile in ["../escaped", "..", "a/../../escaped", "x\ny"] {
        let file = playbook(
            &inner,
            &format!(
                r#"name: hostile
steps:
  - id: name
    shell: printf '%b' {name}
    outputs:
      name: stdout
  - id: export
    needs: [name]
    http:
      url: "{url}/text"
      save_to: "exports-{{{{steps.name.outputs.name}}}}"
"#,
                url = server.url,
                name = shell_words(hostile),
            ),
        );
        let ran = run_file(&file, &inner, &[], &[]);
        assert_ne!(ran.code, 0, "{hostile:?}: {}", ran.stdout);
        let message = ran.finished("export")["message"].to_string();
        assert!(message.contains("file path"), "{hostile:?}: {message}");
        assert!(!dir.path().join("escaped").exists());
        let written: Vec<_> = std::fs::read_dir(&inner)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("exports"))
            .collect();
        assert!(written.is_empty(), "{hostile:?}: {written:?}");
    }
}

/// `s` as one single-quoted shell word for `printf %b`, a newline written
/// `\n` so the playbook stays one line.
fn shell_words(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''").replace('\n', r"\n"))
}

#[test]
fn a_body_file_is_sent_as_it_is() {
    let server = TestHttp::start();
    let dir = tempfile::tempdir().unwrap();
    let content = "INSERT INTO t VALUES ('$(touch pwned)');\n-- \"quoted\" `tick`\n";
    std::fs::write(dir.path().join("import.sql"), content).unwrap();
    let file = playbook(
        dir.path(),
        &format!(
            r#"name: import
steps:
  - id: import
    http:
      url: "{url}/import"
      method: PUT
      body_file: import.sql
"#,
            url = server.url
        ),
    );
    let ran = run_file(&file, dir.path(), &[], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(server.bodies(), [content]);
    assert!(!dir.path().join("pwned").exists());

    // A directory is not a body.
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    let file = playbook(
        dir.path(),
        &format!(
            "name: dir\nsteps:\n  - id: import\n    http:\n      url: \"{}/import\"\n      method: PUT\n      body_file: adir\n",
            server.url
        ),
    );
    let ran = run_file(&file, dir.path(), &[], &[]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("import")["message"].to_string();
    assert!(message.contains("not a regular file"), "{message}");
    assert_eq!(server.bodies().len(), 1, "the directory was not sent");
}

#[test]
fn a_dry_run_saves_nothing_and_says_where_it_would() {
    let server = TestHttp::start();
    let dir = tempfile::tempdir().unwrap();
    let file = playbook(
        dir.path(),
        &format!(
            r#"name: export
steps:
  - id: export
    http:
      url: "{url}/blob"
      save_to: blob.bin
  - id: export_read
    effect: read
    http:
      url: "{url}/blob"
      save_to: read.bin
"#,
            url = server.url
        ),
    );
    let ran = run_file(&file, dir.path(), &["--dry-run"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(!dir.path().join("blob.bin").exists());
    assert!(!dir.path().join("read.bin").exists());
    assert!(
        ran.stdout.contains("saving the body to"),
        "the dry-run describes the save:\n{}",
        ran.stdout
    );
    // Declared a read, the request runs: the body is received and counted,
    // but not written.
    let read = ran.finished("export_read");
    assert_eq!(read["results"]["bytes"], 307200);
    assert!(read["results"].get("saved_to").is_none());
}
