//! The index on disk (or in memory, for tests and evaluation): one tantivy index holding a
//! [`SearchDoc`] per record of every searched registry. Which store change it has applied
//! last rides in the commit, so it catches up after a restart from exactly there.

use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::analyzer::{ZhTokenizer, NAME};
use crate::tokenizer::Tokenizer;

mod update;
pub use update::IndexUpdate;

/// Bumped whenever the schema or the tokens change: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("检索索引为旧版本或已损坏，请运行 periclase index rebuild 重建")]
    Outdated,
    #[error("检索索引正由另一进程（如正在运行的服务）更新，稍后由它自动完成")]
    Busy,
    #[error("{0}")]
    BadQuery(String),
    #[error("检索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("检索索引目录出错：{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub uid: Field,
    pub registry: Field,
    pub id: Field,
    pub key: Field,
    pub title: Field,
    pub keywords: Field,
    pub body: Field,
    pub region: Field,
    pub tiers: Field,
    pub year: Field,
    pub domain: Field,
    pub maturity: Field,
    /// Pinyin and initials of the title's words.
    pub pinyin: Field,
}

/// How much each text field weighs in a score.
pub(crate) const BOOSTS: [(TextField, f32); 3] =
    [(TextField::Title, 3.0), (TextField::Keywords, 2.0), (TextField::Body, 1.0)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Title,
    Keywords,
    Body,
}

impl TextField {
    pub fn label(self) -> &'static str {
        match self {
            TextField::Title => "标题",
            TextField::Keywords => "关键词",
            TextField::Body => "正文",
        }
    }
}

impl Fields {
    pub(crate) fn text(&self, which: TextField) -> Field {
        match which {
            TextField::Title => self.title,
            TextField::Keywords => self.keywords,
            TextField::Body => self.body,
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let zh = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(NAME).set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let f = Fields {
        uid: b.add_text_field("uid", STRING),
        registry: b.add_text_field("registry", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        key: b.add_text_field("key", STORED),
        title: b.add_text_field("title", zh.clone()),
        keywords: b.add_text_field("keywords", zh.clone()),
        body: b.add_text_field("body", zh),
        region: b.add_text_field("region", STRING | STORED | FAST),
        tiers: b.add_text_field("tiers", STRING),
        year: b.add_i64_field("year", INDEXED | FAST | STORED),
        domain: b.add_text_field("domain", STRING | STORED | FAST),
        maturity: b.add_text_field("maturity", STRING | STORED | FAST),
        pinyin: b.add_text_field("pinyin", STRING),
    };
    (b.build(), f)
}

/// The index, its reader, and the fields by name.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    pub(crate) fields: Fields,
    pub(crate) tokenizer: &'static Tokenizer,
    /// One writer for the index's life: merges run in the background between commits (a
    /// writer dropped after each commit would abandon them, and segments would pile up).
    writer: std::sync::Mutex<Option<IndexWriter>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("docs", &self.doc_count()).finish()
    }
}

/// Text with the ranges (bytes) a query matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Marked {
    pub text: String,
    pub marks: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Registry URL names; empty means every searched registry.
    pub registries: Vec<String>,
    /// GB/T 2260 prefix ("21", "2108", "210882"; "210800" means "2108").
    pub region: Option<String>,
    /// A tier or honour code (enterprises).
    pub tier: Option<String>,
    pub year: Option<i64>,
    /// What the asker may see: (registry, region prefix it is limited to). `None`: all.
    pub allowed: Option<Vec<(String, Option<String>)>>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    pub registry: String,
    pub id: i64,
    pub key: String,
    pub title: Marked,
    pub snippet: Marked,
    pub region: Option<String>,
    pub year: Option<i64>,
    pub score: f32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResults {
    /// Records matching, all pages together.
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// The region prefixes a record is found under: province, city, county.
fn region_prefixes(code: &str) -> Vec<String> {
    let code = code.trim();
    let mut out = Vec::new();
    for n in [2, 4, 6] {
        if code.len() >= n && code.is_char_boundary(n) {
            out.push(code[..n].to_string());
        }
    }
    out
}

/// "210800" → "2108", "210000" → "21": the prefix a region filter means.
pub fn region_filter(code: &str) -> String {
    let mut c = code.trim();
    while c.len() > 2 && c.ends_with("00") {
        c = &c[..c.len() - 2];
    }
    c.to_string()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when there is none. One of another version is
    /// reported as [`SearchError::Outdated`].
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let dir_handle =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::BadQuery(e.to_string()))?;
        let index = if Index::exists(&dir_handle).map_err(|e| SearchError::BadQuery(e.to_string()))? {
            let index = Index::open(dir_handle)?;
            if index.schema() != schema || Self::meta_of(&index)?.0 != SCHEMA_VERSION {
                return Err(SearchError::Outdated);
            }
            index
        } else {
            Index::create_in_dir(dir, schema)?
        };
        Self::with(index, fields)
    }

