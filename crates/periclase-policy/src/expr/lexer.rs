//! Tokens of the condition language (a subset of CEL), each with its line and column
//! (1-based, counted in characters) inside the expression text.

use super::{Pos, SyntaxError};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    True,
    False,
    Null,
    In,
    /// `( ) [ ] , . ? : ! - + * / % < <= > >= == != && ||`
    Sym(&'static str),
    End,
}

const SYMBOLS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", ",", ".", "?", ":", "!", "-", "+", "*", "/", "%", "<", ">",
];

pub fn tokens(src: &str) -> Result<Vec<(Tok, Pos)>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let advance = |i: &mut usize, line: &mut u32, col: &mut u32, n: usize, chars: &[char]| {
        for c in &chars[*i..*i + n] {
            if *c == '\n' {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
        }
        *i += n;
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col, 1, &chars);
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            let n = chars[i..].iter().take_while(|&&c| c != '\n').count();
            advance(&mut i, &mut line, &mut col, n, &chars);
            continue;
        }
        if c.is_ascii_digit() {
            let n = chars[i..].iter().take_while(|c| c.is_ascii_digit() || **c == '.' || **c == '_').count();
            let text: String = chars[i..i + n].iter().filter(|&&c| c != '_').collect();
            let value = text.parse::<f64>().map_err(|_| SyntaxError::new(pos, format!("数字「{text}」写法不对")))?;
            out.push((Tok::Num(value), pos));
            advance(&mut i, &mut line, &mut col, n, &chars);
            continue;
        }
        if c == '"' || c == '\'' {
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None | Some('\n') => return Err(SyntaxError::new(pos, "字符串缺少结尾的引号".into())),
                    Some(&q) if q == c => break,
                    Some('\\') => {
                        match chars.get(j + 1) {
                            Some('n') => text.push('\n'),
                            Some(&e @ ('\\' | '"' | '\'')) => text.push(e),
                            _ => return Err(SyntaxError::new(pos, "字符串中的转义写法不对".into())),
                        }
                        j += 2;
                    }
                    Some(&other) => {
                        text.push(other);
                        j += 1;
                    }
                }
            }
            out.push((Tok::Str(text), pos));
            let n = j + 1 - i;
            advance(&mut i, &mut line, &mut col, n, &chars);
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let n = chars[i..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').count();
            let word: String = chars[i..i + n].iter().collect();
            let tok = match word.as_str() {
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                "in" => Tok::In,
                _ => Tok::Ident(word),
            };
            out.push((tok, pos));
            advance(&mut i, &mut line, &mut col, n, &chars);
            continue;
        }
        let rest: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            Some(s) => {
                out.push((Tok::Sym(s), pos));
                advance(&mut i, &mut line, &mut col, s.chars().count(), &chars);
            }
            None => return Err(SyntaxError::new(pos, format!("不认识的符号「{c}」"))),
        }
    }
    out.push((Tok::End, Pos { line, col }));
    Ok(out)
}
