//! Safe file output: every file kyso writes appears atomically (temporary file in the same
//! directory, fsync, rename), never half-written; secret files are created 0600 before any
//! byte is written.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// How [`write_atomic`] treats an existing destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail with [`io::ErrorKind::AlreadyExists`] if the destination exists.
    Refuse,
    /// Replace the destination atomically.
    Replace,
}

/// Whether the file holds a secret (created with mode 0600) or public data (0644).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// Mode 0600 from creation on (private keys).
    Secret,
    /// Mode 0644 (certificates, CRLs, signatures).
    Public,
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
/// directory. With [`Overwrite::Refuse`] the final step is a hard link that fails if `path`
/// appeared meanwhile, so two writers never clobber each other.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite, secrecy: Secrecy) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if overwrite == Overwrite::Refuse && fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".kyso-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match secrecy {
            Secrecy::Secret => 0o600,
            Secrecy::Public => 0o644,
        };
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file_mut().sync_all()?;
    match overwrite {
        Overwrite::Replace => {
            tmp.persist(path).map_err(|e| e.error)?;
        }
        Overwrite::Refuse => {
            tmp.persist_noclobber(path).map_err(|e| e.error)?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Best-effort fsync of a directory so that a rename survives a power cut.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads a whole file, refusing files larger than `limit` bytes (an attacker-supplied
/// certificate, CRL or signature file must not exhaust memory).
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let f = fs::File::open(path)?;
    let mut buf = Vec::new();
    let n = f.take(limit + 1).read_to_end(&mut buf)?;
    if n as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than the limit of {} bytes", path.display(), limit),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_existing_and_replaces_on_request() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.pem");
        write_atomic(&p, b"one", Overwrite::Refuse, Secrecy::Public).unwrap();
        let e = write_atomic(&p, b"two", Overwrite::Refuse, Secrecy::Public).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three", Overwrite::Replace, Secrecy::Public).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        // no temporary file left behind
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.pem");
        write_atomic(&p, b"secret", Overwrite::Refuse, Secrecy::Secret).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn read_limited_refuses_large() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        fs::write(&p, vec![0u8; 100]).unwrap();
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
        assert_eq!(read_limited(&p, 99).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