    /// Deletes whatever is in `dir` and creates an empty index there.
    pub fn create_fresh(dir: &Path) -> Result<SearchIndex, SearchError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        Self::open_or_create(dir)
    }

    pub fn in_memory() -> SearchIndex {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields).expect("an index in memory opens")
    }

    fn with(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        let tokenizer = Tokenizer::embedded();
        index.tokenizers().register(NAME, ZhTokenizer(tokenizer));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, fields, tokenizer, writer: std::sync::Mutex::new(None) })
    }

    /// The index's version and the outbox reader it follows (none before its first commit).
    fn meta_of(index: &Index) -> Result<(u32, Option<String>), SearchError> {
        let meta = index.load_metas()?;
        let Some(payload) = meta.payload else { return Ok((SCHEMA_VERSION, None)) };
        let (v, reader) = payload.split_once(':').ok_or(SearchError::Outdated)?;
        Ok((v.parse().map_err(|_| SearchError::Outdated)?, Some(reader.to_string())))
    }

    /// The name under which this index follows the store's outbox, once it has committed.
    pub fn reader(&self) -> Result<Option<String>, SearchError> {
        Ok(Self::meta_of(&self.index)?.1)
    }

    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The index's writer, made at first use with `threads` indexing threads; one at a time
    /// per index, across processes ([`SearchError::Busy`] when another process holds it).
    pub fn writer(&self, threads: usize) -> Result<IndexUpdate<'_>, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            // Small buffers: memory stays low, at the price of more segments to merge.
            let budget = 20_000_000 * threads.max(1);
            *guard = Some(match self.index.writer_with_num_threads(threads.max(1), budget) {
                Ok(w) => w,
                Err(tantivy::TantivyError::LockFailure(..)) => return Err(SearchError::Busy),
                Err(e) => return Err(e.into()),
            });
        }
        Ok(IndexUpdate { index: self, writer: guard, committed: false })
    }

    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Should-clauses scoring each (token, weight) in every text field with its boost.
    pub(crate) fn term_clauses(
        &self,
        terms: &[(String, f32)],
        boosts: &[(TextField, f32)],
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in terms {
            for &(which, boost) in boosts {
                let q =
                    TermQuery::new(Term::from_field_text(self.fields.text(which), term), IndexRecordOption::WithFreqs);
                out.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost * weight))));
            }
        }
        out
    }

    /// A query of Latin letters only may be pinyin ("dianrong meisha") or initials ("drms"):
    /// each word is also looked up among the titles' pinyin keys.
    fn pinyin_clauses(&self, text: &str) -> Vec<(Occur, Box<dyn Query>)> {
        if !text.chars().all(|c| c.is_ascii_alphabetic() || c.is_whitespace()) {
            return vec![];
        }
        text.split_whitespace()
            .filter(|w| w.len() >= 2)
            .map(|w| {
                let t = TermQuery::new(
                    Term::from_field_text(self.fields.pinyin, &w.to_ascii_lowercase()),
                    IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(BoostQuery::new(Box::new(t), 2.0)) as Box<dyn Query>)
            })
            .collect()
    }

    pub(crate) fn must_term(&self, field: Field, value: &str) -> (Occur, Box<dyn Query>) {
        (Occur::Must, Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)))
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out = Vec::new();
        match q.registries.as_slice() {
            [] => {}
            [one] => out.push(self.must_term(self.fields.registry, one)),
            many => {
                let any: Vec<(Occur, Box<dyn Query>)> = many
                    .iter()
                    .map(|r| {
                        let t =
                            TermQuery::new(Term::from_field_text(self.fields.registry, r), IndexRecordOption::Basic);
                        (Occur::Should, Box::new(t) as Box<dyn Query>)
                    })
                    .collect();
                out.push((Occur::Must, Box::new(BooleanQuery::new(any))));
            }
        }
        if let Some(allowed) = &q.allowed {
            let any: Vec<(Occur, Box<dyn Query>)> = allowed
                .iter()
                .map(|(registry, region)| {
                    let mut both = vec![self.must_term(self.fields.registry, registry)];
                    if let Some(p) = region {
                        both.push(self.must_term(self.fields.region, &region_filter(p)));
                    }
                    (Occur::Should, Box::new(BooleanQuery::new(both)) as Box<dyn Query>)
                })
                .collect();
            // Nothing allowed: a clause nothing satisfies.
            out.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(r) = q.region.as_deref().filter(|r| !r.trim().is_empty()) {
            out.push(self.must_term(self.fields.region, &region_filter(r)));
        }
        if let Some(t) = q.tier.as_deref().filter(|t| !t.trim().is_empty()) {
            out.push(self.must_term(self.fields.tiers, t.trim()));
        }
        if let Some(y) = q.year {
            out.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_i64(self.fields.year, y), IndexRecordOption::Basic)),
            ));
        }
        out
    }

    /// Distinct tokens of `text` with how often each occurs.
    pub(crate) fn query_terms(&self, text: &str) -> Vec<(String, f32)> {
        let mut terms: Vec<(String, f32)> = Vec::new();
        for t in self.tokenizer.tokens(text) {
            match terms.iter_mut().find(|(x, _)| *x == t) {
                Some((_, n)) => *n += 1.0,
                None => terms.push((t, 1.0)),
            }
        }
        terms
    }

    /// Ranked records of every (or the chosen) registry matching the words of `q.text`,
    /// with the words found highlighted.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let terms = self.query_terms(&q.text);
        if terms.is_empty() {
            return Err(SearchError::BadQuery("请输入要检索的词（中文、英文或编号）".into()));
        }
        if q.allowed.as_ref().is_some_and(|a| a.is_empty()) {
            return Ok(SearchResults { total: 0, hits: vec![] });
        }
        let mut words = self.term_clauses(&terms, &BOOSTS);
        words.extend(self.pinyin_clauses(&q.text));
        let words = BooleanQuery::new(words);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(words))];
        clauses.extend(self.filters(q));
        let query = BooleanQuery::new(clauses);
        let searcher = self.searcher();
        let limit = q.limit.clamp(1, 200);
        let (top, total) =
            searcher.search(&query, &(TopDocs::with_limit(limit).and_offset(q.offset).order_by_score(), Count))?;
        let mut title_gen = SnippetGenerator::create(&searcher, &query, self.fields.title)?;
        title_gen.set_max_num_chars(400);
        let body_gen = SnippetGenerator::create(&searcher, &query, self.fields.body)?;
        let kw_gen = SnippetGenerator::create(&searcher, &query, self.fields.keywords)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let title_text = self.stored_text(&doc, self.fields.title);
            let title = marked(title_gen.snippet(&title_text), Some(&title_text));
            let mut snippet = marked(body_gen.snippet(&self.stored_text(&doc, self.fields.body)), None);
            if snippet.marks.is_empty() {
                let kw = marked(kw_gen.snippet(&self.stored_text(&doc, self.fields.keywords)), None);
                if !kw.marks.is_empty() || snippet.text.is_empty() {
                    snippet = kw;
                }
            }
            hits.push(self.hit(&doc, title, snippet, score));
        }
        Ok(SearchResults { total, hits })
    }

    pub(crate) fn stored_text(&self, doc: &TantivyDocument, field: Field) -> String {
        doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string()
    }

    pub(crate) fn stored_i64(&self, doc: &TantivyDocument, field: Field) -> Option<i64> {
        doc.get_first(field).and_then(|v| v.as_i64())
    }

    fn hit(&self, doc: &TantivyDocument, title: Marked, snippet: Marked, score: f32) -> SearchHit {
        let region = doc.get_all(self.fields.region).filter_map(|v| v.as_str()).max_by_key(|r| r.len());
        SearchHit {
            registry: self.stored_text(doc, self.fields.registry),
            id: self.stored_i64(doc, self.fields.id).unwrap_or_default(),
            key: self.stored_text(doc, self.fields.key),
            title,
            snippet,
            region: region.map(str::to_string),
            year: self.stored_i64(doc, self.fields.year),
            score,
        }
    }

    /// The stored record `registry:id`, if indexed (tests, consistency checks).
    pub fn stored(&self, registry: &str, id: i64) -> Result<Option<StoredDoc>, SearchError> {
        let searcher = self.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.uid, &crate::doc::uid(registry, id)),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(2).order_by_score())?;
        let Some((_, addr)) = top.first() else { return Ok(None) };
        let d: TantivyDocument = searcher.doc(*addr)?;
        Ok(Some(StoredDoc {
            key: self.stored_text(&d, self.fields.key),
            title: self.stored_text(&d, self.fields.title),
            keywords: self.stored_text(&d, self.fields.keywords),
            body: self.stored_text(&d, self.fields.body),
        }))
    }

    /// Every indexed `(registry, id)`, sorted (consistency checks against the store).
    pub fn all_ids(&self) -> Result<Vec<(String, i64)>, SearchError> {
        let searcher = self.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64)?;
            for doc_id in segment.doc_ids_alive() {
                let d: TantivyDocument = store.get(doc_id)?;
                out.push((
                    self.stored_text(&d, self.fields.registry),
                    self.stored_i64(&d, self.fields.id).unwrap_or(-1),
                ));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The stored text of an indexed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    pub key: String,
    pub title: String,
    pub keywords: String,
    pub body: String,
}

/// A snippet as text and marks, touching marks merged. With `whole`, the marks are placed
/// in that whole text (a title is shown entire, not cut to its matched part).
fn marked(s: tantivy::snippet::Snippet, whole: Option<&str>) -> Marked {
    let (text, shift) = match whole {
        Some(w) => (w.to_string(), s.fragment_range().start),
        None => (s.fragment().to_string(), 0),
    };
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for r in s.highlighted() {
        let (from, to) = (r.start + shift, r.end + shift);
        match marks.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => marks.push((from, to)),
        }
    }
    marks.retain(|&(from, to)| to <= text.len() && text.is_char_boundary(from) && text.is_char_boundary(to));
    Marked { text, marks }
}
