//! Type checking of a parsed condition against the schema and the policy's parameters, so a
//! misspelt field or a comparison of text with a number is reported when the policy is
//! loaded, with line and column, never while an enterprise is evaluated.

use std::collections::HashMap;

use crate::expr::{BinOp, Expr, ExprKind, Pos, UnOp};
use crate::schema::{Schema, Ty};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pos}：{message}")]
pub struct TypeError {
    pub pos: Pos,
    pub message: String,
}

fn err<T>(pos: Pos, message: String) -> Result<T, TypeError> {
    Err(TypeError { pos, message })
}

/// The names functions answer to, for error messages.
const FUNCTIONS: &str = "has、size、min、max、years_since、date";

#[derive(Debug)]
pub struct Checker<'a> {
    pub schema: &'a Schema,
    /// Parameter name (without `params.`) → type.
    pub params: &'a HashMap<String, Ty>,
}

impl Checker<'_> {
    pub fn check(&self, e: &Expr) -> Result<Ty, TypeError> {
        match &e.kind {
            ExprKind::Num(_) => Ok(Ty::Num),
            ExprKind::Str(_) => Ok(Ty::Text),
            ExprKind::Bool(_) => Ok(Ty::Bool),
            ExprKind::Null => err(e.pos, "不能直接使用 null；判断是否填报请用 has(字段)".into()),
            ExprKind::List(items) => {
                for item in items {
                    if !matches!(item.kind, ExprKind::Str(_)) {
                        return err(item.pos, "列表中只能写文本，如 [\"210381\", \"210882\"]".into());
                    }
                }
                Ok(Ty::List)
            }
            ExprKind::Path(path) => self.path(e.pos, path),
            ExprKind::Unary(op, a) => {
                let want = if *op == UnOp::Not { Ty::Bool } else { Ty::Num };
                self.expect(a, want, if *op == UnOp::Not { "「!」" } else { "负号" })?;
                Ok(want)
            }
            ExprKind::Binary(op, a, b) => self.binary(e.pos, *op, a, b),
            ExprKind::Cond(c, yes, no) => {
                self.expect(c, Ty::Bool, "「?」之前的条件")?;
                let t = self.check(yes)?;
                if !matches!(t, Ty::Num | Ty::Bool) {
                    return err(yes.pos, format!("「? :」的两个结果应为数值或是/否，这里是{}", t.label()));
                }
                self.expect(no, t, "「:」之后的结果")?;
                Ok(t)
            }
            ExprKind::Call(name, args) => self.call(e.pos, name, args),
            ExprKind::Method(target, name, args) => {
                self.expect(target, Ty::Text, &format!("「.{name}()」之前的字段"))?;
                if !matches!(name.as_str(), "startsWith" | "endsWith" | "contains") {
                    return err(e.pos, format!("文本没有方法「{name}」；可用 startsWith、endsWith、contains"));
                }
                self.arity(e.pos, name, args, 1)?;
                self.expect(&args[0], Ty::Text, &format!("「{name}」的参数"))?;
                Ok(Ty::Bool)
            }
        }
    }

    fn path(&self, pos: Pos, path: &[String]) -> Result<Ty, TypeError> {
        let joined = path.join(".");
        if path.first().map(String::as_str) == Some("params") {
            let name = path[1..].join(".");
            return match self.params.get(&name) {
                Some(t) => Ok(*t),
                None => {
                    let known: Vec<&str> = self.params.keys().map(String::as_str).collect();
                    err(
                        pos,
                        format!(
                            "没有参数「{name}」；本政策的参数有：{}",
                            if known.is_empty() { "（无）".into() } else { known.join("、") }
                        ),
                    )
                }
            };
        }
        match self.schema.get(&joined) {
            Some(f) => Ok(f.ty),
            None => match self.schema.nearest(&joined) {
                Some(near) => err(pos, format!("没有字段「{joined}」，是否想写「{}」（{}）？", near.path, near.label)),
                None => {
                    err(pos, format!("没有字段「{joined}」；字段以 enterprise. 或 project. 开头，参数以 params. 开头"))
                }
            },
        }
    }

    fn expect(&self, e: &Expr, want: Ty, what: &str) -> Result<(), TypeError> {
        let got = self.check(e)?;
        if got == want {
            Ok(())
        } else {
            err(e.pos, format!("{what}应为{}，这里是{}", want.label(), got.label()))
        }
    }

    fn binary(&self, pos: Pos, op: BinOp, a: &Expr, b: &Expr) -> Result<Ty, TypeError> {
        let sym = op.symbol();
        match op {
            BinOp::And | BinOp::Or => {
                self.expect(a, Ty::Bool, &format!("「{sym}」左边"))?;
                self.expect(b, Ty::Bool, &format!("「{sym}」右边"))?;
                Ok(Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                self.expect(a, Ty::Num, &format!("「{sym}」左边"))?;
                self.expect(b, Ty::Num, &format!("「{sym}」右边"))?;
                Ok(Ty::Num)
            }
            BinOp::In => {
                self.expect(a, Ty::Text, "「in」左边")?;
                self.expect(b, Ty::List, "「in」右边")?;
                Ok(Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let left = self.check(a)?;
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                if ordered && !matches!(left, Ty::Num | Ty::Date) {
                    return err(pos, format!("「{sym}」只能比较数值或日期，左边是{}", left.label()));
                }
                if left == Ty::List {
                    return err(pos, format!("列表不能用「{sym}」比较；判断是否包含请用 in"));
                }
                self.expect(b, left, &format!("「{sym}」右边"))?;
                Ok(Ty::Bool)
            }
        }
    }

    fn arity(&self, pos: Pos, name: &str, args: &[Expr], n: usize) -> Result<(), TypeError> {
        if args.len() == n {
            Ok(())
        } else {
            err(pos, format!("「{name}」需要{n}个参数，这里有{}个", args.len()))
        }
    }

    fn call(&self, pos: Pos, name: &str, args: &[Expr]) -> Result<Ty, TypeError> {
        match name {
            "has" => {
                self.arity(pos, name, args, 1)?;
                if !matches!(args[0].kind, ExprKind::Path(_)) {
                    return err(args[0].pos, "has() 的参数应为字段，如 has(enterprise.revenue)".into());
                }
                self.check(&args[0])?;
                Ok(Ty::Bool)
            }
            "size" => {
                self.arity(pos, name, args, 1)?;
                match self.check(&args[0])? {
                    Ty::List | Ty::Text => Ok(Ty::Num),
                    t => err(args[0].pos, format!("size() 的参数应为列表或文本，这里是{}", t.label())),
                }
            }
            "min" | "max" => {
                if args.len() < 2 {
                    return err(pos, format!("「{name}」至少需要2个参数"));
                }
                for a in args {
                    self.expect(a, Ty::Num, &format!("「{name}」的参数"))?;
                }
                Ok(Ty::Num)
            }
            "years_since" => {
                self.arity(pos, name, args, 1)?;
                self.expect(&args[0], Ty::Date, "years_since() 的参数")?;
                Ok(Ty::Num)
            }
            "date" => {
                self.arity(pos, name, args, 1)?;
                match &args[0].kind {
                    ExprKind::Str(s) if crate::date::parse(s).is_some() => Ok(Ty::Date),
                    _ => err(args[0].pos, "date() 的参数应为日期文本，如 date(\"2025-01-01\")".into()),
                }
            }
            _ => err(pos, format!("没有函数「{name}」；可用的函数：{FUNCTIONS}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn check(src: &str) -> Result<Ty, TypeError> {
        let schema = Schema::standard();
        let params: HashMap<String, Ty> = [("rate".to_string(), Ty::Num)].into();
        Checker { schema: &schema, params: &params }.check(&parse(src).unwrap())
    }

    #[test]
    fn well_typed_conditions() {
        for src in [
            "enterprise.rd_spend / enterprise.revenue >= params.rate",
            "\"specialized_sme\" in enterprise.honours || enterprise.region.startsWith(\"2103\")",
            "years_since(enterprise.founded) >= 2 && has(enterprise.employees)",
            "project.total_investment * params.rate",
            "enterprise.founded < date(\"2020-01-01\")",
            "min(project.total_investment * params.rate, 1000)",
            "enterprise.revenue > 5000 ? 3 : 5",
        ] {
            assert!(check(src).is_ok(), "{src}: {:?}", check(src));
        }
    }

    #[test]
    fn type_errors_name_the_place_and_the_fix() {
        let cases = [
            ("enterprise.revenu >= 1", 1, 1, "是否想写「enterprise.revenue」"),
            ("enterprise.name >= 3", 1, 17, "只能比较数值或日期"),
            ("enterprise.revenue == \"多\"", 1, 23, "右边应为数值"),
            ("params.ratio > 1", 1, 1, "本政策的参数有：rate"),
            ("enterprise.revenue && true", 1, 1, "左边应为是/否"),
            ("enterprise.name in [\"a\", 3]", 1, 26, "列表中只能写文本"),
            ("average(enterprise.revenue)", 1, 1, "没有函数「average」"),
            ("enterprise.region.has(\"21\")", 1, 19, "没有方法「has」"),
            ("date(\"2025-02-30\") > enterprise.founded", 1, 6, "应为日期文本"),
        ];
        for (src, line, col, text) in cases {
            let e = check(src).unwrap_err();
            assert_eq!((e.pos.line, e.pos.col), (line, col), "{src}: {e}");
            assert!(e.message.contains(text), "{src}: {e}");
        }
    }
}
