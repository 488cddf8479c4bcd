//! Following a journal that grows (`runbook serve`'s live updates): the
//! records read so far are kept with the offset of the end of the last
//! complete line, and each update reads and parses only what was appended
//! since. A torn last line (a record being written) is not consumed: it is
//! read again, finished, at the next update. The result is always what
//! [`journal::read_run`] would read now (the same opening, the same
//! checks, the same parser), without reading the whole file again.

use crate::journal::{self, Journal};
use runbook_dsl::user_file::MAX_JOURNAL_BYTES;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A journal read up to its last complete line.
#[derive(Debug, Default)]
pub struct Follower {
    journal: Journal,
    /// Bytes of complete lines parsed.
    consumed: u64,
    /// Complete lines parsed (for the line numbers of damage).
    lines: u64,
    /// The file followed (device, inode): a journal replaced by another
    /// file is read again from its start.
    identity: Option<(u64, u64)>,
}

impl Follower {
    pub fn new() -> Follower {
        Follower::default()
    }

    /// The bytes of complete lines held: what a cache of followers bounds.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Reads what run `run_id`'s journal under `dir` gained since the last
    /// update (all of it the first time) and returns the whole journal as
    /// read so far, with its torn last line if it has one now.
    pub fn update(&mut self, dir: &Path, run_id: &str) -> io::Result<&Journal> {
        let mut file = journal::open_run(dir, run_id)?;
        let meta = file.metadata()?;
        if !meta.file_type().is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file; only regular files are read",
            ));
        }
        if meta.len() > MAX_JOURNAL_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "it is larger than {} MiB",
                    MAX_JOURNAL_BYTES / (1024 * 1024)
                ),
            ));
        }
        let identity = (meta.dev(), meta.ino());
        // Another file, or the same one cut shorter (a torn line repaired
        // by `resume`, a file rewritten): start again.
        if self.identity != Some(identity) || meta.len() < self.consumed {
            *self = Follower {
                identity: Some(identity),
                ..Follower::default()
            };
        }
        file.seek(SeekFrom::Start(self.consumed))?;
        let mut tail = Vec::new();
        // The file may grow between the check and the read.
        file.take(MAX_JOURNAL_BYTES - self.consumed + 1)
            .read_to_end(&mut tail)?;
        if self.consumed + tail.len() as u64 > MAX_JOURNAL_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "it is larger than {} MiB",
                    MAX_JOURNAL_BYTES / (1024 * 1024)
                ),
            ));
        }
        let parsed = journal::parse_lines(&tail, self.consumed, self.lines, &mut self.journal);
        self.lines += tail[..parsed as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.consumed += parsed;
        Ok(&self.journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// What a journal holds, comparable.
    fn shape(journal: &Journal) -> String {
        format!(
            "{}\n{:?}\n{:?}",
            serde_json::to_string(&journal.records).unwrap(),
            journal.damaged,
            journal.torn
        )
    }

    fn line(seq: u64) -> String {
        format!(
            "{{\"seq\":{seq},\"time\":\"2026-12-01T00:00:00Z\",\"event\":\"step_output\",\"step\":\"s\",\"stream\":\"stdout\",\"line\":\"line {seq} <b>\"}}\n"
        )
    }

    /// Appended in pieces (half a line, then the rest, a damaged line,
    /// thousands of lines at once), every update equals a fresh read.
    #[test]
    fn an_update_equals_a_fresh_read_whatever_the_pieces() {
        let scratch = std::env::temp_dir().join(format!("runbook-follow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let run = scratch.join("r1");
        std::fs::create_dir_all(&run).unwrap();
        let path = run.join(journal::FILE_NAME);
        let mut file = std::fs::File::create(&path).unwrap();
        let mut follower = Follower::new();
        let check = |follower: &mut Follower| {
            let followed = shape(follower.update(scratch.as_path(), "r1").unwrap());
            let fresh = shape(&journal::read_run(scratch.as_path(), "r1").unwrap());
            assert_eq!(followed, fresh);
        };
        check(&mut follower);
        let first = line(1);
        let (head, rest) = first.split_at(first.len() / 2);
        file.write_all(head.as_bytes()).unwrap();
        check(&mut follower);
        assert!(follower.journal.torn.is_some() && follower.journal.records.is_empty());
        file.write_all(rest.as_bytes()).unwrap();
        check(&mut follower);
        assert_eq!(follower.journal.records.len(), 1);
        file.write_all(b"not json\n\xff\n").unwrap();
        check(&mut follower);
        assert_eq!(follower.journal.damaged.len(), 2);
        let many: String = (2..6000).map(line).collect();
        file.write_all(many.as_bytes()).unwrap();
        file.write_all(&line(6000).as_bytes()[..7]).unwrap();
        check(&mut follower);
        assert_eq!(follower.journal.records.len(), 5999);
        file.write_all(&line(6000).as_bytes()[7..]).unwrap();
        check(&mut follower);
        assert_eq!(follower.journal.records.len(), 6000);
        // Replaced by a shorter file: read again from its start.
        drop(file);
        std::fs::write(&path, line(1)).unwrap();
        check(&mut follower);
        assert_eq!(follower.journal.records.len(), 1);
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
