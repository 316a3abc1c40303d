//! The [`Tokenizer`] as tantivy sees it: tokens carry their place in the original text, so
//! snippets highlight exactly what was written (ＡＺ９１Ｄ, 电熔MgO).

use crate::tokenizer::{Tok, Tokenizer};

/// Name under which the index registers it.
pub const NAME: &str = "periclase_zh";

#[derive(Debug, Clone, Copy)]
pub struct ZhTokenizer(pub &'static Tokenizer);

#[derive(Debug)]
pub struct ZhTokenStream {
    tokens: Vec<Tok>,
    next: usize,
    token: tantivy::tokenizer::Token,
}

impl tantivy::tokenizer::Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        ZhTokenStream { tokens: self.0.analyze(text), next: 0, token: Default::default() }
    }
}

impl tantivy::tokenizer::TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        let Some(t) = self.tokens.get_mut(self.next) else { return false };
        self.token.text = std::mem::take(&mut t.text);
        self.token.offset_from = t.span.start;
        self.token.offset_to = t.span.end;
        self.token.position = self.next;
        self.token.position_length = 1;
        self.next += 1;
        true
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        &mut self.token
    }
}
