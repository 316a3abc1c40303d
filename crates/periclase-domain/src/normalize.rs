//! Input clean-up applied to every cell before validation.

/// Full-width ASCII digits, letters and the ideographic space become half-width, and
/// surrounding whitespace is trimmed. Punctuation such as （） stays: enterprise names are
/// registered with full-width brackets and must round-trip unchanged.
pub fn normalize_cell(raw: &str) -> String {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    // Fast path (almost every cell): nothing full-width inside, so a plain copy will do.
    if !has_full_width(trimmed) {
        return trimmed.to_string();
    }
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        out.push(half_width(c));
    }
    // The ideographic space becomes a plain one, which may now need trimming.
    let again = out.trim();
    if again.len() == out.len() {
        out
    } else {
        again.to_string()
    }
}

/// True when the text contains U+FF01–U+FF5E or U+3000 (their UTF-8 starts EF BC/EF BD, or
/// is E3 80 80).
fn has_full_width(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2).any(|w| w[0] == 0xEF && (w[1] == 0xBC || w[1] == 0xBD))
        || b.windows(3).any(|w| w == [0xE3, 0x80, 0x80])
}

fn half_width(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_half_width() {
        assert_eq!(normalize_cell("　９１３５０１００Ｍ０００１００ｙ４３ "), "91350100M000100y43");
    }

    #[test]
    fn chinese_punctuation_is_kept() {
        assert_eq!(normalize_cell("营口示例（鲅鱼圈）耐火材料有限公司"), "营口示例（鲅鱼圈）耐火材料有限公司");
    }

    #[test]
    fn bom_and_tabs_are_trimmed() {
        assert_eq!(normalize_cell("\u{feff}\t鞍山 \r\n"), "鞍山");
    }
}
