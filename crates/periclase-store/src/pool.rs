//! A small blocking connection pool shared by the SQLite and PostgreSQL stores: idle
//! connections are reused, at most `max` exist at once, and a caller beyond that waits for
//! one to come back rather than opening more (under load, opening one per request costs more
//! than the query).

use std::sync::{Condvar, Mutex};

#[derive(Debug)]
pub(crate) struct Pool<C> {
    state: Mutex<State<C>>,
    /// Signalled when a connection comes back.
    returned: Condvar,
    max: usize,
}

#[derive(Debug)]
struct State<C> {
    idle: Vec<C>,
    open: usize,
}

impl<C> Pool<C> {
    /// A pool of at most `max` connections, starting with `first` idle.
    pub(crate) fn new(max: usize, first: C) -> Pool<C> {
        Pool { state: Mutex::new(State { idle: vec![first], open: 1 }), returned: Condvar::new(), max: max.max(1) }
    }

    /// Runs `f` on a connection: an idle one, a new one from `connect` while fewer than `max`
    /// exist, or the next one returned. A connection `f` leaves unusable (`keep` says no) is
    /// closed instead of returned.
    pub(crate) fn with<T, E>(
        &self,
        connect: impl FnOnce() -> Result<C, E>,
        keep: impl FnOnce(&C) -> bool,
        f: impl FnOnce(&mut C) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.take(connect)?;
        let out = f(&mut conn);
        if keep(&conn) {
            self.release(conn);
        } else {
            drop(conn);
            self.lock().open -= 1;
            self.returned.notify_one();
        }
        out
    }

    /// Connections open now, idle or in use.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// Every idle connection (to change a setting on all of them).
    pub(crate) fn idle_mut(&mut self) -> &mut Vec<C> {
        &mut self.state.get_mut().unwrap_or_else(|e| e.into_inner()).idle
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take<E>(&self, connect: impl FnOnce() -> Result<C, E>) -> Result<C, E> {
        let mut state = self.lock();
        loop {
            if let Some(c) = state.idle.pop() {
                return Ok(c);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return connect().inspect_err(|_| {
                    self.lock().open -= 1;
                    self.returned.notify_one();
                });
            }
            state = self.returned.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self, conn: C) {
        self.lock().idle.push(conn);
        self.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn never_more_than_max_connections_and_a_dropped_one_is_replaced() {
        let opened = Arc::new(AtomicUsize::new(1));
        let pool = Arc::new(Pool::new(3, 0usize));
        let in_use = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (pool, opened, in_use, most) = (pool.clone(), opened.clone(), in_use.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        pool.with(
                            || Ok::<_, ()>(opened.fetch_add(1, Ordering::SeqCst)),
                            // Every eighth thread's connections are "broken" and not returned.
                            |_| i != 7,
                            |_| {
                                let now = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                                most.fetch_max(now, Ordering::SeqCst);
                                std::thread::yield_now();
                                in_use.fetch_sub(1, Ordering::SeqCst);
                                Ok(())
                            },
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert!(pool.lock().open <= 3);
    }

    #[test]
    fn a_failed_connect_gives_its_place_back() {
        let pool = Pool::new(1, 0u8);
        // The one connection is left unusable: it is closed, and the next caller connects.
        pool.with(|| Ok::<_, &str>(9), |_| false, |_| Ok(())).unwrap();
        assert_eq!(pool.lock().open, 0);
        assert_eq!(pool.with(|| Err("no"), |_| true, |_| Ok(())), Err("no"));
        assert_eq!(pool.lock().open, 0, "the failed connect gave its place back");
        assert_eq!(pool.with(|| Ok(1), |_| true, |c| Ok::<_, &str>(*c)), Ok(1));
        assert_eq!(pool.lock().idle, [1]);
    }
}
