//! 统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714-1997) check characters.

use std::fmt;

/// The 31 characters a USCC may use; a character's value is its index.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A validated, normalised (upper-case, half-width) unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码「{value}」应为18位，实为{len}位")]
    Length { value: String, len: usize },
    #[error("统一社会信用代码「{value}」第{position}位「{ch}」不是合法字符（不得含 I、O、Z、S、V）")]
    BadChar { value: String, position: usize, ch: char },
    #[error("统一社会信用代码「{value}」第9–17位组织机构代码校验位错误：应为「{expected}」")]
    OrgCheck { value: String, expected: char },
    #[error("统一社会信用代码「{value}」校验位错误：第18位应为「{expected}」，实为「{actual}」")]
    Check { value: String, expected: char, actual: char },
}

fn char_value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Check character of the first 17 characters (which must already be in the alphabet).
pub fn uscc_check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += char_value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Check character of a 9-character organisation code's first eight characters (digits or
/// upper-case letters, A = 10 … Z = 35); 10 is written X and 11 is written 0.
pub fn org_check_char(first8: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in first8.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

/// True when a 9-character organisation code carries a correct check character.
pub fn org_code_is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9 && org_check_char(&b[..8]).map(|c| c as u8) == Some(b[8])
}

impl Uscc {
    /// Normalises (trim, full-width → half-width, upper-case) and validates a USCC.
    ///
    /// Position 1 (registration department) is not checked against its table: codes issued
    /// by departments added after the standard exist in the wild. The embedded organisation
    /// code (positions 9–17) is checked only when it is all digits and capitals from its own
    /// alphabet, because codes assigned from the USCC system itself do not always satisfy it.
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let value = crate::normalize_cell(raw).to_ascii_uppercase();
        let len = value.chars().count();
        if len != 18 {
            return Err(UsccError::Length { value, len });
        }
        let bytes = value.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            if char_value(c).is_none() {
                return Err(UsccError::BadChar { value: value.clone(), position: i + 1, ch: c as char });
            }
        }
        let expected = uscc_check_char(&bytes[..17]).unwrap_or('?');
        if expected as u8 != bytes[17] {
            let actual = bytes[17] as char;
            return Err(UsccError::Check { value, expected, actual });
        }
        Ok(Uscc(value))
    }

    /// Like [`Uscc::parse`], and also requires the embedded organisation code to check.
    pub fn parse_strict(raw: &str) -> Result<Self, UsccError> {
        let u = Self::parse(raw)?;
        let org = &u.0.as_bytes()[8..17];
        let expected = org_check_char(&org[..8]).unwrap_or('?');
        if expected as u8 != org[8] {
            return Err(UsccError::OrgCheck { value: u.0, expected });
        }
        Ok(u)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 3–8: the GB/T 2260 code of the registering authority.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: the organisation code.
    pub fn org_code(&self) -> &str {
        &self.0[8..17]
    }

    /// Builds a valid USCC from its first 17 characters (the demo generator uses this).
    pub fn complete(first17: &str) -> Option<Self> {
        let b = first17.as_bytes();
        if b.len() != 17 {
            return None;
        }
        let c = uscc_check_char(b)?;
        Some(Uscc(format!("{first17}{c}")))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &str = "91350100M000100Y43";

    #[test]
    fn design_example_is_valid() {
        assert_eq!(Uscc::parse(VALID).unwrap().as_str(), VALID);
    }

    #[test]
    fn lowercase_and_full_width_are_normalised() {
        assert_eq!(Uscc::parse("91350100m000100y43").unwrap().as_str(), VALID);
        assert_eq!(Uscc::parse(" ９１３５０１００Ｍ０００１００Ｙ４３　").unwrap().as_str(), VALID);
    }

    #[test]
    fn every_single_character_corruption_is_detected() {
        let alphabet: Vec<char> = ALPHABET.iter().map(|&b| b as char).collect();
        for pos in 0..18 {
            for &c in &alphabet {
                let mut chars: Vec<char> = VALID.chars().collect();
                if chars[pos] == c {
                    continue;
                }
                chars[pos] = c;
                let s: String = chars.into_iter().collect();
                assert!(Uscc::parse(&s).is_err(), "corruption at {pos} to {c} accepted: {s}");
            }
        }
    }

    #[test]
    fn errors_name_the_problem_in_chinese() {
        let e = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(e.to_string(), "统一社会信用代码「91350100M000100Y44」校验位错误：第18位应为「3」，实为「4」");
        let e = Uscc::parse("9135").unwrap_err();
        assert!(e.to_string().contains("应为18位，实为4位"));
        let e = Uscc::parse("91350100I000100Y43").unwrap_err();
        assert!(e.to_string().contains("第9位「I」"));
    }

    #[test]
    fn organisation_code_check() {
        // GB 11714 worked example.
        assert!(org_code_is_valid("D2143569X"));
        assert!(!org_code_is_valid("D21435691"));
        assert!(Uscc::parse_strict(VALID).is_ok(), "M000100Y4 checks under GB 11714");
        let bad_org = Uscc::complete("91210381D21435691").unwrap();
        assert!(Uscc::parse(bad_org.as_str()).is_ok());
        let e = Uscc::parse_strict(bad_org.as_str()).unwrap_err();
        assert!(e.to_string().contains("组织机构代码校验位错误：应为「X」"), "{e}");
        let u = Uscc::complete("91210381D2143569X").unwrap();
        assert_eq!(Uscc::parse_strict(u.as_str()).unwrap(), u);
        assert_eq!(u.region_code(), "210381");
        assert_eq!(u.org_code(), "D2143569X");
    }

    proptest! {
        #[test]
        fn completed_codes_always_validate(body in "[0-9A-HJ-NP-RTUW-Y]{17}") {
            let u = Uscc::complete(&body).unwrap();
            prop_assert_eq!(Uscc::parse(u.as_str()).unwrap(), u);
        }

        #[test]
        fn transpositions_of_distinct_neighbours_are_detected(body in "[0-9A-HJ-NP-RTUW-Y]{17}", i in 0usize..16) {
            let u = Uscc::complete(&body).unwrap();
            let mut b = u.as_str().as_bytes().to_vec();
            prop_assume!(b[i] != b[i + 1]);
            b.swap(i, i + 1);
            let s = String::from_utf8(b).unwrap();
            prop_assert!(Uscc::parse(&s).is_err());
        }
    }
}
