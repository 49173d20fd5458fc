//! Safe file input and output.
//!
//! **Output**: every file kyso writes appears atomically (temporary file in the same
//! directory, fsync, rename), never half-written; secret files are created 0600 before any
//! byte is written. One file: [`write_atomic`]. Many files (a batch of signatures): [`stage`]
//! each one (from several threads: a temporary file written and closed), then [`commit`] them
//! together (the fsyncs of the temporary files overlapped, the renames, then one fsync per
//! distinct folder instead of one per file). Files that must appear together or not at all
//! (a new key and its certificate): [`prepare`] each one (on Linux an unnamed `O_TMPFILE` that
//! vanishes with the process), then [`Pending::publish`] them in order.
//!
//! **Temporaries and their owners**: a temporary file is named after its owner,
//! `.kyso-tmp-<owner>-<random>`, and the owner (one per process and folder) holds an advisory
//! lock (`flock`) on `.kyso-own-<owner>` for as long as it has temporaries there. When the
//! process dies (SIGKILL, power cut) the lock goes with it, and the next kyso run in that folder
//! ([`remove_stale_temporaries`]) removes the temporaries whose owner is gone — at once, not
//! after an hour, and never those of a kyso still running.
//!
//! **Read-modify-write**: [`lock_target`] takes an advisory lock on a lock file beside the
//! target (`.<name>.kyso-lock`), so that two kyso runs extending the same `.p7s` or signing the
//! same PDF in place take turns (the second waits, then re-reads) instead of one losing the
//! other's signature. The lock file can carry a small journal ([`TargetLock::journal`]) that
//! the next holder reads when the previous one was killed.
//!
//! **Input**: [`read_limited`] and [`InputFile`] open documents, keys, certificates and
//! signatures without blocking (a FIFO with no writer does not hang the open), refuse anything
//! but a regular file by `fstat` on the opened handle, bound what is read, and refuse a file
//! that changed while it was read (size, modification or change time, or the file at the path
//! replaced): [`FileProblem`]. [`read_first_line`] reads a passphrase file's first line with
//! a bound, from a regular file or a pipe.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

/// The name prefix of kyso's temporary files: `.kyso-tmp-<owner>-<random>` with an owner id
/// of [`OWNER_ID_CHARS`] and six random characters (see [`is_temporary_name`]). Files of the
/// older pattern without an owner, `.kyso-tmp-<random>`, are still recognised.
pub const TEMP_PREFIX: &str = ".kyso-tmp-";

/// The name prefix of the owner files (`.kyso-own-<owner>`), locked by a live kyso.
pub const OWNER_PREFIX: &str = ".kyso-own-";

/// The name prefix of an owner file being created (locked, then linked to its owner name).
const OWNER_NEW_PREFIX: &str = ".kyso-new-";

/// The name suffix of lock files beside a target (`.<name>.kyso-lock`).
pub const LOCK_SUFFIX: &str = ".kyso-lock";

/// Characters of an owner id (ASCII letters and digits: 62⁸ ≈ 2⁴⁷ names, drawn at random and
/// created exclusively).
pub const OWNER_ID_CHARS: usize = 8;

/// Random characters after the owner id (tempfile's default, set explicitly so that the
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

// ---------------------------------------------------------------------------------------------
// Typed problems carried inside io::Error

/// What kind of file an input turned out to be when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A named pipe.
    Fifo,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A Unix socket.
    Socket,
    /// A folder.
    Directory,
    /// Anything else.
    Other,
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Fifo => "a named pipe (FIFO)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Directory => "a folder",
            FileKind::Other => "not a regular file",
        })
    }
}

/// What changed in a file while it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Its size.
    Size,
    /// Its modification or status-change time (rewritten in place).
    Modified,
    /// Another file now stands at its path (replaced or removed).
    Replaced,
    /// More or fewer bytes were read than it held when it was opened.
    Length,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Size => "its size changed",
            Change::Modified => "it was modified",
            Change::Replaced => "another file now stands at its path",
            Change::Length => "it grew or shrank while it was read",
        })
    }
}

/// A problem of kyso's file handling, carried as the inner error of an [`io::Error`] (get it
/// with [`problem`]); the error's kind says which family it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileProblem {
    /// The input is not a regular file ([`io::ErrorKind::InvalidInput`], or
    /// [`io::ErrorKind::IsADirectory`] for a folder).
    #[error("the file is {kind}; kyso reads documents, keys, certificates and signatures from regular files only")]
    NotRegular {
        /// What it is.
        kind: FileKind,
    },
    /// The file is larger than the bound for its role ([`io::ErrorKind::InvalidData`]).
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// The file changed while it was read ([`io::ErrorKind::Other`]): what was read is a state
    /// that may have existed only for a moment.
    #[error("the file changed while it was being read ({change})")]
    Changed {
        /// What changed.
        change: Change,
    },
    /// No line end within the bound ([`io::ErrorKind::InvalidData`]).
    #[error("the first line is longer than {limit} bytes")]
    LineTooLong {
        /// The bound, in bytes.
        limit: usize,
    },
    /// A pipe delivered nothing in time ([`io::ErrorKind::TimedOut`]).
    #[error("nothing arrived within {} ms", .waited.as_millis())]
    NothingArrived {
        /// How long kyso waited.
        waited: Duration,
    },
    /// Another process held the target's lock for too long ([`io::ErrorKind::TimedOut`]).
    #[error("another kyso has been writing it for {} s (lock file {})", .waited.as_secs(), .lock.display())]
    Locked {
        /// The lock file.
        lock: PathBuf,
        /// How long kyso waited.
        waited: Duration,
    },
}

