//! The chain map's facts, their index and each region's analysis, kept between requests.
//! After a write the map is shown from the previous facts while one background task reads
//! the new ones, so a map page never waits seconds for a million enterprises to be re-read;
//! the page says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use periclase_chain::{analyse_prepared, leaders, Analysis, Area, Leader, Prepared};
use periclase_domain::{Chain, ChainFacts};
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
    version: i64,
    facts: Arc<ChainFacts>,
    prepared: Arc<Prepared>,
    /// Analyses by region: a province's takes a fifth of a second at a million enterprises.
    views: HashMap<String, Arc<View>>,
    refreshing: bool,
}

#[derive(Debug, Default)]
pub struct ChainCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Held while a chain is read for the first time, so a request during the read at start
    /// waits for it instead of reading the same chain again.
    first_load: Mutex<()>,
}

impl ChainCache {
    /// The facts of `chain` and the analysis of `region`: current ones, or the previous ones
    /// while a refresh runs. Call from a blocking context; a chain's first load waits.
    pub fn get(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        chain: &'static Chain,
        area: &Area,
    ) -> Result<Loaded, StoreError> {
        let key = format!("{}|{}", area.region, area.benchmark);
        let version = store.version()?;
        let (facts, prepared, current) = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get_mut(&chain.id) {
                Some(e) => {
                    let current = e.version == version;
                    if !current && !e.refreshing {
                        e.refreshing = true;
                        self.refresh(store, chain, version);
                    }
                    if let Some(view) = e.views.get(&key) {
                        let view = view.clone();
                        return Ok(Loaded { facts: e.facts.clone(), prepared: e.prepared.clone(), view, current });
                    }
                    (e.facts.clone(), e.prepared.clone(), current)
                }
                None => {
                    drop(entries);
                    let _one_reader = self.first_load.lock().unwrap_or_else(|e| e.into_inner());
                    if self.entries.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&chain.id) {
                        drop(_one_reader);
                        return self.get(store, chain, area);
                    }
                    let entry = load(store, chain, version)?;
                    let loaded = (entry.facts.clone(), entry.prepared.clone(), true);
                    self.entries.lock().unwrap_or_else(|e| e.into_inner()).insert(chain.id.clone(), entry);
                    loaded
                }
            }
        };
        let analysis = analyse_prepared(chain, &facts, &prepared, area);
        let top = leaders(chain, &facts, &analysis, LEADERS_SHOWN);
        let view = Arc::new(View { analysis, leaders: top });
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.get_mut(&chain.id).filter(|e| Arc::ptr_eq(&e.facts, &facts)) {
            if e.views.len() > 200 {
                e.views.clear();
            }
            e.views.insert(key, view.clone());
        }
        Ok(Loaded { facts, prepared, view, current })
    }

    /// Reads the chain's facts anew on a thread of its own and swaps them in when done.
    fn refresh(self: &Arc<Self>, store: &Arc<dyn Store>, chain: &'static Chain, version: i64) {
        let (cache, store) = (self.clone(), store.clone());
        std::thread::spawn(move || {
            let fresh = load(&store, chain, version);
            let mut entries = cache.entries.lock().unwrap_or_else(|e| e.into_inner());
            match fresh {
                Ok(entry) => {
                    entries.insert(chain.id.clone(), entry);
                }
                Err(err) => {
                    tracing::error!(chain = %chain.id, error = %err, "refreshing chain facts failed");
                    if let Some(e) = entries.get_mut(&chain.id) {
                        e.refreshing = false;
                    }
                }
            }
        });
    }
}

fn load(store: &Arc<dyn Store>, chain: &Chain, version: i64) -> Result<Entry, StoreError> {
    let facts = store.chain_facts(&chain.id)?;
    let prepared = Arc::new(Prepared::new(chain, &facts));
    Ok(Entry { version, facts, prepared, views: HashMap::new(), refreshing: false })
}
