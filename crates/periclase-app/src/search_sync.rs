//! Keeps the search index in step with the store: applies the store's outbox of changes
//! (every write and import leaves entries there, whoever made it — this server, another
//! instance on the same database, a CLI import beside it), or rebuilds the index from every
//! searched registry. Each index is a reader with a queue of its own in the outbox, named
//! in the index itself. The server runs [`SearchService::spawn`], a thread that applies
//! changes within a fraction of a second.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use periclase_domain::registries;
use periclase_search::{searched, SearchDoc, SearchError, SearchIndex};
use periclase_store::{ListQuery, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    pub rebuilt: bool,
    /// Records (re)indexed.
    pub indexed: u64,
    /// Records removed because they were deleted.
    pub removed: u64,
}

/// Where a long rebuild is, for a progress bar or page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub busy: bool,
    pub done: u64,
    pub total: u64,
    pub error: Option<String>,
}

fn doc_of(spec: &'static periclase_domain::RegistrySpec, r: &periclase_store::SearchRow<'_>) -> SearchDoc {
    SearchDoc::from_row(spec, r.id, r.row, r.tiers.iter().map(|t| t.to_string()).collect())
}

/// A name no other index is likely to have: the host (for the administrator's list of
/// indexes) and 64 random bits.
fn new_reader_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect::<String>())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "periclase".into());
    // RandomState is seeded from the operating system's randomness for each instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("{host}-{:016x}", h.finish())
}

/// The host part of a reader's name, as an administrator recognises the instance.
pub fn host_of(reader: &str) -> &str {
    reader.rsplit_once('-').map_or(reader, |(host, _)| host)
}

/// Outbox entries applied per commit.
const BATCH: u32 = 50_000;
/// How often the server looks at the outbox when nothing nudged it.
const POLL: Duration = Duration::from_millis(200);
/// Longest pause between retries while the database is busy (a long import holds it).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl SyncError {
    /// Another writer held the database: retry later, nothing is wrong.
    pub fn is_busy(&self) -> bool {
        matches!(self, SyncError::Store(e) if e.is_busy())
    }
}

pub struct SearchService {
    index: SearchIndex,
    /// The outbox queue this index follows.
    reader: String,
    /// The index was created empty (or replaced): the first catch-up reads everything.
    needs_rebuild: Mutex<bool>,
    progress: Mutex<Progress>,
    wake: (Mutex<bool>, Condvar),
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService").field("index", &self.index).finish()
    }
}

impl SearchService {
    fn with(index: SearchIndex, needs_rebuild: bool) -> Result<Arc<SearchService>, SyncError> {
        // An index that has never committed gets a new name (and is built from the tables).
        let (reader, needs_rebuild) = match index.reader()? {
            Some(name) => (name, needs_rebuild),
            None => (new_reader_name(), true),
        };
        Ok(Arc::new(SearchService {
            index,
            reader,
            needs_rebuild: Mutex::new(needs_rebuild),
            progress: Mutex::default(),
            wake: (Mutex::new(false), Condvar::new()),
        }))
    }

    /// An index in memory (tests, a throwaway server): built from the store at first catch-up.
    pub fn in_memory() -> Arc<SearchService> {
        Self::with(SearchIndex::in_memory(), true).expect("an index in memory has no commit to read")
    }

