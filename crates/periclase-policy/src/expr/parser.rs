//! Precedence climbing over the tokens, loosest first: `?:`, `||`, `&&`, comparisons and
//! `in`, `+ -`, `* / %`, unary `! -`, then paths, calls, methods and literals.

use super::lexer::{tokens, Tok};
use super::{BinOp, Expr, ExprKind, Pos, SyntaxError, UnOp};

pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = tokens(src)?;
    let mut p = Parser { toks, at: 0 };
    let e = p.ternary()?;
    match p.peek() {
        Tok::End => Ok(e),
        other => Err(SyntaxError::new(p.pos(), format!("多余的内容「{}」", describe(other)))),
    }
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    at: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => n.to_string(),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Ident(s) => s.clone(),
        Tok::True => "true".into(),
        Tok::False => "false".into(),
        Tok::Null => "null".into(),
        Tok::In => "in".into(),
        Tok::Sym(s) => (*s).into(),
        Tok::End => "结尾".into(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    fn pos(&self) -> Pos {
        self.toks[self.at].1
    }

    fn bump(&mut self) -> (Tok, Pos) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(s) if *s == sym) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), SyntaxError> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(SyntaxError::new(self.pos(), format!("此处应为「{sym}」，却是「{}」", describe(self.peek()))))
        }
    }

    fn ternary(&mut self) -> Result<Expr, SyntaxError> {
        let cond = self.binary(0)?;
        if !self.eat("?") {
            return Ok(cond);
        }
        let yes = self.ternary()?;
        self.expect(":")?;
        let no = self.ternary()?;
        let pos = cond.pos;
        Ok(Expr { kind: ExprKind::Cond(Box::new(cond), Box::new(yes), Box::new(no)), pos })
    }

    fn operator(&self) -> Option<(BinOp, u8)> {
        Some(match self.peek() {
            Tok::Sym("||") => (BinOp::Or, 0),
            Tok::Sym("&&") => (BinOp::And, 1),
            Tok::Sym("==") => (BinOp::Eq, 2),
            Tok::Sym("!=") => (BinOp::Ne, 2),
            Tok::Sym("<") => (BinOp::Lt, 2),
            Tok::Sym("<=") => (BinOp::Le, 2),
            Tok::Sym(">") => (BinOp::Gt, 2),
            Tok::Sym(">=") => (BinOp::Ge, 2),
            Tok::In => (BinOp::In, 2),
            Tok::Sym("+") => (BinOp::Add, 3),
            Tok::Sym("-") => (BinOp::Sub, 3),
            Tok::Sym("*") => (BinOp::Mul, 4),
            Tok::Sym("/") => (BinOp::Div, 4),
            Tok::Sym("%") => (BinOp::Rem, 4),
            _ => return None,
        })
    }

    fn binary(&mut self, min: u8) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        while let Some((op, level)) = self.operator() {
            if level < min {
                break;
            }
            let pos = self.pos();
            self.bump();
            // Comparisons do not chain (`a < b < c` is an error, as in CEL).
            let right = self.binary(level + 1)?;
            if level == 2 && matches!(self.operator(), Some((_, 2))) {
                return Err(SyntaxError::new(self.pos(), "比较不能连写，请用 && 连接两个比较".into()));
            }
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), pos };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        let op = if self.eat("!") {
            UnOp::Not
        } else if self.eat("-") {
            UnOp::Neg
        } else {
            return self.postfix();
        };
        let inner = self.unary()?;
        Ok(Expr { kind: ExprKind::Unary(op, Box::new(inner)), pos })
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.primary()?;
        while self.eat(".") {
            let pos = self.pos();
            let name = match self.bump().0 {
                Tok::Ident(name) => name,
                other => return Err(SyntaxError::new(pos, format!("「.」之后应为名称，却是「{}」", describe(&other)))),
            };
            if self.eat("(") {
                let args = self.args(")")?;
                e = Expr { kind: ExprKind::Method(Box::new(e), name, args), pos };
            } else if let ExprKind::Path(path) = &mut e.kind {
                path.push(name);
            } else {
                return Err(SyntaxError::new(pos, format!("「{name}」只能跟在字段名之后")));
            }
        }
        Ok(e)
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = Vec::new();
        if self.eat(close) {
            return Ok(args);
        }
        loop {
            args.push(self.ternary()?);
            if self.eat(close) {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (tok, pos) = self.bump();
        let kind = match tok {
            Tok::Num(n) => ExprKind::Num(n),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Null => ExprKind::Null,
            Tok::Sym("(") => {
                let e = self.ternary()?;
                self.expect(")")?;
                return Ok(e);
            }
            Tok::Sym("[") => ExprKind::List(self.args("]")?),
            Tok::Ident(name) => {
                if self.eat("(") {
                    ExprKind::Call(name, self.args(")")?)
                } else {
                    ExprKind::Path(vec![name])
                }
            }
            other => {
                return Err(SyntaxError::new(pos, format!("此处应为数值、字段或括号，却是「{}」", describe(&other))))
            }
        };
        Ok(Expr { kind, pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(n) => n.to_string(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Null => "null".into(),
            ExprKind::List(items) => format!("[{}]", items.iter().map(shape).collect::<Vec<_>>().join(" ")),
            ExprKind::Path(p) => p.join("."),
            ExprKind::Unary(op, a) => format!("({op:?} {})", shape(a)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), shape(a), shape(b)),
            ExprKind::Cond(a, b, c) => format!("(? {} {} {})", shape(a), shape(b), shape(c)),
            ExprKind::Call(f, args) => format!("{f}({})", args.iter().map(shape).collect::<Vec<_>>().join(" ")),
            ExprKind::Method(a, m, args) => {
                format!("{}.{m}({})", shape(a), args.iter().map(shape).collect::<Vec<_>>().join(" "))
            }
        }
    }

    #[test]
    fn precedence_follows_cel() {
        let cases = [
            ("a || b && c", "(|| a (&& b c))"),
            ("!a && b", "(&& (Not a) b)"),
            ("x.y + 2 * 3 >= 10", "(>= (+ x.y (* 2 3)) 10)"),
            ("e.r in [\"21\", '34']", "(in e.r [\"21\" \"34\"])"),
            ("a ? b : c ? d : e", "(? a b (? c d e))"),
            ("-x.v * 2", "(* (Neg x.v) 2)"),
            ("e.region.startsWith(\"21\")", "e.region.startsWith(\"21\")"),
            ("has(e.revenue) && min(a, 1_000) < 5", "(&& has(e.revenue) (< min(a 1000) 5))"),
        ];
        for (src, want) in cases {
            assert_eq!(shape(&parse(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn errors_say_where() {
        let cases = [
            ("a &&", 1, 5),
            ("a >= 1 >= 2", 1, 8),
            ("enterprise.revenue >=\n  5000 #", 2, 8),
            ("\"unclosed", 1, 1),
            ("(a", 1, 3),
            ("f(a b)", 1, 5),
        ];
        for (src, line, col) in cases {
            let err = parse(src).unwrap_err();
            assert_eq!((err.pos.line, err.pos.col), (line, col), "{src}: {err}");
        }
        assert_eq!(parse("a >= 1 >= 2").unwrap_err().to_string(), "第1行第8列：比较不能连写，请用 && 连接两个比较");
    }

    #[test]
    fn paths_are_listed_once_in_order() {
        let e = parse("enterprise.rd_spend / enterprise.revenue >= params.rate && enterprise.revenue > 0").unwrap();
        assert_eq!(e.paths(), ["enterprise.rd_spend", "enterprise.revenue", "params.rate"]);
    }
}
