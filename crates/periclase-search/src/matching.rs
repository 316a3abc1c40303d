//! Matching (产需对接): for a record of one registry, the records of another that answer it —
//! a demand's achievements, an achievement's demands, a topic's experts. Candidates come from
//! the index by BM25 over the weighted words of the request; they are then re-ranked with
//! the features an official would weigh (same technical field, maturity, same city), and
//! each carries the reasons it was put there.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{TantivyDocument, Term};

use crate::index::{SearchError, SearchIndex, TextField, BOOSTS};
use crate::lexicon;

pub const STOPWORDS: &str = include_str!("../../../data/lexicon/stopwords.txt");

/// How the final score weighs what BM25 does not see.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Words of the request's title count this many times.
    pub title_repeat: f32,
    /// At most this many request words, the most telling ones (by idf × frequency).
    pub max_terms: usize,
    /// Added when both declare the same technical field (BM25 scaled to the best = 1).
    pub same_domain: f32,
    /// Times the maturity's readiness (实验室 0.25 … 产业化 1).
    pub maturity: f32,
    /// Added for the same city.
    pub same_city: f32,
    /// How many BM25 candidates are re-ranked.
    pub candidates: usize,
    /// Weight of the record's title, keywords and body.
    pub fields: [f32; 3],
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            title_repeat: 1.0,
            max_terms: 1000,
            same_domain: 0.25,
            maturity: 0.05,
            same_city: 0.05,
            candidates: 100,
            fields: [1.0, 1.0, 1.0],
        }
    }
}

/// What is being matched: the text as its author posted it, and what it declares.
#[derive(Debug, Clone, Default)]
pub struct MatchRequest {
    pub title: String,
    /// Everything else worth reading (a demand's description, an achievement's summary…).
    pub text: String,
    pub domain: Option<String>,
    pub region: Option<String>,
    /// Registry URL name searched (`achievements`).
    pub target: String,
    /// Only records with this tier (`expert`: the expert pool).
    pub tier: Option<String>,
    pub limit: usize,
}

/// The registry whose records answer those of `spec`: a demand's achievements, an
/// achievement's demands.
pub fn counterpart(spec: &periclase_domain::RegistrySpec) -> Option<&'static periclase_domain::RegistrySpec> {
    use periclase_domain::{registry, RegistryId};
    match spec.id {
        RegistryId::Demands => Some(registry(RegistryId::Achievements)),
        RegistryId::Achievements => Some(registry(RegistryId::Demands)),
        _ => None,
    }
}

/// Why a record was matched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Words of the request found in a field of the record.
    Words {
        field: &'static str,
        words: Vec<String>,
    },
    /// The same concept under different names.
    Synonym {
        concept: String,
        asked: String,
        found: String,
    },
    SameDomain {
        domain: String,
    },
    Maturity {
        label: String,
    },
    SameCity {
        region: String,
    },
}

