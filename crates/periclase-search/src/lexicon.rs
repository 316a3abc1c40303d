//! The domain lexicon (`data/lexicon/`): terms the tokenizer keeps whole, and synonym groups
//! (电熔镁砂 / 电熔MgO / fused magnesia) that search and matching treat as one concept.
//! Both are data, embedded in the binary; a broken file is reported with its line.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

pub const DOMAIN_WORDS: &str = include_str!("../../../data/lexicon/domain.txt");
pub const SYNONYMS: &str = include_str!("../../../data/lexicon/synonyms.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} 第{line}行：{message}")]
pub struct LexiconError {
    pub file: &'static str,
    pub line: usize,
    pub message: String,
}

/// Lower-case ASCII, half-width digits and letters, `_` read as a space: the form every
/// text and every lexicon entry is compared in.
pub fn fold(text: &str) -> String {
    text.trim().chars().map(fold_char).collect::<String>().trim().to_string()
}

/// One char folded: full-width digits and letters to half-width, the ideographic space and
/// `_` to a space, letters to lower case. Always one char for one, so positions carry over.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '_' => ' ',
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[derive(Debug)]
pub struct Lexicon {
    /// Terms kept whole by the tokenizer.
    pub words: Vec<String>,
    /// Each group's canonical name (its first entry) and its other surface forms.
    pub groups: Vec<(String, Vec<String>)>,
    /// Folded surface form → group.
    by_surface: HashMap<String, usize>,
    /// Every surface form, longest match first.
    matcher: AhoCorasick,
    surfaces: Vec<usize>,
}

impl Lexicon {
    pub fn parse(words: &str, synonyms: &str) -> Result<Lexicon, LexiconError> {
        let mut out_words = Vec::new();
        for (i, line) in words.lines().enumerate() {
            let w = line.trim();
            if w.is_empty() || w.starts_with('#') {
                continue;
            }
            if w.contains(char::is_whitespace) {
                return Err(LexiconError {
                    file: "domain.txt",
                    line: i + 1,
                    message: format!("「{w}」：每行只写一个词"),
                });
            }
            out_words.push(w.to_string());
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut by_surface: HashMap<String, usize> = HashMap::new();
        for (i, line) in synonyms.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entries: Vec<&str> = line.split_whitespace().collect();
            if entries.len() < 2 {
                return Err(LexiconError {
                    file: "synonyms.txt",
                    line: i + 1,
                    message: format!("「{line}」：一组同义词至少两项，以空格分隔"),
                });
            }
            let group = groups.len();
            for e in &entries {
                if let Some(&other) = by_surface.get(&fold(e)) {
                    return Err(LexiconError {
                        file: "synonyms.txt",
                        line: i + 1,
                        message: format!("「{e}」已在「{}」一组中", groups[other].0),
                    });
                }
                by_surface.insert(fold(e), group);
            }
            groups.push((entries[0].to_string(), entries[1..].iter().map(|e| e.replace('_', " ")).collect()));
        }
        let mut surfaces: Vec<(String, usize)> = by_surface.iter().map(|(s, g)| (s.clone(), *g)).collect();
        surfaces.sort();
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(surfaces.iter().map(|(s, _)| s.as_str()))
            .map_err(|e| LexiconError { file: "synonyms.txt", line: 0, message: e.to_string() })?;
        Ok(Lexicon {
            words: out_words,
            groups,
            by_surface,
            matcher,
            surfaces: surfaces.into_iter().map(|(_, g)| g).collect(),
        })
    }

    /// The shipped lexicon.
    pub fn embedded() -> &'static Lexicon {
        static LEX: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        LEX.get_or_init(|| Lexicon::parse(DOMAIN_WORDS, SYNONYMS).expect("the shipped lexicon is valid (tested)"))
    }

    /// The canonical name of the group `term` belongs to, if any.
    pub fn canonical(&self, term: &str) -> Option<&str> {
        self.by_surface.get(&fold(term)).map(|&g| self.groups[g].0.as_str())
    }

    /// Every synonym occurring in already folded text: its group's standard name and where.
    pub fn concept_spans(&self, folded: &str) -> Vec<(&str, std::ops::Range<usize>)> {
        // A Latin form counts only as a whole word: CaO, not the "cao" inside another word.
        let alnum_at = |i: usize| folded[i..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let alnum_before = |i: usize| folded[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
        self.matcher
            .find_iter(folded)
            .filter(|m| {
                let r = m.range();
                !(alnum_at(r.start) && alnum_before(r.start) || alnum_before(r.end) && alnum_at(r.end))
            })
            .map(|m| (self.groups[self.surfaces[m.pattern().as_usize()]].0.as_str(), m.range()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_name_one_concept_in_any_form() {
        let lex = Lexicon::embedded();
        assert_eq!(lex.canonical("电熔MgO"), Some("电熔镁砂"));
        assert_eq!(lex.canonical("ＦＵＳＥＤ ＭＡＧＮＥＳＩＡ"), Some("电熔镁砂"), "full-width and upper case fold");
        assert_eq!(lex.canonical("首台（套）"), Some("首台套"));
        assert_eq!(lex.canonical("镁"), None);
        let text = fold("求购电熔MgO及死烧镁砂，用于镁碳砖；了解Pidgeon工艺，CaO含量低");
        let found = lex.concept_spans(&text);
        let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["电熔镁砂", "重烧镁砂", "皮江法", "氧化钙"]);
        assert_eq!(&text[found[0].1.clone()], "电熔mgo");
        assert!(lex.concept_spans("caoliao").is_empty(), "a Latin form only as a whole word");
    }

    #[test]
    fn a_broken_lexicon_names_file_and_line() {
        let e = Lexicon::parse("菱镁\n电熔 镁砂\n", "").unwrap_err();
        assert_eq!(e.to_string(), "domain.txt 第2行：「电熔 镁砂」：每行只写一个词");
        let e = Lexicon::parse("", "# 注释\n电熔镁砂 电熔MgO\n烧结镁砂 电熔mgo\n").unwrap_err();
        assert_eq!(e.to_string(), "synonyms.txt 第3行：「电熔mgo」已在「电熔镁砂」一组中");
        let e = Lexicon::parse("", "孤词\n").unwrap_err();
        assert!(e.to_string().starts_with("synonyms.txt 第1行"), "{e}");
    }
}
