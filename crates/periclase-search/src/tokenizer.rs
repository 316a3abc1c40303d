//! Chinese-aware tokens: jieba (its dictionary embedded in the crate, nothing downloaded)
//! with the domain words and every synonym's Chinese form added, so 电熔镁砂 and 皮江法 stay
//! whole; ASCII folded to lower case and half-width (ＡＺ９１Ｄ → az91d); punctuation dropped.

use jieba_rs::Jieba;

use crate::lexicon::{fold, Lexicon};

#[derive(Debug)]
pub struct Tokenizer {
    jieba: Jieba,
}

/// Frequency given to domain words: high enough that jieba never splits them.
const DOMAIN_FREQ: usize = 200_000;

impl Tokenizer {
    pub fn new(lexicon: &Lexicon) -> Tokenizer {
        let mut jieba = Jieba::new();
        let synonyms = lexicon.groups.iter().flat_map(|(name, others)| std::iter::once(name).chain(others));
        for w in lexicon.words.iter().chain(synonyms) {
            if !w.contains(' ') {
                jieba.add_word(&fold(w), Some(DOMAIN_FREQ), None);
            }
        }
        Tokenizer { jieba }
    }

    /// The shipped lexicon's tokenizer (building it reads jieba's dictionary: once).
    pub fn embedded() -> &'static Tokenizer {
        static TOK: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
        TOK.get_or_init(|| Tokenizer::new(Lexicon::embedded()))
    }

    /// Search tokens of `text`, in order: words and, for long words, their two- and
    /// three-character dictionary parts too (jieba's search mode), so a text on 镁质耐火材料
    /// shares 耐火 and 材料 with a query for 耐火材料.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        self.jieba
            .cut_for_search(&folded, true)
            .into_iter()
            .map(str::trim)
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .map(str::to_string)
            .collect()
    }
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
    }
}
