//! Safe file output: every file kyso writes appears atomically (temporary file in the same
//! directory, fsync, rename), never half-written; secret files are created 0600 before any
//! byte is written.
//!
//! One file: [`write_atomic`]. Many files (a batch of signatures): [`stage`] each one (from
//! several threads: a temporary file written and closed), then [`commit`] them together (the
//! fsyncs of the temporary files overlapped, the renames, then one fsync per distinct folder
//! instead of one per file). Temporary files that a killed
//! process left behind are removed by [`remove_stale_temporaries`].

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The name prefix of kyso's temporary files; the rest of the name is
/// six random ASCII letters and digits (see [`is_temporary_name`]).
pub const TEMP_PREFIX: &str = ".kyso-tmp-";

/// Random characters after [`TEMP_PREFIX`] (tempfile's default, set explicitly so that the
/// pattern [`remove_stale_temporaries`] matches cannot drift).
const TEMP_RANDOM_CHARS: usize = 6;

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
    let dir = parent_dir(path);
    if overwrite == Overwrite::Refuse && fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    let mut tmp = temp_builder(secrecy).tempfile_in(dir)?;
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

/// The temporary-file builder: kyso's name pattern, and the final mode from creation on.
fn temp_builder(secrecy: Secrecy) -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix("").rand_bytes(TEMP_RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match secrecy {
            Secrecy::Secret => 0o600,
            Secrecy::Public => 0o644,
        };
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = secrecy;
    builder
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A file written under a temporary name beside its destination, waiting for [`commit`].
/// Dropped without a commit, the temporary file is deleted.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::TempPath,
    path: PathBuf,
    overwrite: Overwrite,
}

impl Staged {
    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The first half of an atomic write for batches: writes `bytes` to a temporary file beside
/// `path` (created with the final mode) and closes it, so that a batch holds no open
/// descriptors. Nothing is visible under `path`, and nothing is durable, until [`commit`].
/// Safe to call from several threads at once.
///
/// With [`Overwrite::Refuse`] an existing `path` is refused here already (and again, atomically,
/// by [`commit`]).
pub fn stage(path: &Path, bytes: &[u8], overwrite: Overwrite, secrecy: Secrecy) -> io::Result<Staged> {
    if overwrite == Overwrite::Refuse && fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} already exists", path.display())));
    }
    let mut tmp = temp_builder(secrecy).tempfile_in(parent_dir(path))?;
    tmp.as_file_mut().write_all(bytes)?;
    Ok(Staged { tmp: tmp.into_temp_path(), path: path.to_path_buf(), overwrite })
}

/// fsyncs overlapped by [`commit`]. One fsync waits for a journal commit and a disk cache
/// flush (0.2–2 ms here, mostly waiting); issued one after the other they bound a batch by the
/// disk, issued together the filesystem folds them into a few commits. The threads only wait
/// on the disk; 16 keep enough requests in flight without a crowd of threads.
const SYNC_THREADS: usize = 16;

/// The second half: makes every staged file durable and visible, then returns one result per
/// staged file, in the same order. `Ok` means the file's data and its directory entry are on
/// disk.
///
/// 1. every temporary file is fsynced (16 at once, from as many threads that only wait for the disk);
/// 2. each one is renamed to its destination, in order — only after its data is on disk, so a
///    crash never shows a destination with incomplete content;
/// 3. each distinct destination folder is fsynced once (instead of once per file).
///
/// A destination that appeared since [`stage`] is not replaced under [`Overwrite::Refuse`]
/// (`AlreadyExists`, as [`write_atomic`]). A file whose temporary copy cannot be synced is not
/// renamed (its temporary file is removed). If a folder cannot be fsynced, every file renamed
/// into it gets the error (the files are complete, but their names may not survive a power cut).
pub fn commit(staged: Vec<Staged>) -> Vec<io::Result<()>> {
    // 1. fsync the temporary files, overlapped.
    let mut synced: Vec<Option<io::Result<()>>> = (0..staged.len()).map(|_| None).collect();
    {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<&mut Option<io::Result<()>>>> = synced.iter_mut().map(std::sync::Mutex::new).collect();
        let work = || loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (Some(s), Some(slot)) = (staged.get(i), slots.get(i)) else { break };
            let r = fs::File::open(&s.tmp).and_then(|f| f.sync_all());
            if let Ok(mut slot) = slot.lock() {
                **slot = Some(r);
            }
        };
        let threads = SYNC_THREADS.min(staged.len());
        std::thread::scope(|scope| {
            for _ in 1..threads {
                // A thread that cannot be spawned leaves its share to the others.
                let _ = std::thread::Builder::new().spawn_scoped(scope, work);
            }
            work();
        });
    }
    // 2. rename, in order.
    let mut results: Vec<io::Result<()>> = Vec::with_capacity(staged.len());
    // folder → indices of the files renamed into it
    let mut dirs: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, (s, synced)) in staged.into_iter().zip(synced).enumerate() {
        let r = match synced {
            Some(Ok(())) => {
                let dir = parent_dir(&s.path).to_path_buf();
                let r = match s.overwrite {
                    Overwrite::Replace => s.tmp.persist(&s.path).map_err(|e| e.error),
                    Overwrite::Refuse => s.tmp.persist_noclobber(&s.path).map_err(|e| e.error),
                };
                if r.is_ok() {
                    dirs.entry(dir).or_default().push(i);
                }
                r
            }
            Some(Err(e)) => Err(e),
            None => Err(io::Error::other("the temporary file was not synced")),
        };
        results.push(r);
    }
    // 3. one fsync per folder.
    for (dir, files) in dirs {
        if let Err(e) = fsync_dir(&dir) {
            for i in files {
                if let Some(r) = results.get_mut(i) {
                    *r = Err(io::Error::new(e.kind(), format!("the folder {} could not be synced to disk: {e}", dir.display())));
                }
            }
        }
    }
    results
}

