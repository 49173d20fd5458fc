//! Crash points counted in events, not in time (issue 23): a command runs under ptrace and is
//! killed with SIGKILL at the entry of its k-th *mutating* system call — one that can change the
//! file system (a write, fsync, rename, unlink, link, truncate, chmod, mkdir, or an open that may
//! create or write). Killed there, every earlier mutation has happened and this one has not: the
//! states a SIGKILL can leave on disk are exactly "before mutating call k" for k = 1, 2, …, so
//! a test can reach each of them on any machine, loaded or not, and count what it reached.
//!
//! Linux only (ptrace, PTRACE_GET_SYSCALL_INFO: Linux 5.3). The main thread of the command is
//! traced; kyso's CA commands do their file work there (a thread-spawning command would need
//! PTRACE_O_TRACECLONE). Used by tests/it/robust_crash.rs.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// One system call entry of the traced command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syscall {
    pub nr: i64,
    pub args: [u64; 6],
}

impl Syscall {
    /// Can this call change the file system?
    pub fn mutates(&self) -> bool {
        let writes_flags = |flags: u64| flags as i32 & (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) != 0;
        match self.nr {
            libc::SYS_openat => writes_flags(self.args[2]),
            libc::SYS_openat2 => true, // flags behind a pointer: counted
            #[cfg(target_arch = "x86_64")]
            libc::SYS_open => writes_flags(self.args[1]),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_creat | libc::SYS_rename | libc::SYS_unlink | libc::SYS_rmdir | libc::SYS_link | libc::SYS_symlink | libc::SYS_mkdir | libc::SYS_chmod => true,
            libc::SYS_write
            | libc::SYS_pwrite64
            | libc::SYS_writev
            | libc::SYS_pwritev
            | libc::SYS_pwritev2
            | libc::SYS_fsync
            | libc::SYS_fdatasync
            | libc::SYS_sync_file_range
            | libc::SYS_renameat
            | libc::SYS_renameat2
            | libc::SYS_unlinkat
            | libc::SYS_linkat
            | libc::SYS_symlinkat
            | libc::SYS_mkdirat
            | libc::SYS_ftruncate
            | libc::SYS_truncate
            | libc::SYS_fallocate
            | libc::SYS_fchmod
            | libc::SYS_fchmodat => true,
            _ => false,
        }
    }

    /// A sleep (SQLite's busy handler waiting for a lock sleeps with these).
    pub fn sleeps(&self) -> bool {
        self.nr == libc::SYS_nanosleep || self.nr == libc::SYS_clock_nanosleep
    }
}

/// How a traced run ended.
#[derive(Debug)]
pub struct Traced {
    /// Some((k, call)): killed at the entry of its k-th mutating call (1-based), `call` the call
    /// the kill was decided on. None: it ran to its end.
    pub killed_at: Option<(usize, Syscall)>,
    /// Mutating calls entered (and, when killed, the one it was killed at).
    pub mutating: usize,
    /// Exit code when it ran to its end.
    pub code: Option<i32>,
    #[allow(dead_code)]
    pub stdout: String,
    pub stderr: String,
}

/// struct ptrace_syscall_info (linux/ptrace.h), with the union as its largest member.
#[repr(C)]
#[derive(Default)]
struct SyscallInfo {
    op: u8,
    pad: [u8; 3],
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    nr: u64,
    args: [u64; 6],
    ret_data: u32,
    pad2: u32,
}

const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;
const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;

