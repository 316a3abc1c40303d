//! Chinese-aware tokens: jieba (its dictionary embedded in the crate, nothing downloaded)
//! with the domain words and every synonym's Chinese form added, so 电熔镁砂 and 皮江法 stay
//! whole; ASCII folded to lower case and half-width (ＡＺ９１Ｄ → az91d); punctuation dropped.
//! Where a synonym occurs, its group's standard name is emitted too, at the same place, so
//! "fused magnesia" and 电熔MgO both find 电熔镁砂.

use std::ops::Range;

use jieba_rs::{Jieba, TokenizeMode};

use crate::lexicon::{fold, fold_char, Lexicon};

#[derive(Debug)]
pub struct Tokenizer {
    jieba: Jieba,
    lexicon: &'static Lexicon,
}

/// One token and the bytes of the original text it came from (for highlighting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub text: String,
    pub span: Range<usize>,
    /// The synonym group's standard name stands for what is written here.
    pub synonym: bool,
}

/// Frequency given to domain words: high enough that jieba never splits them.
const DOMAIN_FREQ: usize = 200_000;

impl Tokenizer {
    pub fn new(lexicon: &'static Lexicon) -> Tokenizer {
        let mut jieba = Jieba::new();
        let synonyms = lexicon.groups.iter().flat_map(|(name, others)| std::iter::once(name).chain(others));
        for w in lexicon.words.iter().chain(synonyms) {
            if !w.contains(' ') {
                jieba.add_word(&fold(w), Some(DOMAIN_FREQ), None);
            }
        }
        Tokenizer { jieba, lexicon }
    }

    /// The shipped lexicon's tokenizer (building it reads jieba's dictionary: once).
    pub fn embedded() -> &'static Tokenizer {
        static TOK: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
        TOK.get_or_init(|| Tokenizer::new(Lexicon::embedded()))
    }

    /// Search tokens of `text`, in order: words and, for long words, their two- and
    /// three-character dictionary parts too (jieba's search mode), so a text on 镁质耐火材料
    /// shares 耐火 and 材料 with a query for 耐火材料; then synonyms' standard names.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.text).collect()
    }

    /// [`Tokenizer::tokens`] with where each token stands in `text`.
    pub fn analyze(&self, text: &str) -> Vec<Tok> {
        let (folded, starts) = fold_with_starts(text);
        let mut out: Vec<Tok> = self
            .jieba
            .tokenize(&folded, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric) && !t.word.contains(' '))
            .map(|t| Tok { text: t.word.to_string(), span: starts[t.start]..starts[t.end], synonym: false })
            .collect();
        for (name, range) in self.lexicon.concept_spans(&folded) {
            if folded[range.clone()] != *name {
                let (from, to) = (folded[..range.start].chars().count(), folded[..range.end].chars().count());
                out.push(Tok { text: name.to_string(), span: starts[from]..starts[to], synonym: true });
            }
        }
        out.sort_by_key(|t| (t.span.start, t.span.end));
        out
    }

    /// Pinyin keys of the Chinese words of `text`, for those who type pinyin or its initials:
    /// 电熔镁砂 gives "dianrongmeisha" and "drms" (and its parts 电熔 "dianrong", "dr"…).
    pub fn pinyin_keys(&self, text: &str) -> Vec<String> {
        use pinyin::ToPinyin;
        let mut out: Vec<String> = Vec::new();
        for t in self.analyze(text).into_iter().filter(|t| !t.synonym) {
            if t.text.chars().count() < 2 {
                continue;
            }
            let (mut full, mut initials) = (String::new(), String::new());
            for p in t.text.as_str().to_pinyin() {
                let Some(p) = p else {
                    full.clear();
                    break;
                };
                full.push_str(p.plain());
                initials.push_str(&p.plain()[..1]);
            }
            for key in [full, initials] {
                if !key.is_empty() && !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }

    /// Each synonym group named in `text`, once: (standard name, the form as written).
    pub fn concepts_written(&self, text: &str) -> Vec<(&'static str, String)> {
        let (folded, starts) = fold_with_starts(text);
        let mut out: Vec<(&'static str, String)> = Vec::new();
        for (name, range) in self.lexicon.concept_spans(&folded) {
            if !out.iter().any(|(n, _)| *n == name) {
                let (from, to) = (folded[..range.start].chars().count(), folded[..range.end].chars().count());
                out.push((name, text[starts[from]..starts[to]].to_string()));
            }
        }
        out
    }
}

/// `text` folded char by char, and where each char (and the end) starts in `text`: folding
/// maps each char to one char, so positions in the folded text translate back.
fn fold_with_starts(text: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(text.len());
    let mut starts: Vec<usize> = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        folded.push(fold_char(c));
        starts.push(at);
    }
    starts.push(text.len());
    (folded, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_terms_stay_whole_and_ascii_folds() {
        let t = Tokenizer::embedded();
        let tokens = t.tokens("采用皮江法生产原镁，配套电熔镁砂生产线；ＡＺ９１Ｄ镁合金压铸件。");
        for whole in ["皮江法", "原镁", "电熔镁砂", "az91d", "镁合金", "压铸"] {
            assert!(tokens.iter().any(|x| x == whole), "{whole} in {tokens:?}");
        }
        assert!(!tokens.iter().any(|x| x == "，" || x == "。"), "no punctuation: {tokens:?}");
        let parts = t.tokens("镁质耐火材料");
        for p in ["镁质耐火材料", "耐火", "材料"] {
            assert!(parts.contains(&p.to_string()), "{p} in {parts:?}");
        }
        assert!(t.tokens("电熔MgO").contains(&"电熔mgo".to_string()), "a synonym's form is one token");
        // Regression: 轻烧 alone found no 轻烧氧化镁 title, its parts not being dictionary words.
        assert!(t.tokens("轻烧氧化镁").contains(&"轻烧".to_string()));
    }

    #[test]
    fn spans_point_into_the_original_text_and_synonyms_add_their_standard_name() {
        let t = Tokenizer::embedded();
        let text = "供应ＡＺ９１Ｄ与电熔MgO";
        let toks = t.analyze(text);
        let az = toks.iter().find(|x| x.text == "az91d").unwrap();
        assert_eq!(&text[az.span.clone()], "ＡＺ９１Ｄ");
        let std = toks.iter().find(|x| x.text == "电熔镁砂").unwrap();
        assert!(std.synonym);
        assert_eq!(&text[std.span.clone()], "电熔MgO");
        let fused = t.analyze("Fused Magnesia");
        assert!(fused.iter().any(|x| x.text == "电熔镁砂" && x.span == (0..14)), "{fused:?}");
        assert!(!t.analyze("电熔镁砂").iter().any(|x| x.synonym), "the standard name is not repeated");
    }

    #[test]
    fn chinese_words_have_pinyin_and_initials() {
        let keys = Tokenizer::embedded().pinyin_keys("电熔镁砂AZ91D");
        for k in ["dianrongmeisha", "drms", "dianrong", "meisha"] {
            assert!(keys.contains(&k.to_string()), "{k} in {keys:?}");
        }
        assert!(!keys.iter().any(|k| k.contains("az")), "only Chinese words: {keys:?}");
    }
}
