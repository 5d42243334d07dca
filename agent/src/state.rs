//! The agent's identity on disk: its `run` id and the `seq` numbers it has reserved.
//!
//! DESIGN.md: `run` is a random id created once with the agent's state directory (a wiped or
//! replaced box gets a new one), and `seq` grows by one per reading within a run. The agent
//! reserves blocks of numbers with fsync **before** using them, so a crash never reuses one:
//! after a restart numbering resumes at the end of the last reserved block (gaps are allowed).
//!
//! Files in the state directory:
//!
//! - `run`: the run id, 16 lower-case hex characters and a newline. Written once
//!   (write to a temporary file, fsync, rename, fsync the directory).
//! - `seq`: the first number **not** yet reserved, in decimal, replaced atomically the same way
//!   each time a new block is reserved.

use rand::RngCore;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// How many sequence numbers one fsync reserves.
pub const SEQ_BLOCK: u64 = 1000;

/// Errors reading or writing the state directory.
#[derive(Debug, Error)]
pub enum StateError {
    /// An I/O operation on a state file failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A state file holds something that is not what this module writes.
    #[error("state file {path} is corrupt: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `contents` to `path` atomically and durably (temp file, fsync, rename, fsync dir).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(contents).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io(path))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

/// The run id and the sequence allocator of one state directory.
#[derive(Debug)]
pub struct AgentState {
    /// The run id, fixed for the life of the state directory.
    run: String,
    /// The next number to hand out.
    next: u64,
    /// The first number not covered by the reservation on disk.
    reserved_to: u64,
    /// Path of the `seq` file.
    seq_path: PathBuf,
}

impl AgentState {
    /// Opens (or creates) the state in `dir`.
    pub fn open(dir: &Path) -> Result<AgentState, StateError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let run_path = dir.join("run");
        let run = match fs::read_to_string(&run_path) {
            Ok(s) => {
                let run = s.trim().to_owned();
                if run.is_empty() || !run.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(StateError::Corrupt {
                        path: run_path,
                        what: format!("run id {run:?}"),
                    });
                }
                run
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 8];
                rand::rng().fill_bytes(&mut bytes);
                let run: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                write_atomic(&run_path, format!("{run}\n").as_bytes())?;
                run
            }
            Err(e) => return Err(io(&run_path)(e)),
        };
        let seq_path = dir.join("seq");
        let next = match fs::read_to_string(&seq_path) {
            Ok(s) => s.trim().parse::<u64>().map_err(|e| StateError::Corrupt {
                path: seq_path.clone(),
                what: format!("{:?} is not a number: {e}", s.trim()),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 1,
            Err(e) => return Err(io(&seq_path)(e)),
        };
        Ok(AgentState {
            run,
            next,
            reserved_to: next,
            seq_path,
        })
    }

    /// The run id.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// Hands out the next sequence number, reserving a new block on disk first when needed.
    pub fn next_seq(&mut self) -> Result<u64, StateError> {
        if self.next >= self.reserved_to {
            let to = self.next + SEQ_BLOCK;
            write_atomic(&self.seq_path, format!("{to}\n").as_bytes())?;
            self.reserved_to = to;
        }
        let seq = self.next;
        self.next += 1;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_id_is_stable_and_seq_never_reused_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = AgentState::open(dir.path()).unwrap();
        let run = a.run().to_owned();
        assert_eq!(run.len(), 16);
        let first: Vec<u64> = (0..5).map(|_| a.next_seq().unwrap()).collect();
        assert_eq!(first, [1, 2, 3, 4, 5]);
        drop(a); // a crash: the rest of the block is never used
        let mut b = AgentState::open(dir.path()).unwrap();
        assert_eq!(b.run(), run);
        let after = b.next_seq().unwrap();
        assert_eq!(after, 1 + SEQ_BLOCK, "resumes after the reserved block");
    }

    #[test]
    fn reserves_a_new_block_when_one_is_used_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = AgentState::open(dir.path()).unwrap();
        for _ in 0..SEQ_BLOCK {
            a.next_seq().unwrap();
        }
        assert_eq!(a.next_seq().unwrap(), SEQ_BLOCK + 1);
        let on_disk: u64 = fs::read_to_string(dir.path().join("seq"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(on_disk, 2 * SEQ_BLOCK + 1);
    }

    #[test]
    fn wiped_state_gets_a_new_run() {
        let d1 = tempfile::tempdir().unwrap();
        let d2 = tempfile::tempdir().unwrap();
        let a = AgentState::open(d1.path()).unwrap();
        let b = AgentState::open(d2.path()).unwrap();
        assert_ne!(a.run(), b.run());
    }

    #[test]
    fn corrupt_seq_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("seq"), "twelve\n").unwrap();
        let err = AgentState::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("seq") && err.contains("twelve"), "{err}");
    }
}
