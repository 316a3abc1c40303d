//! The chain map's facts, their index and each region's analysis, kept between requests.
//! Every chain is read at once (one pass, one snapshot). After a write the map is shown from
//! the previous facts while one background task reads the new ones, so a map page never
//! waits for a million enterprises to be re-read; the page says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use periclase_chain::{analyse_prepared, leaders, Analysis, Area, Leader, Prepared};
use periclase_domain::{Chain, ChainFacts, ChainSet};
use periclase_store::{Store, StoreError};

/// How many 链主 candidates a map page lists.
pub const LEADERS_SHOWN: usize = 10;

#[derive(Debug, Clone)]
pub struct Loaded {
    pub facts: Arc<ChainFacts>,
    pub prepared: Arc<Prepared>,
    /// The region's analysis and 链主 candidates.
    pub view: Arc<View>,
    /// False while newer data is being read in the background.
    pub current: bool,
}

#[derive(Debug)]
pub struct View {
    pub analysis: Analysis,
    pub leaders: Vec<Leader>,
}

#[derive(Debug)]
struct Entry {
    facts: Arc<ChainFacts>,
    prepared: Arc<Prepared>,
    /// Analyses by region: a province's takes a fifth of a second at a million enterprises.
    views: HashMap<String, Arc<View>>,
}

/// Every chain as of one data version.
#[derive(Debug)]
struct Generation {
    version: i64,
    chains: HashMap<String, Entry>,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Generation>,
    refreshing: bool,
}

#[derive(Debug, Default)]
pub struct ChainCache {
    state: Mutex<State>,
    /// Held while the chains are read for the first time, so a request during the read at
    /// start waits for it instead of reading them again.
    first_load: Mutex<()>,
}

impl ChainCache {
    /// The facts of `chain` and the analysis of `area`: current ones, or the previous ones
    /// while a refresh runs. Call from a blocking context; the first load waits.
    pub fn get(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        chain: &'static Chain,
        area: &Area,
    ) -> Result<Loaded, StoreError> {
        let key = format!("{}|{}", area.region, area.benchmark);
        let version = store.version()?;
        let (facts, prepared, current) = loop {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let Some(generation) = &state.current else {
                drop(state);
                let _one_reader = self.first_load.lock().unwrap_or_else(|e| e.into_inner());
                if self.state.lock().unwrap_or_else(|e| e.into_inner()).current.is_none() {
                    let fresh = load(store.as_ref(), version)?;
                    self.state.lock().unwrap_or_else(|e| e.into_inner()).current = Some(fresh);
                }
                continue;
            };
            let current = generation.version == version;
            let Some(entry) = generation.chains.get(&chain.id) else {
                return Err(StoreError::NotFound(chain.id.clone()));
            };
            let found = (entry.facts.clone(), entry.prepared.clone(), entry.views.get(&key).cloned());
            if !current && !state.refreshing {
                state.refreshing = true;
                self.refresh(store, version);
            }
            let (facts, prepared, view) = found;
            if let Some(view) = view {
                return Ok(Loaded { facts, prepared, view, current });
            }
            break (facts, prepared, current);
        };
        let analysis = analyse_prepared(chain, &facts, &prepared, area);
        let top = leaders(chain, &facts, &analysis, LEADERS_SHOWN);
        let view = Arc::new(View { analysis, leaders: top });
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let entry = state.current.as_mut().and_then(|g| g.chains.get_mut(&chain.id));
        if let Some(e) = entry.filter(|e| Arc::ptr_eq(&e.facts, &facts)) {
            if e.views.len() > 200 {
                e.views.clear();
            }
            e.views.insert(key, view.clone());
        }
        Ok(Loaded { facts, prepared, view, current })
    }

    /// Reads every chain anew on a thread of its own and swaps them in when done.
    fn refresh(self: &Arc<Self>, store: &Arc<dyn Store>, version: i64) {
        let (cache, store) = (self.clone(), store.clone());
        std::thread::spawn(move || {
            let fresh = load(store.as_ref(), version);
            let mut state = cache.state.lock().unwrap_or_else(|e| e.into_inner());
            state.refreshing = false;
            match fresh {
                Ok(generation) => state.current = Some(generation),
                Err(err) => tracing::error!(error = %err, "refreshing chain facts failed"),
            }
        });
    }
}

/// Every embedded chain's facts, each indexed on a thread of its own.
fn load(store: &dyn Store, version: i64) -> Result<Generation, StoreError> {
    let set = ChainSet::embedded();
    let ids: Vec<&str> = set.chains.iter().map(|c| c.id.as_str()).collect();
    let facts = store.chain_facts(&ids)?;
    let chains = std::thread::scope(|s| {
        let handles: Vec<_> = set
            .chains
            .iter()
            .zip(facts)
            .map(|(chain, facts)| {
                s.spawn(move || {
                    let prepared = Arc::new(Prepared::new(chain, &facts));
                    (chain.id.clone(), Entry { facts, prepared, views: HashMap::new() })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("indexing a chain does not panic")).collect()
    });
    Ok(Generation { version, chains })
}
