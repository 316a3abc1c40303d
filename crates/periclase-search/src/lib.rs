//! Search and matching (产需对接). So far: the domain lexicon (terms kept whole, synonym
//! groups) and the Chinese tokenizer the index and the matcher will share.

pub mod lexicon;
pub mod tokenizer;

pub use lexicon::{Lexicon, LexiconError};
pub use tokenizer::Tokenizer;