impl FileProblem {
    fn kind(&self) -> io::ErrorKind {
        match self {
            FileProblem::NotRegular { kind: FileKind::Directory } => io::ErrorKind::IsADirectory,
            FileProblem::NotRegular { .. } => io::ErrorKind::InvalidInput,
            FileProblem::TooLarge { .. } | FileProblem::LineTooLong { .. } => io::ErrorKind::InvalidData,
            FileProblem::Changed { .. } => io::ErrorKind::Other,
            FileProblem::NothingArrived { .. } | FileProblem::Locked { .. } => io::ErrorKind::TimedOut,
        }
    }
}

impl From<FileProblem> for io::Error {
    fn from(p: FileProblem) -> io::Error {
        io::Error::new(p.kind(), p)
    }
}

/// The [`FileProblem`] inside an I/O error from this module, if it is one.
pub fn problem(e: &io::Error) -> Option<&FileProblem> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<FileProblem>())
}

// ---------------------------------------------------------------------------------------------
// Input

/// What identifies a file's state: where it is (device, inode), its size and its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    #[cfg(unix)]
    fn of(m: &fs::Metadata) -> Identity {
        use std::os::unix::fs::MetadataExt;
        Identity { dev: m.dev(), ino: m.ino(), len: m.len(), mtime: (m.mtime(), m.mtime_nsec()), ctime: (m.ctime(), m.ctime_nsec()) }
    }

    #[cfg(not(unix))]
    fn of(m: &fs::Metadata) -> Identity {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
            .unwrap_or((0, 0));
        Identity { dev: 0, ino: 0, len: m.len(), mtime: t, ctime: t }
    }

    fn same_file(&self, other: &Identity) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

fn file_kind(t: fs::FileType) -> Option<FileKind> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some(FileKind::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some(FileKind::Fifo);
        }
        if t.is_char_device() {
            return Some(FileKind::CharDevice);
        }
        if t.is_block_device() {
            return Some(FileKind::BlockDevice);
        }
        if t.is_socket() {
            return Some(FileKind::Socket);
        }
    }
    Some(FileKind::Other)
}

/// Opens `path` for reading without blocking on a FIFO that has no writer (`O_NONBLOCK`) and
/// without becoming the controlling terminal (`O_NOCTTY`).
fn open_nonblocking(path: &Path) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        o.custom_flags(flags.bits() as i32);
    }
    o.open(path)
}

/// An input file opened for reading: a regular file (checked with `fstat` on the opened
/// handle), whose state when opened is remembered so that [`InputFile::finish`] can tell
/// whether it changed while it was read. Read it to the end, then call `finish`.
#[derive(Debug)]
pub struct InputFile {
    file: fs::File,
    path: PathBuf,
    before: Identity,
    read: u64,
}

impl InputFile {
    /// Opens `path`: never blocks on a FIFO, refuses anything but a regular file
    /// ([`FileProblem::NotRegular`]).
    pub fn open(path: &Path) -> io::Result<InputFile> {
        let file = open_nonblocking(path)?;
        let meta = file.metadata()?;
        if let Some(kind) = file_kind(meta.file_type()) {
            return Err(FileProblem::NotRegular { kind }.into());
        }
        Ok(InputFile { file, path: path.to_path_buf(), before: Identity::of(&meta), read: 0 })
    }

    /// The file's size when it was opened.
    pub fn len(&self) -> u64 {
        self.before.len
    }