/// fsync of a directory; filesystems that cannot fsync a directory (EINVAL) are accepted, as
/// in [`write_atomic`].
fn fsync_dir(dir: &Path) -> io::Result<()> {
    let d = fs::File::open(dir)?;
    match d.sync_all() {
        Err(e) if e.kind() == io::ErrorKind::InvalidInput || e.kind() == io::ErrorKind::Unsupported => Ok(()),
        other => other,
    }
}

/// True for a file name of kyso's temporary-file pattern: [`TEMP_PREFIX`] followed by exactly
/// six ASCII letters or digits.
pub fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX)
        .is_some_and(|rest| rest.len() == TEMP_RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Limit on directory entries examined by [`remove_stale_temporaries`]: it runs before every
/// batch, and a folder of documents can be large; 100,000 entries bound the time of the scan
/// (a few tens of ms) while covering any real output folder.
pub const MAX_SCANNED_ENTRIES: usize = 100_000;

/// Removes temporary files that an interrupted kyso (SIGKILL, power cut) left in `dir`: regular
/// files (not symlinks) whose name matches [`is_temporary_name`] and that were last modified
/// more than `older_than` before `now`. Anything else is left alone,
/// including a temporary file of a kyso still running (it is younger than `older_than`). The
/// caller gives `now` (the library does not read the clock). Returns the number removed;
/// files that cannot be examined or removed are skipped.
pub fn remove_stale_temporaries(dir: &Path, older_than: Duration, now: SystemTime) -> io::Result<usize> {
    let Some(cutoff) = now.checked_sub(older_than) else { return Ok(0) };
    let mut removed = 0;
    for entry in fs::read_dir(dir)?.take(MAX_SCANNED_ENTRIES) {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temporary_name(name) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if !meta.file_type().is_file() {
            continue;
        }
        let Ok(modified) = meta.modified() else { continue };
        if modified < cutoff && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
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

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn staged_files_are_invisible_until_commit_and_durable_after() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let a = d.path().join("a.p7s");
        let b = sub.join("b.p7s");
        let c = d.path().join("c.p7s");
        fs::write(&c, b"old").unwrap();
        let sa = stage(&a, b"A", Overwrite::Refuse, Secrecy::Public).unwrap();
        let sb = stage(&b, b"B", Overwrite::Refuse, Secrecy::Secret).unwrap();
        let sc = stage(&c, b"C", Overwrite::Replace, Secrecy::Public).unwrap();
        assert_eq!(sa.path(), a);
        // before the commit: only temporary names, complete, the old file untouched
        assert!(!a.exists() && !b.exists());
        assert_eq!(fs::read(&c).unwrap(), b"old");
        let tmps: Vec<String> = names(d.path()).into_iter().filter(|n| is_temporary_name(n)).collect();
        assert_eq!(tmps.len(), 2, "{tmps:?}");
        for t in &tmps {
            let bytes = fs::read(d.path().join(t)).unwrap();
            assert!(bytes == b"A" || bytes == b"C");
        }
        let results = commit(vec![sa, sb, sc]);
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        assert_eq!(fs::read(&a).unwrap(), b"A");
        assert_eq!(fs::read(&b).unwrap(), b"B");
        assert_eq!(fs::read(&c).unwrap(), b"C");
        assert_eq!(names(d.path()), ["a.p7s", "c.p7s", "sub"]);
        assert_eq!(names(&sub), ["b.p7s"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&b).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn commit_refuses_a_destination_that_appeared_and_dropping_cleans_up() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.p7s");
        let b = d.path().join("b.p7s");
        // refused at stage time
        fs::write(&b, b"theirs").unwrap();
        let e = stage(&b, b"mine", Overwrite::Refuse, Secrecy::Public).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        // appears between stage and commit: refused by the commit, the other file still lands
        let sa = stage(&a, b"A", Overwrite::Refuse, Secrecy::Public).unwrap();
        let c = d.path().join("c.p7s");
        let sc = stage(&c, b"C", Overwrite::Refuse, Secrecy::Public).unwrap();
        fs::write(&a, b"raced").unwrap();
        let results = commit(vec![sa, sc]);
        assert_eq!(results[0].as_ref().unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(results[1].is_ok());
        assert_eq!(fs::read(&a).unwrap(), b"raced");
        assert_eq!(fs::read(&c).unwrap(), b"C");
        // a staged file dropped without commit leaves nothing behind
        drop(stage(&d.path().join("x.p7s"), b"X", Overwrite::Refuse, Secrecy::Public).unwrap());
        assert_eq!(names(d.path()), ["a.p7s", "b.p7s", "c.p7s"]);
    }

    #[test]
    fn commit_into_a_missing_folder_fails_that_file_only() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("gone");
        fs::create_dir(&sub).unwrap();
        let sa = stage(&sub.join("a.p7s"), b"A", Overwrite::Refuse, Secrecy::Public).unwrap();
        let sb = stage(&d.path().join("b.p7s"), b"B", Overwrite::Refuse, Secrecy::Public).unwrap();
        // the folder disappears with the temporary file in it
        fs::remove_dir_all(&sub).unwrap();
        let results = commit(vec![sa, sb]);
        assert_eq!(results[0].as_ref().unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(results[1].is_ok());
    }

    #[test]
    fn temporary_name_pattern() {
        assert!(is_temporary_name(".kyso-tmp-a1B2c3"));
        for n in [".kyso-tmp-", ".kyso-tmp-abc", ".kyso-tmp-abcdefg", ".kyso-tmp-abc.de", "kyso-tmp-abcdef", ".kyso-tmp-abcdé", "x.kyso-tmp-abcdef"] {
            assert!(!is_temporary_name(n), "{n}");
        }
        // the names write_atomic and stage really create match the pattern
        let d = tempfile::tempdir().unwrap();
        let s = stage(&d.path().join("a"), b"A", Overwrite::Refuse, Secrecy::Public).unwrap();
        let n = names(d.path());
        assert_eq!(n.len(), 1);
        assert!(is_temporary_name(&n[0]), "{n:?}");
        drop(s);
    }

    #[test]
    fn only_old_temporaries_of_kyso_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let make = |name: &str, age: Duration| {
            let p = d.path().join(name);
            let f = fs::File::create(&p).unwrap();
            f.set_modified(now - age).unwrap();
        };
        make(".kyso-tmp-OLD001", 2 * hour); // removed
        make(".kyso-tmp-OLD002", 30 * hour); // removed
        make(".kyso-tmp-new001", Duration::from_secs(60)); // a running kyso's: kept
        make(".kyso-tmp-toolong1", 2 * hour); // not our pattern: kept
        make("doc.pdf.p7s", 2 * hour); // a signature: kept
        make(".other-tmp-OLD003", 2 * hour); // someone else's: kept
        fs::create_dir(d.path().join(".kyso-tmp-DIR001")).unwrap(); // a folder: kept
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.path().join("doc.pdf.p7s"), d.path().join(".kyso-tmp-LNK001")).unwrap();
        assert_eq!(remove_stale_temporaries(d.path(), hour, now).unwrap(), 2);
        let mut expected = vec![".kyso-tmp-DIR001", ".kyso-tmp-new001", ".kyso-tmp-toolong1", ".other-tmp-OLD003", "doc.pdf.p7s"];
        #[cfg(unix)]
        expected.insert(1, ".kyso-tmp-LNK001");
        assert_eq!(names(d.path()), expected);
        assert!(d.path().join("doc.pdf.p7s").exists(), "the symlink's target is untouched");
        // a second run finds nothing; a missing folder is an error, not a panic
        assert_eq!(remove_stale_temporaries(d.path(), hour, now).unwrap(), 0);
        assert_eq!(remove_stale_temporaries(&d.path().join("missing"), hour, now).unwrap_err().kind(), io::ErrorKind::NotFound);
        // `now` earlier than the age: nothing is old
        assert_eq!(remove_stale_temporaries(d.path(), hour, SystemTime::UNIX_EPOCH).unwrap(), 0);
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
