//! GB/T 4754-2017 国民经济行业分类 codes: a section letter (门类) and 2–4 digits
//! (大类/中类/小类). The letter follows from the two-digit division, so "3089" and "C3089"
//! are the same code; we store the lettered form.

/// Division ranges of each section, inclusive.
const SECTIONS: [(char, u8, u8); 20] = [
    ('A', 1, 5),
    ('B', 6, 12),
    ('C', 13, 43),
    ('D', 44, 46),
    ('E', 47, 50),
    ('F', 51, 52),
    ('G', 53, 60),
    ('H', 61, 62),
    ('I', 63, 65),
    ('J', 66, 69),
    ('K', 70, 70),
    ('L', 71, 72),
    ('M', 73, 75),
    ('N', 76, 79),
    ('O', 80, 82),
    ('P', 83, 83),
    ('Q', 84, 85),
    ('R', 86, 90),
    ('S', 91, 96),
    ('T', 97, 97),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("行业代码「{0}」格式不对：应为门类字母加2–4位数字，如 C3089 或 3089（GB/T 4754-2017）")]
    Format(String),
    #[error("行业代码「{0}」的大类「{1}」不存在（GB/T 4754-2017 大类为01–97）")]
    UnknownDivision(String, String),
    #[error("行业代码「{code}」门类字母与大类不符：大类{division}属于门类{expected}")]
    SectionMismatch { code: String, division: String, expected: char },
}

pub fn section_of(division: u8) -> Option<char> {
    SECTIONS.iter().find(|(_, lo, hi)| (*lo..=*hi).contains(&division)).map(|(s, _, _)| *s)
}

/// Normalises "c3089", "3089", "C 3089" to "C3089"; a lone section letter "C" is accepted.
pub fn parse_industry(raw: &str) -> Result<String, IndustryError> {
    let v: String = crate::normalize_cell(raw).chars().filter(|c| !c.is_whitespace()).collect();
    let v = v.to_ascii_uppercase();
    let (letter, digits) = match v.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => (Some(c), &v[1..]),
        Some(_) => (None, v.as_str()),
        None => return Err(IndustryError::Format(v.clone())),
    };
    if digits.is_empty() {
        return match letter {
            Some(l) if SECTIONS.iter().any(|(s, _, _)| *s == l) => Ok(l.to_string()),
            _ => Err(IndustryError::Format(v.clone())),
        };
    }
    if !(2..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IndustryError::Format(v.clone()));
    }
    let division: u8 = digits[..2].parse().map_err(|_| IndustryError::Format(v.clone()))?;
    let Some(expected) = section_of(division) else {
        return Err(IndustryError::UnknownDivision(v.clone(), digits[..2].to_string()));
    };
    if let Some(l) = letter {
        if l != expected {
            return Err(IndustryError::SectionMismatch {
                code: v.clone(),
                division: digits[..2].to_string(),
                expected,
            });
        }
    }
    Ok(format!("{expected}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lettered_and_bare_codes() {
        assert_eq!(parse_industry("3089").unwrap(), "C3089");
        assert_eq!(parse_industry("c3089").unwrap(), "C3089");
        assert_eq!(parse_industry("Ｃ３０８９").unwrap(), "C3089");
        assert_eq!(parse_industry("B1019").unwrap(), "B1019");
        assert_eq!(parse_industry("C").unwrap(), "C");
    }

    #[test]
    fn bad_codes_say_why() {
        assert!(matches!(parse_industry("99"), Err(IndustryError::UnknownDivision(..))));
        assert!(matches!(parse_industry("B3089"), Err(IndustryError::SectionMismatch { expected: 'C', .. })));
        assert!(matches!(parse_industry("C30891"), Err(IndustryError::Format(_))));
        assert!(matches!(parse_industry("耐火"), Err(IndustryError::Format(_))));
    }
}
