//! Input clean-up applied to every cell before validation.

/// Full-width ASCII digits, letters and the ideographic space become half-width, and
/// surrounding whitespace is trimmed. Punctuation such as （） stays: enterprise names are
/// registered with full-width brackets and must round-trip unchanged.
pub fn normalize_cell(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        out.push(half_width(c));
    }
    let trimmed = out.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

fn half_width(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_half_width() {
        assert_eq!(
            normalize_cell("　９１３５０１００Ｍ０００１００ｙ４３ "),
            "91350100M000100y43"
        );
    }

    #[test]
    fn chinese_punctuation_is_kept() {
        assert_eq!(
            normalize_cell("营口示例（鲅鱼圈）耐火材料有限公司"),
            "营口示例（鲅鱼圈）耐火材料有限公司"
        );
    }

    #[test]
    fn bom_and_tabs_are_trimmed() {
        assert_eq!(normalize_cell("\u{feff}\t鞍山 \r\n"), "鞍山");
    }
}