/// Runs `cmd` under ptrace; at each mutating call's entry, `kill_at(k, &call)` (k = 1, 2, …)
/// decides whether to SIGKILL it there. Sleeps are offered too, with k = 0 (`kill_at` may stop
/// a command that waits for a lock). stdout and stderr are collected through files.
pub fn run(mut cmd: Command, mut kill_at: impl FnMut(usize, &Syscall) -> bool) -> Traced {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    cmd.stdin(Stdio::null()).stdout(std::fs::File::create(&out_path).unwrap()).stderr(std::fs::File::create(&err_path).unwrap());
    // SAFETY: between fork and exec only async-signal-safe calls: ptrace(PTRACE_TRACEME).
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, std::ptr::null_mut::<libc::c_void>(), std::ptr::null_mut::<libc::c_void>()) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn the traced command");
    let pid = child.id() as libc::pid_t;
    let mut killed_at = None;
    let mut mutating = 0usize;
    let mut code = None;
    let mut started = false;
    let mut status = 0;
    loop {
        // SAFETY: plain system calls on our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r == -1 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            panic!("waitpid: {e}");
        }
        if libc::WIFEXITED(status) {
            code = Some(libc::WEXITSTATUS(status));
            break;
        }
        if libc::WIFSIGNALED(status) {
            break;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let sig = libc::WSTOPSIG(status);
        let mut inject = 0;
        if !started && sig == libc::SIGTRAP {
            // the stop after execve: trace system calls from here on
            started = true;
            let opts = libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL;
            // SAFETY: as above.
            let r = unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, std::ptr::null_mut::<libc::c_void>(), opts as usize as *mut libc::c_void) };
            assert_eq!(r, 0, "PTRACE_SETOPTIONS: {}", std::io::Error::last_os_error());
        } else if sig == libc::SIGTRAP | 0x80 {
            let mut info = SyscallInfo::default();
            // SAFETY: the kernel writes at most size_of::<SyscallInfo>() bytes into `info`.
            let n = unsafe { libc::ptrace(PTRACE_GET_SYSCALL_INFO, pid, std::mem::size_of::<SyscallInfo>() as *mut libc::c_void, &mut info as *mut SyscallInfo as *mut libc::c_void) };
            assert!(n > 0, "PTRACE_GET_SYSCALL_INFO (Linux 5.3+): {}", std::io::Error::last_os_error());
            if info.op == PTRACE_SYSCALL_INFO_ENTRY && killed_at.is_none() {
                let call = Syscall { nr: info.nr as i64, args: info.args };
                let k = if call.mutates() {
                    mutating += 1;
                    Some(mutating)
                } else if call.sleeps() {
                    Some(0)
                } else {
                    None
                };
                if let Some(k) = k.filter(|&k| kill_at(k, &call)) {
                    // SAFETY: SIGKILL to our own stopped child; the call it stopped at never runs.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    killed_at = Some((k, call));
                }
            }
        } else if sig != libc::SIGSTOP && sig != libc::SIGTRAP {
            inject = sig; // a real signal: deliver it
        }
        // SAFETY: resume our own stopped child (fails harmlessly once it is dying).
        unsafe { libc::ptrace(libc::PTRACE_SYSCALL, pid, std::ptr::null_mut::<libc::c_void>(), inject as usize as *mut libc::c_void) };
    }
    assert!(started, "the traced command never reached execve");
    drop(child); // already reaped above
    Traced {
        killed_at,
        mutating,
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// The tracer kills exactly at the chosen mutating call: a shell writing three files, killed at
/// each of its mutating calls in turn, leaves exactly the files before that call.
#[test]
fn kills_land_on_the_chosen_mutating_call() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let script = "printf a > f1; printf b > f2; printf c > f3";
    let sh = || {
        let mut c = Command::new("sh");
        // (without an LD_PRELOAD library such as faketime's, whose start-up opens shared memory
        // read-write: three more mutating calls, outside the folder)
        c.args(["-c", script]).current_dir(d).env_remove("LD_PRELOAD");
        c
    };
    let full = run(sh(), |_, _| false);
    assert_eq!(full.code, Some(0), "{}", full.stderr);
    assert!(full.killed_at.is_none());
    // three files: an open that creates it and a write each
    assert_eq!(full.mutating, 6, "mutating calls of {script:?}");
    let mut seen = Vec::new();
    for k in 1..=full.mutating {
        for f in ["f1", "f2", "f3"] {
            let _ = std::fs::remove_file(d.join(f));
        }
        let r = run(sh(), |n, _| n == k);
        assert_eq!(r.killed_at.map(|(n, _)| n), Some(k));
        assert_eq!(r.code, None);
        let state: Vec<String> = ["f1", "f2", "f3"]
            .iter()
            .map(|f| std::fs::read_to_string(d.join(f)).map(|c| format!("{f}={c}")).unwrap_or_else(|_| format!("{f} absent")))
            .collect();
        seen.push(state.join(" "));
    }
    // Each kill point leaves the state just before its call: the file opened (created empty),
    // then written, one after the other.
    assert_eq!(
        seen,
        [
            "f1 absent f2 absent f3 absent",
            "f1= f2 absent f3 absent",
            "f1=a f2 absent f3 absent",
            "f1=a f2= f3 absent",
            "f1=a f2=b f3 absent",
            "f1=a f2=b f3=",
        ]
    );
}
