//! Waits that end when they are due.
//!
//! Tokio's timer advances on a 1 ms tick and rounds every deadline up to it, so a 5 ms sleep takes
//! 6 to 7 ms on a loaded machine: added latency 25% longer than asked for skews every benchmark
//! run against the test kit. [`sleep`] races tokio's timer against one thread that waits on a
//! condition variable for the earliest due time (the kernel's high-resolution timers, late by
//! tens of microseconds). On a running clock the thread wins; on tokio's paused clock (tests with
//! `start_paused`) tokio's timer wins at once, so the wait still costs no real time and the
//! virtual clock moves by exactly the duration.
//!
//! [`Clock`] is the test kit's time of day for expiry, on tokio's clock for the same reason:
//! paused tests move it without waiting.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

/// The test kit's time of day: the wall clock read when the server starts, moved on by tokio's
/// clock since. Access tokens, device codes and signed URLs expire by it, so a test with
/// `start_paused` expires them with `tokio::time::advance` instead of a real wait; on a running
/// clock it is the wall clock. Each server reads its own start, inside its own runtime, so
/// paused clocks of other tests in the process do not move it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    wall: Duration,
    at: tokio::time::Instant,
}

impl Clock {
    /// Starts the clock at the wall clock's time of day and tokio's instant now.
    pub(crate) fn start() -> Self {
        Clock {
            wall: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            at: tokio::time::Instant::now(),
        }
    }

    /// Seconds since the Unix epoch.
    pub(crate) fn unix_now(&self) -> u64 {
        let since = tokio::time::Instant::now().saturating_duration_since(self.at);
        (self.wall + since).as_secs()
    }
}

/// Waits `duration`: on a running clock within a fraction of a millisecond of it, never less.
pub(crate) async fn sleep(duration: Duration) {
    let coarse = tokio::time::sleep(duration);
    let Some(fine) = Timer::shared().map(|t| t.wake_at(Instant::now() + duration)) else {
        return coarse.await;
    };
    let fine = async {
        // A dropped sender means the timer thread is gone: tokio's timer decides alone.
        if fine.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = coarse => {}
        () = fine => {}
    }
}

/// The waiters, and the condition the timer thread waits on for an earlier one.
struct Timer {
    due: Mutex<Due>,
    earlier: Condvar,
}

/// Waiters by due time, ties in arrival order.
#[derive(Default)]
struct Due {
    arrivals: u64,
    waiters: BTreeMap<(Instant, u64), oneshot::Sender<()>>,
}

impl Timer {
    /// The process's timer, its thread started on first use; `None` if no thread could start.
    fn shared() -> Option<&'static Timer> {
        static SHARED: OnceLock<Option<&'static Timer>> = OnceLock::new();
        *SHARED.get_or_init(|| {
            let timer: &'static Timer = Box::leak(Box::new(Timer {
                due: Mutex::default(),
                earlier: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("flyte-testkit-timer".into())
                .spawn(move || timer.run())
                .ok()
                .map(|_| timer)
        })
    }

    fn lock(&self) -> MutexGuard<'_, Due> {
        self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A receiver that completes at `deadline` (or later, never before).
    fn wake_at(&self, deadline: Instant) -> oneshot::Receiver<()> {
        let (wake, woken) = oneshot::channel();
        let mut due = self.lock();
        due.arrivals += 1;
        let arrival = due.arrivals;
        let first = due
            .waiters
            .keys()
            .next()
            .is_none_or(|&(at, _)| deadline < at);
        due.waiters.insert((deadline, arrival), wake);
        drop(due);
        if first {
            self.earlier.notify_one();
        }
        woken
    }

    fn run(&self) {
        let mut due = self.lock();
        loop {
            let now = Instant::now();
            while let Some(entry) = due.waiters.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                // The waiter may have given up (tokio's timer won): nothing to wake then.
                let _ = entry.remove().send(());
            }
            due = match due.waiters.keys().next() {
                Some(&(at, _)) => {
                    let wait = at.saturating_duration_since(now);
                    self.earlier
                        .wait_timeout(due, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .earlier
                    .wait(due)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The one test on the real clock: what it checks is the running-clock path (the timer
    // thread), which a paused clock skips. It asserts only that no wait ends early, which a loaded
    // machine cannot make fail, and waits 30 ms at most.
    #[tokio::test]
    async fn no_wait_ends_early() {
        let start = Instant::now();
        let waits = [30, 5, 20, 5, 0, 12, 1].map(Duration::from_millis);
        let ends = futures::future::join_all(waits.iter().map(|&wait| async move {
            sleep(wait).await;
            Instant::now()
        }))
        .await;
        for (wait, end) in waits.iter().zip(&ends) {
            assert!(end.duration_since(start) >= *wait, "woke before {wait:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_clock_moves_by_the_wait_and_no_real_time_passes() {
        let (virtual_start, real_start) = (tokio::time::Instant::now(), Instant::now());
        sleep(Duration::from_secs(30)).await;
        assert!(virtual_start.elapsed() >= Duration::from_secs(30));
        assert!(real_start.elapsed() < Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn the_time_of_day_follows_a_paused_clock() {
        let clock = Clock::start();
        let before = clock.unix_now();
        tokio::time::advance(Duration::from_secs(3600)).await;
        let after = clock.unix_now();
        assert!(
            (3600..=3601).contains(&(after - before)),
            "{before} {after}"
        );
    }
}
