//! Changes to the index: records put, added and removed, then committed with the store's
//! outbox number they bring the index up to.

use tantivy::{IndexWriter, TantivyDocument, Term};

use super::{region_prefixes, SearchError, SearchIndex, SCHEMA_VERSION};
use crate::doc::SearchDoc;

/// Changes to the index, visible to searches once committed.
pub struct IndexUpdate<'a> {
    pub(super) index: &'a SearchIndex,
    pub(super) writer: std::sync::MutexGuard<'a, Option<IndexWriter>>,
    pub(super) committed: bool,
}

/// An update abandoned (an error part way) is rolled back, not left for the next commit.
impl Drop for IndexUpdate<'_> {
    fn drop(&mut self) {
        if !self.committed {
            if let Some(w) = self.writer.as_mut() {
                if w.rollback().is_err() {
                    // The writer is unusable now; the next update makes a new one.
                    *self.writer = None;
                }
            }
        }
    }
}

impl std::fmt::Debug for IndexUpdate<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexUpdate")
    }
}

impl IndexUpdate<'_> {
    /// Adds the record, replacing what the index held for it.
    pub fn put(&mut self, d: &SearchDoc) -> Result<(), SearchError> {
        let term = Term::from_field_text(self.index.fields.uid, &d.uid());
        self.w().delete_term(term);
        self.add(d)
    }

    /// Adds a record the index does not hold (a rebuild, after [`IndexUpdate::clear`]):
    /// no delete queued per record, which over a million records costs memory and time.
    pub fn add(&mut self, d: &SearchDoc) -> Result<(), SearchError> {
        let f = &self.index.fields;
        let uid = d.uid();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.uid, &uid);
        doc.add_text(f.registry, d.registry);
        doc.add_i64(f.id, d.id);
        doc.add_text(f.key, &d.key);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.keywords, &d.keywords);
        doc.add_text(f.body, &d.body);
        for p in d.region.as_deref().map(region_prefixes).unwrap_or_default() {
            doc.add_text(f.region, &p);
        }
        for t in &d.tiers {
            doc.add_text(f.tiers, t);
        }
        if let Some(y) = d.year {
            doc.add_i64(f.year, y);
        }
        if let Some(x) = &d.domain {
            doc.add_text(f.domain, x);
        }
        if let Some(x) = &d.maturity {
            doc.add_text(f.maturity, x);
        }
        for key in self.index.tokenizer.pinyin_keys(&d.title) {
            doc.add_text(f.pinyin, &key);
        }
        self.w().add_document(doc)?;
        Ok(())
    }

    pub fn remove(&mut self, registry: &str, id: i64) {
        let term = Term::from_field_text(self.index.fields.uid, &crate::doc::uid(registry, id));
        self.w().delete_term(term);
    }

    pub fn remove_registry(&mut self, registry: &str) {
        let term = Term::from_field_text(self.index.fields.registry, registry);
        self.w().delete_term(term);
    }

    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.w().delete_all_documents()?;
        Ok(())
    }

    /// Makes the changes durable and visible, noting `reader`: the name under which the
    /// index follows the store's outbox (kept with the index, so an index and the queue it
    /// was built with go together).
    pub fn commit(self, reader: &str) -> Result<(), SearchError> {
        self.finish(reader, false)
    }

    /// [`IndexUpdate::commit`], then every segment merged into one (after a rebuild: the
    /// fastest index to search, and nothing left for a later merge to do).
    pub fn commit_merged(self, reader: &str) -> Result<(), SearchError> {
        self.finish(reader, true)
    }

    fn finish(mut self, reader: &str, merge: bool) -> Result<(), SearchError> {
        let mut prepared = self.w().prepare_commit()?;
        prepared.set_payload(&format!("{SCHEMA_VERSION}:{reader}"));
        prepared.commit()?;
        self.committed = true;
        if merge {
            let segments = self.index.index.searchable_segment_ids()?;
            if segments.len() > 1 {
                match self.w().merge(&segments).wait() {
                    // The writer's own merge policy, started by the commit, already took some
                    // of these segments: the index is committed either way, and merging it
                    // into one is only for speed.
                    Err(tantivy::TantivyError::InvalidArgument(_)) => {}
                    other => {
                        other?;
                    }
                }
            }
        }
        self.index.reader.reload()?;
        Ok(())
    }

    fn w(&mut self) -> &mut IndexWriter {
        self.writer.as_mut().expect("a writer is made before an update is handed out")
    }
}