    /// True when the file was empty when it was opened.
    pub fn is_empty(&self) -> bool {
        self.before.len == 0
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Checks that the file is as it was when opened: the same size and times on the open
    /// handle, the same file at the path. Call it after reading.
    pub fn check_unchanged(&self) -> io::Result<()> {
        let now = Identity::of(&self.file.metadata()?);
        let changed = |change| Err(FileProblem::Changed { change }.into());
        match fs::metadata(&self.path) {
            Ok(m) if Identity::of(&m).same_file(&self.before) => {}
            _ => return changed(Change::Replaced),
        }
        if now.len != self.before.len {
            return changed(Change::Size);
        }
        if now.mtime != self.before.mtime || now.ctime != self.before.ctime {
            return changed(Change::Modified);
        }
        Ok(())
    }

    /// Ends a complete reading: the bytes read must be the size the file had when it was
    /// opened, and [`InputFile::check_unchanged`] must hold.
    pub fn finish(self) -> io::Result<()> {
        self.check_unchanged()?;
        if self.read != self.before.len {
            return Err(FileProblem::Changed { change: Change::Length }.into());
        }
        Ok(())
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads a whole regular file, refusing files larger than `limit` bytes (an attacker-supplied
/// certificate, CRL or signature file must not exhaust memory), anything but a regular file,
/// and a file that changed while it was read (see [`InputFile`]).
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut f = InputFile::open(path)?;
    if f.len() > limit {
        return Err(FileProblem::TooLarge { limit }.into());
    }
    let mut buf = Vec::with_capacity(usize::try_from(f.len()).unwrap_or(0));
    let n = (&mut f).take(limit + 1).read_to_end(&mut buf)?;
    if n as u64 > limit {
        return Err(FileProblem::TooLarge { limit }.into());
    }
    f.finish()?;
    Ok(buf)
}

/// How often [`read_first_line`] looks again at a pipe that has a writer but no data yet.
const PIPE_POLL: Duration = Duration::from_millis(10);

/// Reads the first line of `path` (without its `\n` or `\r\n`), reading at most `limit` bytes:
/// for a passphrase file, where only the first line counts. A regular file or a pipe (`--pass-file
/// <(…)`, a FIFO) is accepted; a pipe whose writer sends nothing is given up after `wait`
/// ([`FileProblem::NothingArrived`]), a FIFO with no writer reads as empty, and an endless
/// source (`/dev/zero`) fails with [`FileProblem::LineTooLong`] after `limit` bytes. A folder is
/// refused. The bytes are wiped from memory when the result is dropped.
pub fn read_first_line(path: &Path, limit: usize, wait: Duration) -> io::Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut f = open_nonblocking(path)?;
    if f.metadata()?.is_dir() {
        return Err(FileProblem::NotRegular { kind: FileKind::Directory }.into());
    }
    let mut buf = zeroize::Zeroizing::new(vec![0u8; limit.saturating_add(1)]);
    let mut have = 0usize;
    let started = Instant::now();
    loop {
        if buf.get(..have).is_some_and(|b| b.contains(&b'\n')) {
            break;
        }
        let Some(space) = buf.get_mut(have..) else { break };
        if space.is_empty() {
            break;
        }
        match f.read(space) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if started.elapsed() >= wait {
                    return Err(FileProblem::NothingArrived { waited: wait }.into());
                }
                std::thread::sleep(PIPE_POLL);
            }
            Err(e) => return Err(e),
        }
    }
    let data = buf.get(..have).unwrap_or_default();
    let line = match data.iter().position(|&b| b == b'\n') {
        Some(i) => data.get(..i).unwrap_or_default(),
        None if have > limit => return Err(FileProblem::LineTooLong { limit }.into()),
        None => data,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > limit {
        return Err(FileProblem::LineTooLong { limit }.into());
    }
    Ok(zeroize::Zeroizing::new(line.to_vec()))
}

// ---------------------------------------------------------------------------------------------
// Advisory locks

#[cfg(unix)]
fn try_flock(f: &fs::File) -> io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(f, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_flock(_f: &fs::File) -> io::Result<bool> {
    Ok(true)
}

/// How often a waiting [`lock_target`] tries again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// Size bound of a lock file's journal (a few paths and hashes).
pub const MAX_JOURNAL: u64 = 64 * 1024;

/// The lock file of `target`: `.<name>.kyso-lock` in the same folder.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(target).join(format!(".{name}{LOCK_SUFFIX}"))
}

/// An advisory lock on a target file (see [`lock_target`]); released, and its lock file
/// removed, when dropped.
#[derive(Debug)]
pub struct TargetLock {
    file: fs::File,
    path: PathBuf,
}

/// Takes the advisory lock of `target` (an exclusive `flock` on its lock file
/// [`lock_path`]), waiting at most `wait` for another holder ([`FileProblem::Locked`] after
/// that). Every kyso run that reads, changes and replaces a file takes this lock first and
/// re-reads the file after it holds it. The lock is on the lock file, not on the target, so
/// that the target can be replaced by a rename while the lock is held.
///
/// A lock file left by a killed holder is simply locked again (its lock died with its
/// holder). On release the holder removes the lock file; a waiter that then gets the lock of
/// the removed file notices (the path no longer leads to the file it locked) and starts again.
pub fn lock_target(target: &Path, wait: Duration) -> io::Result<TargetLock> {
    let path = lock_path(target);
    let started = Instant::now();
    loop {
        let file = {
            let mut o = fs::OpenOptions::new();
            o.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            o.open(&path)?
        };
        let mut locked = try_flock(&file)?;
        while !locked && started.elapsed() < wait {
            std::thread::sleep(LOCK_POLL);
            locked = try_flock(&file)?;
        }
        if !locked {
            return Err(FileProblem::Locked { lock: path, waited: wait }.into());
        }
        // The holder before us may have removed the lock file after we opened it.
        let mine = Identity::of(&file.metadata()?);
        match fs::symlink_metadata(&path) {
            Ok(m) if Identity::of(&m).same_file(&mine) => return Ok(TargetLock { file, path }),
            _ => continue,
        }
    }
}

impl TargetLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a previous holder wrote with [`TargetLock::write_journal`] and did not clear
    /// (it was killed): empty normally.
    pub fn journal(&self) -> io::Result<Vec<u8>> {
        use std::io::Seek;
        let mut f = &self.file;
        f.seek(io::SeekFrom::Start(0))?;
        let mut buf = Vec::new();
        f.take(MAX_JOURNAL).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// Replaces the journal with `bytes`, durably (fsync) — what the next holder must know if
    /// this one is killed. An empty journal clears it.
    pub fn write_journal(&self, bytes: &[u8]) -> io::Result<()> {
        use std::io::Seek;
        let mut f = &self.file;
        f.set_len(0)?;
        f.seek(io::SeekFrom::Start(0))?;
        f.write_all(bytes)?;
        f.sync_all()
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        // Remove the lock file while holding the lock, if the path still leads to it.
        if let (Ok(mine), Ok(there)) = (self.file.metadata(), fs::symlink_metadata(&self.path)) {
            if Identity::of(&mine).same_file(&Identity::of(&there)) {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Temporary files and their owners

/// The owner of this process's temporary files in one folder: a locked `.kyso-own-<id>`.
#[derive(Debug)]
struct Owner {
    id: String,
    path: PathBuf,
    file: fs::File,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let (Ok(mine), Ok(there)) = (self.file.metadata(), fs::symlink_metadata(&self.path)) {
            if Identity::of(&mine).same_file(&Identity::of(&there)) {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// The live owners of this process, by folder (dropped, and their files removed, when their
/// last temporary file is gone).
static OWNERS: Mutex<Vec<(PathBuf, Weak<Owner>)>> = Mutex::new(Vec::new());

fn random_id(n: usize) -> io::Result<String> {
    use ring::rand::SecureRandom;
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| io::Error::other("no random numbers"))?;
    Ok(bytes.iter().map(|b| char::from(ALNUM.get(usize::from(*b) % ALNUM.len()).copied().unwrap_or(b'x'))).collect())
}

/// This process's owner of temporaries in `dir`, created (locked, then given its name) on
/// first use.
fn owner_for(dir: &Path) -> io::Result<Arc<Owner>> {
    let mut owners = OWNERS.lock().map_err(|_| io::Error::other("the owner table is poisoned"))?;
    owners.retain(|(_, w)| w.strong_count() > 0);
    if let Some(o) = owners.iter().find(|(d, _)| d == dir).and_then(|(_, w)| w.upgrade()) {
        return Ok(o);
    }
    let mut last = io::Error::other("cannot create an owner file");
    for _ in 0..4 {
        // Locked under a temporary name first, so that no cleaner ever sees the owner file
        // unlocked while its owner lives.
        let new = tempfile::Builder::new().prefix(OWNER_NEW_PREFIX).rand_bytes(TEMP_RANDOM_CHARS).tempfile_in(dir)?;
        if !try_flock(new.as_file())? {
            last = io::Error::other("a fresh owner file was locked by someone else");
            continue;
        }
        let id = random_id(OWNER_ID_CHARS)?;
        let path = dir.join(format!("{OWNER_PREFIX}{id}"));
        match new.persist_noclobber(&path) {
            Ok(file) => {
                let o = Arc::new(Owner { id, path, file });
                owners.push((dir.to_path_buf(), Arc::downgrade(&o)));
                return Ok(o);
            }
            Err(e) => last = e.error,
        }
    }
    Err(last)
}

/// The temporary-file builder: kyso's name pattern for `owner`, and the final mode from
/// creation on.
fn temp_builder(prefix: &str, secrecy: Secrecy) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix("").rand_bytes(TEMP_RANDOM_CHARS);
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

/// A temporary file of this process in `dir`, named after its owner, with the owner kept
/// alive as long as the file is.
fn owned_tempfile(dir: &Path, secrecy: Secrecy) -> io::Result<(tempfile::NamedTempFile, Arc<Owner>)> {
    let owner = owner_for(dir)?;
    let prefix = format!("{TEMP_PREFIX}{}-", owner.id);
    let tmp = temp_builder(&prefix, secrecy).tempfile_in(dir)?;
    Ok((tmp, owner))
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
    let (mut tmp, owner) = owned_tempfile(dir, secrecy)?;
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
    drop(owner);
    sync_dir(dir);
    Ok(())
}

/// Best-effort fsync of a directory so that a rename survives a power cut.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
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
    _owner: Arc<Owner>,
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
    let (mut tmp, owner) = owned_tempfile(parent_dir(path), secrecy)?;
    tmp.as_file_mut().write_all(bytes)?;
    Ok(Staged { tmp: tmp.into_temp_path(), path: path.to_path_buf(), overwrite, _owner: owner })
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

// ---------------------------------------------------------------------------------------------
// Files that appear together

/// A file written and synced but not yet visible under its name (see [`prepare`]).
#[derive(Debug)]
pub struct Pending {
    dest: PathBuf,
    secrecy: Secrecy,
    inner: PendingFile,
}

#[derive(Debug)]
enum PendingFile {
    /// An unnamed file (Linux `O_TMPFILE`): it disappears with the process.
    #[cfg(target_os = "linux")]
    Unnamed(fs::File),
    /// A named temporary of this process (where `O_TMPFILE` is not available).
    Named(tempfile::TempPath, Arc<Owner>),
}

/// Writes `bytes` for `dest` into a file that is complete and on disk but has no name yet:
/// on Linux an `O_TMPFILE` in `dest`'s folder, which vanishes if the process is killed before
/// [`Pending::publish`] (so a secret never lingers in a temporary file); elsewhere a
/// temporary file of this process (removed by [`remove_stale_temporaries`] if it is killed).
pub fn prepare(dest: &Path, bytes: &[u8], secrecy: Secrecy) -> io::Result<Pending> {
    let dir = parent_dir(dest);
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{Mode, OFlags, CWD};
        let mode = match secrecy {
            Secrecy::Secret => Mode::from_raw_mode(0o600),
            Secrecy::Public => Mode::from_raw_mode(0o644),
        };
        match rustix::fs::openat(CWD, dir, OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC, mode) {
            Ok(fd) => {
                let mut file = fs::File::from(fd);
                file.write_all(bytes)?;
                file.sync_all()?;
                return Ok(Pending { dest: dest.to_path_buf(), secrecy, inner: PendingFile::Unnamed(file) });
            }
            // Filesystems without O_TMPFILE: a named temporary below.
            Err(e) if e == rustix::io::Errno::OPNOTSUPP || e == rustix::io::Errno::ISDIR || e == rustix::io::Errno::INVAL => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (mut tmp, owner) = owned_tempfile(dir, secrecy)?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file_mut().sync_all()?;
    Ok(Pending { dest: dest.to_path_buf(), secrecy, inner: PendingFile::Named(tmp.into_temp_path(), owner) })
}

impl Pending {
    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Gives the file its name: with [`Overwrite::Refuse`] atomically only if the name is free
    /// (`AlreadyExists` otherwise), with [`Overwrite::Replace`] replacing what is there. The
    /// folder is fsynced.
    pub fn publish(self, overwrite: Overwrite) -> io::Result<()> {
        let dir = parent_dir(&self.dest).to_path_buf();
        match self.inner {
            #[cfg(target_os = "linux")]
            PendingFile::Unnamed(file) => match overwrite {
                Overwrite::Refuse => link_unnamed(&file, &self.dest)?,
                Overwrite::Replace => {
                    // Linked under a temporary name of this process, then renamed over.
                    let owner = owner_for(&dir)?;
                    let tmp = dir.join(format!("{TEMP_PREFIX}{}-{}", owner.id, random_id(TEMP_RANDOM_CHARS)?));
                    link_unnamed(&file, &tmp)?;
                    if let Err(e) = fs::rename(&tmp, &self.dest) {
                        let _ = fs::remove_file(&tmp);
                        return Err(e);
                    }
                    drop(owner);
                }
            },
            PendingFile::Named(tmp, owner) => {
                match overwrite {
                    Overwrite::Refuse => tmp.persist_noclobber(&self.dest).map_err(|e| e.error)?,
                    Overwrite::Replace => tmp.persist(&self.dest).map_err(|e| e.error)?,
                }
                drop(owner);
            }
        }
        let _ = self.secrecy;
        fsync_dir(&dir)
    }
}

/// Links an `O_TMPFILE` to `dest` (fails with `AlreadyExists` if `dest` exists), through
/// `/proc/self/fd` (no privilege needed), else `AT_EMPTY_PATH` (needs CAP_DAC_READ_SEARCH).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &fs::File, dest: &Path) -> io::Result<()> {
    use rustix::fs::{linkat, AtFlags, CWD};
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(CWD, proc_path.as_str(), CWD, dest, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::EXIST => Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} already exists", dest.display()))),
        Err(e) if e == rustix::io::Errno::NOENT && !Path::new("/proc/self/fd").is_dir() => {
            linkat(file, "", CWD, dest, AtFlags::EMPTY_PATH).map_err(|e| {
                if e == rustix::io::Errno::EXIST {
                    io::Error::new(io::ErrorKind::AlreadyExists, format!("{} already exists", dest.display()))
                } else {
                    e.into()
                }
            })
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/// True for a file name of kyso's temporary-file pattern: [`TEMP_PREFIX`], then an owner id
/// of [`OWNER_ID_CHARS`] ASCII letters or digits, `-` and six more; or (files of earlier kyso
/// versions) [`TEMP_PREFIX`] followed by exactly six ASCII letters or digits.
pub fn is_temporary_name(name: &str) -> bool {
    temporary_owner(name).is_some() || is_legacy_temporary(name)
}

fn alnum(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The owner id of a temporary file name of the current pattern.
fn temporary_owner(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (owner, random) = rest.split_once('-')?;
    (alnum(owner, OWNER_ID_CHARS) && alnum(random, TEMP_RANDOM_CHARS)).then_some(owner)
}

fn is_legacy_temporary(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX).is_some_and(|rest| alnum(rest, TEMP_RANDOM_CHARS))
}

/// Age after which a temporary file of the older pattern (without an owner) is taken as left by
/// an interrupted run: such files lived for the time of one write or one batch chunk (seconds);
/// an hour leaves a wide margin for a kyso of an earlier version still running on a slow disk.
pub const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(3600);

/// Limit on directory entries examined by [`remove_stale_temporaries`]: it runs before every
/// batch, and a folder of documents can be large; 100,000 entries bound the time of the scan
/// (a few tens of ms) while covering any real output folder.
pub const MAX_SCANNED_ENTRIES: usize = 100_000;

/// Whether the owner `id` in `dir` is gone: no owner file, or one whose lock can be taken
/// (then it is returned, locked, to be removed after the owner's temporaries). `None` when it
/// is alive or cannot be told.
fn dead_owner(dir: &Path, id: &str) -> Option<Option<(fs::File, PathBuf)>> {
    let path = dir.join(format!("{OWNER_PREFIX}{id}"));
    match fs::File::open(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Some(None),
        Err(_) => None,
        Ok(f) => match try_flock(&f) {
            Ok(true) => Some(Some((f, path))),
            _ => None,
        },
    }
}

/// Removes what interrupted kyso runs (SIGKILL, power cut) left in `dir`, and nothing else:
///
/// - temporary files whose owner is gone (see the [module docs](self)): at once, whatever
///   their age; the temporaries of a kyso still running are kept;
/// - the owner files of dead owners, and owner files that were being created;
/// - lock files ([`lock_path`]) that nobody holds and that carry no journal;
/// - temporary files of the older pattern without an owner (earlier kyso versions), once they
///   were last modified more than `older_than` before `now`.
///
/// Only regular files (not symlinks, not folders) are removed. The caller gives `now` (the
/// library does not read the clock). Returns the number of temporary files removed; files that
/// cannot be examined or removed are skipped.
pub fn remove_stale_temporaries(dir: &Path, older_than: Duration, now: SystemTime) -> io::Result<usize> {
    let cutoff = now.checked_sub(older_than);
    let mut removed = 0;
    let mut owners: BTreeMap<String, Option<Option<(fs::File, PathBuf)>>> = BTreeMap::new();
    let mut temps: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)?.take(MAX_SCANNED_ENTRIES) {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file {
            continue;
        }
        let path = entry.path();
        if let Some(owner) = temporary_owner(name) {
            temps.push((owner.to_string(), path));
        } else if let Some(id) = name.strip_prefix(OWNER_PREFIX) {
            if alnum(id, OWNER_ID_CHARS) {
                owners.entry(id.to_string()).or_insert_with(|| dead_owner(dir, id));
            }
        } else if name.strip_prefix(OWNER_NEW_PREFIX).is_some_and(|r| alnum(r, TEMP_RANDOM_CHARS)) {
            // An owner file not yet named: removed when nobody holds it.
            if let Ok(f) = fs::File::open(&path) {
                if try_flock(&f).unwrap_or(false) {
                    let _ = fs::remove_file(&path);
                }
            }
        } else if name.starts_with('.') && name.ends_with(LOCK_SUFFIX) {
            remove_idle_lock(&path);
        } else if is_legacy_temporary(name) {
            let old = match (cutoff, entry.metadata().and_then(|m| m.modified())) {
                (Some(c), Ok(m)) => m < c,
                _ => false,
            };
            if old && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    for (owner, path) in temps {
        let dead = owners.entry(owner.clone()).or_insert_with(|| dead_owner(dir, &owner));
        if dead.is_some() && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    // The dead owners' files last, while their locks are held.
    for (file, path) in owners.into_values().flatten().flatten() {
        if let (Ok(mine), Ok(there)) = (file.metadata(), fs::symlink_metadata(&path)) {
            if Identity::of(&mine).same_file(&Identity::of(&there)) {
                let _ = fs::remove_file(&path);
            }
        }
    }
    Ok(removed)
}

/// Removes a lock file that nobody holds and that carries no journal.
fn remove_idle_lock(path: &Path) {
    let Ok(f) = fs::File::open(path) else { return };
    if !try_flock(&f).unwrap_or(false) {
        return;
    }
    let (Ok(mine), Ok(there)) = (f.metadata(), fs::symlink_metadata(path)) else { return };
    if Identity::of(&mine).same_file(&Identity::of(&there)) && mine.len() == 0 {
        let _ = fs::remove_file(path);
    }
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
        assert!(is_temporary_name(".kyso-tmp-a1B2c3"), "the pattern of earlier versions");
        assert!(is_temporary_name(".kyso-tmp-Ab12Cd34-a1B2c3"));
        for n in [
            ".kyso-tmp-",
            ".kyso-tmp-abc",
            ".kyso-tmp-abcdefg",
            ".kyso-tmp-abc.de",
            "kyso-tmp-abcdef",
            ".kyso-tmp-abcdé",
            "x.kyso-tmp-abcdef",
            ".kyso-tmp-Ab12Cd3-a1B2c3",
            ".kyso-tmp-Ab12Cd34-a1B2c",
            ".kyso-tmp-Ab12Cd34_a1B2c3",
        ] {
            assert!(!is_temporary_name(n), "{n}");
        }
        // the names write_atomic and stage really create match the pattern, with an owner
        // file beside them that lives as long as they do
        let d = tempfile::tempdir().unwrap();
        let s = stage(&d.path().join("a"), b"A", Overwrite::Refuse, Secrecy::Public).unwrap();
        let n = names(d.path());
        assert_eq!(n.len(), 2, "{n:?}");
        let own = n.iter().find(|x| x.starts_with(OWNER_PREFIX)).unwrap();
        let tmp = n.iter().find(|x| is_temporary_name(x)).unwrap();
        assert_eq!(temporary_owner(tmp), own.strip_prefix(OWNER_PREFIX));
        drop(s);
        assert!(names(d.path()).is_empty(), "the owner file goes with its last temporary");
    }

    /// Makes the files a killed kyso leaves: an owner file nobody locks, its temporaries.
    fn leave_dead_owner(dir: &Path, id: &str, temps: &[&str]) {
        fs::write(dir.join(format!("{OWNER_PREFIX}{id}")), b"").unwrap();
        for t in temps {
            fs::write(dir.join(format!("{TEMP_PREFIX}{id}-{t}")), b"half a signature").unwrap();
        }
    }

    #[test]
    fn temporaries_of_dead_owners_go_at_once_those_of_live_ones_stay() {
        let d = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        leave_dead_owner(d.path(), "DeAd0001", &["aaaaaa", "bbbbbb"]);
        // a temporary whose owner file is gone too
        fs::write(d.path().join(format!("{TEMP_PREFIX}GoNe0002-cccccc")), b"x").unwrap();
        // a live owner: this process, with a staged file
        let live = stage(&d.path().join("live.p7s"), b"L", Overwrite::Refuse, Secrecy::Public).unwrap();
        // a lock file nobody holds (removed) and one with a journal (kept for recovery)
        fs::write(d.path().join(".x.pem.kyso-lock"), b"").unwrap();
        fs::write(d.path().join(".y.pem.kyso-lock"), b"{\"journal\":1}").unwrap();
        // a held lock is kept
        let held = lock_target(&d.path().join("z.pem"), Duration::ZERO).unwrap();
        fs::write(d.path().join("doc.pdf.p7s"), b"sig").unwrap();
        assert_eq!(remove_stale_temporaries(d.path(), hour, now).unwrap(), 3);
        let left = names(d.path());
        assert!(left.contains(&"doc.pdf.p7s".to_string()));
        assert!(left.contains(&".y.pem.kyso-lock".to_string()));
        assert!(left.contains(&".z.pem.kyso-lock".to_string()));
        assert!(!left.iter().any(|n| n.contains("DeAd0001") || n.contains("GoNe0002") || n == ".x.pem.kyso-lock"), "{left:?}");
        assert_eq!(left.iter().filter(|n| is_temporary_name(n)).count(), 1, "the live temporary stays: {left:?}");
        assert_eq!(left.iter().filter(|n| n.starts_with(OWNER_PREFIX)).count(), 1, "{left:?}");
        let r = commit(vec![live]);
        assert!(r[0].is_ok());
        drop(held);
        assert_eq!(names(d.path()), [".y.pem.kyso-lock", "doc.pdf.p7s", "live.p7s"]);
    }

    #[test]
    fn only_old_temporaries_of_the_earlier_pattern_are_removed() {
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
        make(".kyso-tmp-new001", Duration::from_secs(60)); // perhaps a running kyso's: kept
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
    fn a_target_lock_excludes_a_second_holder_until_released() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("doc.pdf.p7s");
        let first = lock_target(&target, Duration::ZERO).unwrap();
        assert_eq!(first.path(), d.path().join(".doc.pdf.p7s.kyso-lock"));
        let e = lock_target(&target, Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(matches!(problem(&e), Some(FileProblem::Locked { .. })), "{e}");
        // a waiter gets it once the first lets go (and the first's lock file was removed)
        let t = std::thread::spawn({
            let target = target.clone();
            move || {
                let l = lock_target(&target, Duration::from_secs(10)).unwrap();
                l.journal().unwrap()
            }
        });
        std::thread::sleep(Duration::from_millis(100));
        first.write_journal(b"").unwrap();
        drop(first);
        assert_eq!(t.join().unwrap(), b"");
        assert!(names(d.path()).is_empty(), "no lock file left: {:?}", names(d.path()));
        // a journal left by a killed holder is read by the next one
        fs::write(d.path().join(".doc.pdf.p7s.kyso-lock"), b"interrupted").unwrap();
        let l = lock_target(&target, Duration::ZERO).unwrap();
        assert_eq!(l.journal().unwrap(), b"interrupted");
        l.write_journal(b"mine").unwrap();
        assert_eq!(l.journal().unwrap(), b"mine");
    }

    #[test]
    fn prepared_files_have_no_name_until_published() {
        let d = tempfile::tempdir().unwrap();
        let key = d.path().join("unit.key");
        let cert = d.path().join("unit.pem");
        let pk = prepare(&key, b"KEY", Secrecy::Secret).unwrap();
        let pc = prepare(&cert, b"CERT", Secrecy::Public).unwrap();
        #[cfg(target_os = "linux")]
        assert!(names(d.path()).is_empty(), "O_TMPFILE: nothing visible: {:?}", names(d.path()));
        pc.publish(Overwrite::Refuse).unwrap();
        pk.publish(Overwrite::Refuse).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"KEY");
        assert_eq!(names(d.path()), ["unit.key", "unit.pem"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let e = prepare(&key, b"OTHER", Secrecy::Secret).unwrap().publish(Overwrite::Refuse).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        prepare(&key, b"NEW", Secrecy::Secret).unwrap().publish(Overwrite::Replace).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"NEW");
        assert_eq!(names(d.path()), ["unit.key", "unit.pem"]);
        // dropped unpublished: nothing left
        drop(prepare(&d.path().join("x"), b"X", Secrecy::Secret).unwrap());
        assert_eq!(names(d.path()), ["unit.key", "unit.pem"]);
    }

    #[cfg(unix)]
    fn mkfifo(p: &Path) {
        rustix::fs::mknodat(rustix::fs::CWD, p, rustix::fs::FileType::Fifo, rustix::fs::Mode::from_raw_mode(0o600), 0).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn non_regular_inputs_are_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        for (p, kind) in [(fifo.as_path(), FileKind::Fifo), (Path::new("/dev/zero"), FileKind::CharDevice), (d.path(), FileKind::Directory)] {
            let t = Instant::now();
            let e = read_limited(p, 1 << 20).unwrap_err();
            assert!(t.elapsed() < Duration::from_secs(1));
            assert_eq!(problem(&e), Some(&FileProblem::NotRegular { kind }), "{}: {e}", p.display());
            let e = InputFile::open(p).unwrap_err();
            assert_eq!(problem(&e), Some(&FileProblem::NotRegular { kind }));
        }
    }

    #[test]
    fn a_file_changed_while_read_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("doc.txt");
        fs::write(&p, b"version 1").unwrap();
        // appended during the reading
        let mut f = InputFile::open(&p).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(b" and more").unwrap();
        assert_eq!(problem(&f.finish().unwrap_err()), Some(&FileProblem::Changed { change: Change::Size }));
        // rewritten in place with the same size
        let mut f = InputFile::open(&p).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&p, b"VERSION 1 and more").unwrap();
        assert_eq!(problem(&f.finish().unwrap_err()), Some(&FileProblem::Changed { change: Change::Modified }));
        // replaced by a rename
        let mut f = InputFile::open(&p).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        write_atomic(&p, b"VERSION 1 and more", Overwrite::Replace, Secrecy::Public).unwrap();
        assert_eq!(problem(&f.finish().unwrap_err()), Some(&FileProblem::Changed { change: Change::Replaced }));
        // read partly: not a complete reading
        let mut f = InputFile::open(&p).unwrap();
        let mut one = [0u8; 1];
        f.read_exact(&mut one).unwrap();
        assert_eq!(problem(&f.finish().unwrap_err()), Some(&FileProblem::Changed { change: Change::Length }));
        // untouched: fine
        let mut f = InputFile::open(&p).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        f.finish().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn first_lines_are_read_with_a_bound() {
        let d = tempfile::tempdir().unwrap();
        let wait = Duration::from_millis(300);
        let p = d.path().join("pass.txt");
        fs::write(&p, b"m\xe1\xba\xadt-kh\xe1\xba\xa9u\r\nsecond line\n").unwrap();
        assert_eq!(&*read_first_line(&p, 4096, wait).unwrap(), "mật-khẩu".as_bytes());
        fs::write(&p, b"no newline").unwrap();
        assert_eq!(&*read_first_line(&p, 4096, wait).unwrap(), b"no newline");
        fs::write(&p, vec![b'a'; 5000]).unwrap();
        assert_eq!(problem(&read_first_line(&p, 4096, wait).unwrap_err()), Some(&FileProblem::LineTooLong { limit: 4096 }));
        // endless: bounded, and quick
        let t = Instant::now();
        assert_eq!(problem(&read_first_line(Path::new("/dev/zero"), 4096, wait).unwrap_err()), Some(&FileProblem::LineTooLong { limit: 4096 }));
        assert!(t.elapsed() < Duration::from_secs(1));
        // a FIFO without a writer reads as empty, at once
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let t = Instant::now();
        assert_eq!(&*read_first_line(&fifo, 4096, wait).unwrap(), b"");
        assert!(t.elapsed() < Duration::from_secs(1));
        // a FIFO whose writer sends nothing: given up after `wait`
        let w = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let f = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
                std::thread::sleep(Duration::from_millis(800));
                drop(f);
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        // the writer's open blocks until a reader comes: ours
        let t = Instant::now();
        let r = read_first_line(&fifo, 4096, wait);
        let e = r.unwrap_err();
        assert!(matches!(problem(&e), Some(FileProblem::NothingArrived { .. }) ), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1));
        w.join().unwrap();
        assert!(matches!(problem(&read_first_line(d.path(), 4096, wait).unwrap_err()), Some(FileProblem::NotRegular { .. })));
    }

    #[test]
    fn read_limited_refuses_large() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        fs::write(&p, vec![0u8; 100]).unwrap();
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
        let e = read_limited(&p, 99).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(problem(&e), Some(&FileProblem::TooLarge { limit: 99 }));
    }
}
