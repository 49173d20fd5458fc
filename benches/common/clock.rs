//! A criterion measurement that counts the CPU time of the whole process
//! (`CLOCK_PROCESS_CPUTIME_ID`) instead of wall time.
//!
//! Why: the benchmark machine has 2 cores shared with other engineers' builds and tests (load
//! averages of 10–20 were seen), so wall time mostly measures the scheduler. CPU time counts
//! what the code itself consumed and stays stable under contention (caches and frequency still
//! vary, so keep the noise in mind). It covers all threads of the process, so work handed to
//! rayon's pool is counted too. `KYSO_BENCH_CLOCK=wall` switches back to wall time on a quiet
//! machine.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use std::time::{Duration, Instant};

/// Process CPU time, or wall time with `KYSO_BENCH_CLOCK=wall`.
pub struct Clock {
    wall: bool,
    origin: Instant,
}

impl Clock {
    /// Reads `KYSO_BENCH_CLOCK` once.
    pub fn from_env() -> Clock {
        let wall = std::env::var("KYSO_BENCH_CLOCK").is_ok_and(|v| v == "wall");
        eprintln!("benchmark clock: {}", if wall { "wall time" } else { "process CPU time (KYSO_BENCH_CLOCK=wall for wall time)" });
        Clock { wall, origin: Instant::now() }
    }

    fn read(&self) -> Duration {
        if self.wall {
            return self.origin.elapsed();
        }
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec into the valid pointer given.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

impl Measurement for Clock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.read()
    }
    fn end(&self, start: Duration) -> Duration {
        self.read().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as with wall time: reuse criterion's formatter.
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}