impl Reason {
    /// One line of Chinese for the page and the CLI.
    pub fn describe(&self) -> String {
        match self {
            Reason::Words { field, words } => format!("{field}含「{}」", words.join("」「")),
            Reason::Synonym { concept, asked, found } => {
                format!("同义词：需求写「{asked}」，对方写「{found}」（均指{concept}）")
            }
            Reason::SameDomain { domain } => format!("同属技术领域「{domain}」"),
            Reason::Maturity { label } => format!("成熟度：{label}"),
            Reason::SameCity { region } => {
                let name = periclase_domain::RegionTable::embedded().full_name(region);
                format!("同一地市（{}）", name.unwrap_or_else(|| region.clone()))
            }
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Match {
    pub registry: String,
    pub id: i64,
    pub key: String,
    pub title: String,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

fn stopwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.lines().filter(|l| !l.starts_with('#')).flat_map(str::split_whitespace).collect())
}

/// Readiness of a maturity code for an enterprise that wants to apply it.
fn readiness(code: &str) -> Option<(f32, &'static str)> {
    periclase_domain::registries::MATURITY.iter().position(|o| o.code == code).map(|i| {
        let n = periclase_domain::registries::MATURITY.len() as f32;
        ((i as f32 + 1.0) / n, periclase_domain::registries::MATURITY[i].label)
    })
}

impl SearchIndex {
    /// The request's words, weighted by how often they occur (title words more) and kept to
    /// the `max_terms` most telling by idf in the searched fields.
    fn request_terms(&self, req: &MatchRequest, w: &Weights) -> Vec<(String, f32)> {
        let stop = stopwords();
        let mut terms: HashMap<String, f32> = HashMap::new();
        for (text, weight) in [(req.title.as_str(), w.title_repeat), (req.text.as_str(), 1.0)] {
            for t in self.tokenizer.tokens(text) {
                if stop.contains(t.as_str()) || t.chars().count() < 2 && !t.chars().all(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                *terms.entry(t).or_default() += weight;
            }
        }
        let searcher = self.searcher();
        let n = searcher.num_docs().max(1) as f32;
        let mut scored: Vec<(String, f32, f32)> = terms
            .into_iter()
            .filter_map(|(t, tf)| {
                let df = BOOSTS
                    .iter()
                    .map(|(f, _)| searcher.doc_freq(&Term::from_field_text(self.fields.text(*f), &t)).unwrap_or(0))
                    .max()
                    .unwrap_or(0);
                if df == 0 {
                    return None;
                }
                let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
                Some((t, tf, idf))
            })
            .collect();
        scored.sort_by(|a, b| (b.1.sqrt() * b.2).total_cmp(&(a.1.sqrt() * a.2)).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(w.max_terms);
        scored.into_iter().map(|(t, tf, _)| (t, tf.sqrt())).collect()
    }

    /// Records of `req.target` answering the request, best first, each explained.
    pub fn matches(&self, req: &MatchRequest, w: &Weights) -> Result<Vec<Match>, SearchError> {
        let terms = self.request_terms(req, w);
        if terms.is_empty() {
            return Ok(vec![]);
        }
        let ranked = self.rank(req, w, &terms)?;
        Ok(ranked.into_iter().map(|(score, doc)| self.explain(req, &terms, &doc, score)).collect())
    }

    /// BM25 candidates re-ranked with the features, best first.
    fn rank(
        &self,
        req: &MatchRequest,
        w: &Weights,
        terms: &[(String, f32)],
    ) -> Result<Vec<(f32, TantivyDocument)>, SearchError> {
        let boosts: Vec<(TextField, f32)> = BOOSTS.iter().zip(w.fields).map(|((f, _), b)| (*f, b)).collect();
        let words = BooleanQuery::new(self.term_clauses(terms, &boosts));
        let mut clauses =
            vec![(Occur::Must, Box::new(words) as Box<dyn Query>), self.must_term(self.fields.registry, &req.target)];
        if let Some(t) = &req.tier {
            clauses.push(self.must_term(self.fields.tiers, t));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(w.candidates.max(req.limit)).order_by_score())?;
        let best = top.first().map(|(s, _)| *s).unwrap_or(1.0).max(f32::MIN_POSITIVE);
        let asked_city = req.region.as_deref().and_then(|r| r.get(..4));
        // The features come from columns, so only the records kept are read in full.
        let mut columns: HashMap<u32, Features> = HashMap::new();
        let mut scored: Vec<(f32, tantivy::DocAddress)> = Vec::with_capacity(top.len());
        for (bm25, addr) in top {
            let cols = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Features::of(searcher.segment_reader(addr.segment_ord))?)
                }
            };
            let mut score = bm25 / best;
            if req.domain.as_deref().is_some_and(|d| !d.is_empty() && cols.domain(addr.doc_id).as_deref() == Some(d)) {
                score += w.same_domain;
            }
            if let Some((r, _)) = cols.maturity(addr.doc_id).as_deref().and_then(readiness) {
                score += w.maturity * r;
            }
            if asked_city.is_some() && cols.city(addr.doc_id).as_deref() == asked_city {
                score += w.same_city;
            }
            scored.push((score, addr));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.truncate(req.limit);
        scored.into_iter().map(|(score, addr)| Ok((score, searcher.doc(addr)?))).collect()
    }

    fn explain(&self, req: &MatchRequest, terms: &[(String, f32)], doc: &TantivyDocument, score: f32) -> Match {
        let f = &self.fields;
        let mut reasons = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (which, _) in BOOSTS {
            let text = self.stored_text(doc, f.text(which));
            // Each token with the text it was read from, to show words as written (MgO, not mgo).
            let mut written: HashMap<String, &str> = HashMap::new();
            for t in self.tokenizer.analyze(&text).into_iter().filter(|t| !t.synonym) {
                written.entry(t.text).or_insert(&text[t.span]);
            }
            // Longest first, and a word inside one already shown is not repeated.
            let mut words: Vec<&String> = terms.iter().map(|(t, _)| t).filter(|t| written.contains_key(*t)).collect();
            words.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
            let mut shown: Vec<String> = Vec::new();
            for t in words {
                if !shown.iter().chain(&seen).any(|s| s.contains(t.as_str())) {
                    shown.push(t.clone());
                }
            }
            shown.truncate(8);
            if !shown.is_empty() {
                seen.extend(shown.iter().cloned());
                let words = shown.iter().map(|t| written[t].to_string()).collect();
                reasons.push(Reason::Words { field: which.label(), words });
            }
        }
        let asked = self.tokenizer.concepts_written(&format!("{}\n{}", req.title, req.text));
        let doc_text: String =
            BOOSTS.iter().map(|(w, _)| self.stored_text(doc, f.text(*w))).collect::<Vec<_>>().join("\n");
        let found = self.tokenizer.concepts_written(&doc_text);
        for (concept, form) in &asked {
            if let Some((_, other)) =
                found.iter().find(|(c, o)| c == concept && lexicon::fold(o) != lexicon::fold(form))
            {
                reasons.push(Reason::Synonym {
                    concept: concept.to_string(),
                    asked: form.clone(),
                    found: other.clone(),
                });
            }
        }
        let domain = self.stored_text(doc, f.domain);
        if req.domain.as_deref() == Some(domain.as_str()) && !domain.is_empty() {
            reasons.push(Reason::SameDomain { domain });
        }
        if let Some((_, label)) = readiness(&self.stored_text(doc, f.maturity)) {
            reasons.push(Reason::Maturity { label: label.to_string() });
        }
        let region = doc.get_all(f.region).filter_map(|v| tantivy::schema::Value::as_str(&v)).find(|r| r.len() == 4);
        if let (Some(r), Some(asked)) = (region, req.region.as_deref()) {
            if asked.starts_with(r) {
                reasons.push(Reason::SameCity { region: r.to_string() });
            }
        }
        Match {
            registry: self.stored_text(doc, f.registry),
            id: self.stored_i64(doc, f.id).unwrap_or_default(),
            key: self.stored_text(doc, f.key),
            title: self.stored_text(doc, f.title),
            score,
            reasons,
        }
    }
}

/// A segment's columns of the re-ranking features.
struct Features {
    domain: Option<tantivy::columnar::StrColumn>,
    maturity: Option<tantivy::columnar::StrColumn>,
    region: Option<tantivy::columnar::StrColumn>,
}

impl Features {
    fn of(segment: &tantivy::SegmentReader) -> Result<Features, SearchError> {
        let ff = segment.fast_fields();
        Ok(Features { domain: ff.str("domain")?, maturity: ff.str("maturity")?, region: ff.str("region")? })
    }

    fn first(col: &Option<tantivy::columnar::StrColumn>, doc: u32) -> Option<String> {
        let col = col.as_ref()?;
        let ord = col.ords().first(doc)?;
        let mut out = String::new();
        col.ord_to_str(ord, &mut out).ok()?;
        Some(out)
    }

    fn domain(&self, doc: u32) -> Option<String> {
        Self::first(&self.domain, doc)
    }

    fn maturity(&self, doc: u32) -> Option<String> {
        Self::first(&self.maturity, doc)
    }

    /// The record's city: its four-digit region prefix.
    fn city(&self, doc: u32) -> Option<String> {
        let col = self.region.as_ref()?;
        let mut out = String::new();
        for ord in col.ords().values_for_doc(doc) {
            if col.ord_to_str(ord, &mut out).ok()? && out.len() == 4 {
                return Some(out);
            }
        }
        None
    }
}
