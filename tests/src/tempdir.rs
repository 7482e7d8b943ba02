//! Self-removing temporary directories (one per server: its data, log,
//! unix socket and generated config files).

use std::io;
use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir, removed with its contents
/// when dropped.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a new, empty directory named `<prefix>-<pid>-<random>`.
    ///
    /// The name is kept short because a unix socket path inside it must fit
    /// in `sun_path` (108 bytes).
    pub(crate) fn new(prefix: &str) -> io::Result<TempDir> {
        let base = std::env::temp_dir();
        let mut last_error = None;
        for _ in 0..100 {
            let name = format!(
                "{prefix}-{}-{:08x}",
                std::process::id(),
                super::ports::random() as u32
            );
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no unique temp dir name")))
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing useful can be done about a failure while dropping.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
