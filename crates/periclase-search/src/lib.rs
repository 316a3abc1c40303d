//! Search and matching (产需对接): the domain lexicon (terms kept whole, synonym groups), the
//! Chinese tokenizer, one index over every searched registry, matching with explanations,
//! and the evaluator of ranked matches against graded judgements.

pub mod analyzer;
pub mod doc;
pub mod index;
pub mod lexicon;
pub mod tokenizer;

pub use doc::{searched, SearchDoc};
pub use index::{IndexUpdate, Marked, SearchError, SearchHit, SearchIndex, SearchQuery, SearchResults, StoredDoc};
pub use lexicon::{Lexicon, LexiconError};
pub use tokenizer::Tokenizer;
pub mod eval;
pub mod matching;

pub use matching::{counterpart, Match, MatchRequest, Reason, Weights};
pub mod finance;