    /// The index in `dir`; a missing, outdated or unreadable one is replaced and rebuilt.
    pub fn open(dir: &Path) -> Result<Arc<SearchService>, SyncError> {
        let existed = dir.join("meta.json").exists();
        match SearchIndex::open_or_create(dir) {
            Ok(index) => Self::with(index, !existed),
            Err(SearchError::Outdated) => Self::with(SearchIndex::create_fresh(dir)?, true),
            Err(e) => Err(e.into()),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// The name under which this index follows the outbox.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    pub fn progress(&self) -> Progress {
        self.progress.lock().unwrap().clone()
    }

    /// Asks the background thread to look at the outbox now.
    pub fn nudge(&self) {
        *self.wake.0.lock().unwrap() = true;
        self.wake.1.notify_one();
    }

    /// Applies every pending change (or rebuilds, when the index is new), reporting
    /// `(done, total)` as it goes.
    pub fn catch_up(&self, store: &dyn Store, on_progress: &mut dyn FnMut(u64, u64)) -> Result<Synced, SyncError> {
        if *self.needs_rebuild.lock().unwrap() {
            let synced = self.rebuild(store, on_progress)?;
            *self.needs_rebuild.lock().unwrap() = false;
            return Ok(synced);
        }
        let mut out = Synced::default();
        loop {
            let Some(pending) = store.search_pending(&self.reader, BATCH)? else {
                // Not registered: a new database, or forgotten after a long absence.
                tracing::warn!(reader = %self.reader, "检索索引未在数据库登记，重新建立");
                return self.rebuild(store, on_progress);
            };
            if pending.upto == 0 {
                return Ok(out);
            }
            let total = pending.row_count() as u64;
            let mut w = self.index.writer(1)?;
            let mut done = 0;
            for spec in &pending.whole {
                // Everything of the registry goes first, so each row is simply added.
                w.remove_registry(spec.name);
                out.indexed += store.search_rows(spec, None, &mut |r| {
                    w.add(&doc_of(spec, &r)).map_err(|e| StoreError::Sink(e.to_string()))
                })?;
            }
            for (spec, ids) in &pending.rows {
                let mut found: Vec<i64> = Vec::with_capacity(ids.len());
                store.search_rows(spec, Some(ids), &mut |r| {
                    found.push(r.id);
                    w.put(&doc_of(spec, &r)).map_err(|e| StoreError::Sink(e.to_string()))
                })?;
                found.sort_unstable();
                for id in ids.iter().filter(|id| found.binary_search(id).is_err()) {
                    w.remove(spec.name, *id);
                    out.removed += 1;
                }
                out.indexed += found.len() as u64;
                done += ids.len() as u64;
                on_progress(done, total);
            }
            w.commit(&self.reader)?;
            store.search_applied(&self.reader, pending.upto)?;
        }
    }

    /// Re-reads every searched registry into an emptied index. The reader registers (with
    /// an empty queue) first: what changes while the tables are read is queued and applied
    /// by the next catch-up, again if the read already saw it, harmlessly.
    pub fn rebuild(&self, store: &dyn Store, on_progress: &mut dyn FnMut(u64, u64)) -> Result<Synced, SyncError> {
        store.search_follow(&self.reader)?;
        let specs: Vec<_> = registries::ALL.iter().copied().filter(|s| searched(s)).collect();
        let mut total = 0;
        for spec in &specs {
            total += store.count(spec, &ListQuery::default())?;
        }
        self.set_progress(Progress { busy: true, done: 0, total, error: None });
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut w = self.index.writer(threads)?;
        w.clear()?;
        let mut done = 0;
        for spec in specs {
            store.search_rows(spec, None, &mut |r| {
                w.add(&doc_of(spec, &r)).map_err(|e| StoreError::Sink(e.to_string()))?;
                done += 1;
                if done % 1000 == 0 {
                    on_progress(done, total);
                    self.set_progress(Progress { busy: true, done, total, error: None });
                }
                Ok(())
            })?;
        }
        w.commit_merged(&self.reader)?;
        on_progress(done, total);
        self.set_progress(Progress { busy: false, done, total, error: None });
        Ok(Synced { rebuilt: true, indexed: done, removed: 0 })
    }

    fn set_progress(&self, p: Progress) {
        *self.progress.lock().unwrap() = p;
    }

    /// The server's indexer: catches up now, then whenever nudged or every [`POLL`]; while
    /// the database is busy (a long import beside the server), again after a growing pause.
    pub fn spawn(self: &Arc<Self>, store: Arc<dyn Store>) {
        let me = self.clone();
        std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                let mut backoff = POLL;
                loop {
                    match me.catch_up(store.as_ref(), &mut |_, _| {}) {
                        Ok(s) => {
                            if s.rebuilt {
                                tracing::info!(records = s.indexed, "search index built");
                            }
                            backoff = POLL;
                        }
                        // Nothing failed: the changes are applied once the import commits.
                        Err(e) if e.is_busy() => {
                            tracing::warn!(retry_in_ms = backoff.as_millis() as u64, "数据库正忙，检索索引稍后再更新");
                            std::thread::sleep(backoff);
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            continue;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "updating the search index failed");
                            let mut p = me.progress.lock().unwrap();
                            p.busy = false;
                            p.error = Some(e.to_string());
                        }
                    }
                    let (lock, cv) = &me.wake;
                    let mut woken = lock.lock().unwrap();
                    if !*woken {
                        woken = cv.wait_timeout(woken, POLL).unwrap().0;
                    }
                    *woken = false;
                }
            })
            .expect("spawning the indexer thread");
    }
}
