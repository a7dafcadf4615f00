//! Safe file output: write to a temporary file beside the target, then rename.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Writes `bytes` to `path` through a temporary file renamed on success. An existing `path` is
/// kept (and an error returned) unless `overwrite` is set.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    write_atomic_with(path, overwrite, |file| file.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// As [`write_atomic`], with the content written by `write` into the temporary file; when
/// `write` fails, the temporary file is removed and `path` is untouched.
pub fn write_atomic_with(path: &Path, overwrite: bool, write: impl FnOnce(&mut std::fs::File) -> Result<()>) -> Result<()> {
    if !overwrite && path.exists() {
        return Err(Error::InvalidArgument(format!("{} exists; pass --force to overwrite it", path.display())));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    let result = if overwrite { tmp.persist(path).map(|_| ()) } else { tmp.persist_noclobber(path).map(|_| ()) };
    result.map_err(|e| Error::io(path, e.error))
}
