//! Column-wise evaluation with three-valued logic: every expression is evaluated over all
//! rows of a [`Frame`] at once, and a missing value is unknown (`None`), never false.
//! `!`, `&&` and `||` follow Kleene's logic (false && unknown is false; true || unknown is
//! true); a comparison or arithmetic with an unknown operand is unknown; `has(x)` is the
//! only way to ask whether a value is there, and is never unknown.
//! Expressions are type-checked first ([`crate::check`]); evaluation relies on it.

use std::borrow::Cow;
use std::collections::HashMap;

pub use periclase_domain::frame::{Column, Frame};

use crate::expr::{BinOp, Expr, ExprKind, UnOp};

/// A parameter's value on the evaluation date.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Num(f64),
    Text(String),
    Bool(bool),
    List(Vec<String>),
}

/// What expressions read besides the frame.
#[derive(Debug, Clone)]
pub struct Env<'a> {
    pub frame: &'a Frame,
    pub params: &'a HashMap<String, Scalar>,
    /// The evaluation date (day number): `years_since` counts to it.
    pub today: i32,
    /// The frame rows evaluated (all of them, or one thread's share).
    pub rows: std::ops::Range<usize>,
    /// Numeric columns already in evaluation form ([`Numbers`]); others are converted
    /// where they are read.
    pub numbers: Option<&'a Numbers>,
}

impl<'a> Env<'a> {
    /// Every row of `frame`.
    pub fn new(frame: &'a Frame, params: &'a HashMap<String, Scalar>, today: i32) -> Env<'a> {
        Env { frame, params, today, rows: 0..frame.len, numbers: None }
    }
}

/// A frame's numeric columns with unknown values as NaN, converted once for a whole batch
/// (every policy, every reference) instead of at each reference.
#[derive(Debug, Default)]
pub struct Numbers(HashMap<String, Vec<f64>>);

impl Numbers {
    /// The numeric columns of `frame` among `paths`.
    pub fn of(frame: &Frame, paths: &[String]) -> Numbers {
        Numbers(
            paths
                .iter()
                .filter_map(|p| match frame.columns.get(p) {
                    Some(Column::Num(v)) => Some((p.clone(), v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())),
                    _ => None,
                })
                .collect(),
        )
    }
}

/// An evaluated expression: a column, or one value for every row.
#[derive(Debug, Clone)]
pub enum Out<'a> {
    /// NaN marks an unknown value: arithmetic then carries it without a branch per row
    /// (figures are never NaN: the registries accept numbers only).
    Num(Cow<'a, [f64]>),
    NumAll(Option<f64>),
    Bool(Cow<'a, [Option<bool>]>),
    BoolAll(Option<bool>),
    Text(&'a [Option<String>]),
    TextAll(Option<String>),
    Date(&'a [Option<i32>]),
    DateAll(Option<i32>),
    List(&'a [Option<Vec<String>>]),
    ListAll(Vec<String>),
}

impl Out<'_> {
    fn num(&self, i: usize) -> Option<f64> {
        match self {
            Out::Num(v) => Some(v[i]).filter(|x| !x.is_nan()),
            Out::NumAll(x) => *x,
            _ => None,
        }
    }

    pub fn bool(&self, i: usize) -> Option<bool> {
        match self {
            Out::Bool(v) => v[i],
            Out::BoolAll(x) => *x,
            _ => None,
        }
    }

    fn text(&self, i: usize) -> Option<&str> {
        match self {
            Out::Text(v) => v[i].as_deref(),
            Out::TextAll(x) => x.as_deref(),
            _ => None,
        }
    }

    fn date(&self, i: usize) -> Option<i32> {
        match self {
            Out::Date(v) => v[i],
            Out::DateAll(x) => *x,
            _ => None,
        }
    }

    fn list(&self, i: usize) -> Option<&[String]> {
        match self {
            Out::List(v) => v[i].as_deref(),
            Out::ListAll(x) => Some(x),
            _ => None,
        }
    }

    /// The value of row `i` as a number, for amounts and explanations.
    pub fn num_at(&self, i: usize) -> Option<f64> {
        self.num(i)
    }
}

pub fn eval<'a>(e: &Expr, env: &Env<'a>) -> Out<'a> {
    let n = env.rows.len();
    match &e.kind {
        ExprKind::Num(x) => Out::NumAll(Some(*x)),
        ExprKind::Str(s) => Out::TextAll(Some(s.clone())),
        ExprKind::Bool(b) => Out::BoolAll(Some(*b)),
        ExprKind::Null => Out::NumAll(None),
        ExprKind::List(items) => Out::ListAll(
            items
                .iter()
                .filter_map(|i| match &i.kind {
                    ExprKind::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        ),
        ExprKind::Path(path) => path_value(path, env),
        ExprKind::Unary(UnOp::Not, a) => map_bool(eval(a, env), n, |x| x.map(|b| !b)),
        ExprKind::Unary(UnOp::Neg, a) => map_num(eval(a, env), n, |x| x.map(|v| -v)),
        ExprKind::Binary(op, a, b) => binary(*op, eval(a, env), eval(b, env), n),
        ExprKind::Cond(c, yes, no) => {
            let (c, yes, no) = (eval(c, env), eval(yes, env), eval(no, env));
            if matches!(yes, Out::Bool(_) | Out::BoolAll(_)) {
                Out::Bool((0..n).map(|i| c.bool(i).and_then(|c| if c { yes.bool(i) } else { no.bool(i) })).collect())
            } else if let (Out::Bool(c), NumView::All(y), NumView::Col(o)) = (&c, num_view(&yes), num_view(&no)) {
                // The shape of scoring tables: `ratio >= x ? points : (next rung)`.
                let y = y.unwrap_or(f64::NAN);
                Out::Num(
                    c.iter()
                        .zip(o.iter())
                        .map(|(c, o)| match c {
                            Some(true) => y,
                            Some(false) => *o,
                            None => f64::NAN,
                        })
                        .collect(),
                )
            } else {
                Out::Num(
                    (0..n)
                        .map(|i| c.bool(i).and_then(|c| if c { yes.num(i) } else { no.num(i) }).unwrap_or(f64::NAN))
                        .collect(),
                )
            }
        }
        ExprKind::Call(name, args) => call(name, args, env),
        ExprKind::Method(target, name, args) => {
            let (t, arg) = (eval(target, env), eval(&args[0], env));
            let f: fn(&str, &str) -> bool = match name.as_str() {
                "startsWith" => |a, b| a.starts_with(b),
                "endsWith" => |a, b| a.ends_with(b),
                _ => |a, b| a.contains(b),
            };
            Out::Bool((0..n).map(|i| Some(f(t.text(i)?, arg.text(i)?))).collect())
        }
    }
}

fn path_value<'a>(path: &[String], env: &Env<'a>) -> Out<'a> {
    if path[0] == "params" {
        return match env.params.get(&path[1..].join(".")) {
            Some(Scalar::Num(x)) => Out::NumAll(Some(*x)),
            Some(Scalar::Text(s)) => Out::TextAll(Some(s.clone())),
            Some(Scalar::Bool(b)) => Out::BoolAll(Some(*b)),
            Some(Scalar::List(l)) => Out::ListAll(l.clone()),
            None => Out::NumAll(None),
        };
    }
    let r = env.rows.clone();
    let key = path.join(".");
    if let Some(v) = env.numbers.and_then(|n| n.0.get(&key)) {
        return Out::Num(Cow::Borrowed(&v[r]));
    }
    match env.frame.columns.get(&key) {
        Some(Column::Num(v)) => Out::Num(v[r].iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
        Some(Column::Text(v)) => Out::Text(&v[r]),
        Some(Column::Bool(v)) => Out::Bool(Cow::Borrowed(&v[r])),
        Some(Column::Date(v)) => Out::Date(&v[r]),
        Some(Column::List(v)) => Out::List(&v[r]),
        // A field the data source did not supply is unknown for every row.
        None => Out::NumAll(None),
    }
}

fn map_bool<'a>(a: Out<'a>, n: usize, f: impl Fn(Option<bool>) -> Option<bool>) -> Out<'a> {
    match a {
        Out::BoolAll(x) => Out::BoolAll(f(x)),
        other => Out::Bool((0..n).map(|i| f(other.bool(i))).collect()),
    }
}

fn map_num<'a>(a: Out<'a>, n: usize, f: impl Fn(Option<f64>) -> Option<f64>) -> Out<'a> {
    match a {
        Out::NumAll(x) => Out::NumAll(f(x)),
        other => Out::Num((0..n).map(|i| f(other.num(i)).unwrap_or(f64::NAN)).collect()),
    }
}

fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Equal to a relative 1e-12: far below any figure's precision, far above binary rounding.
fn near(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
}

fn compare<T: PartialOrd>(op: BinOp, a: T, b: T) -> bool {
    match op {
        BinOp::Eq => a == b,
        BinOp::Ne => a != b,
        BinOp::Lt => a < b,
        BinOp::Le => a <= b,
        BinOp::Gt => a > b,
        _ => a >= b,
    }
}

fn arith(op: BinOp, a: f64, b: f64) -> Option<f64> {
    let v = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        // Division by zero is unknown, not infinite: a ratio over no revenue says nothing.
        BinOp::Div if b == 0.0 => return None,
        BinOp::Div => a / b,
        BinOp::Rem if b == 0.0 => return None,
        _ => a % b,
    };
    Some(v)
}

/// A numeric operand seen once, so the loops below run over plain slices.
enum NumView<'x> {
    Col(&'x [f64]),
    All(Option<f64>),
}

fn num_view<'x>(o: &'x Out<'_>) -> NumView<'x> {
    match o {
        Out::Num(v) => NumView::Col(v),
        Out::NumAll(x) => NumView::All(*x),
        _ => NumView::All(None),
    }
}

/// Arithmetic row by row; NaN (unknown) in, NaN out — `f` itself returns NaN for what is
/// undefined (division by zero).
fn num_out<'a>(a: &Out<'_>, b: &Out<'_>, n: usize, f: impl Fn(f64, f64) -> f64) -> Out<'a> {
    let f = |x: f64, y: f64| -> f64 { f(x, y) };
    match (num_view(a), num_view(b)) {
        (NumView::All(x), NumView::All(y)) => Out::NumAll(x.zip(y).map(|(x, y)| f(x, y)).filter(|v| !v.is_nan())),
        (NumView::Col(x), NumView::Col(y)) => Out::Num(x.iter().zip(y).map(|(x, y)| f(*x, *y)).collect()),
        (NumView::Col(x), NumView::All(Some(y))) => Out::Num(x.iter().map(|x| f(*x, y)).collect()),
        (NumView::All(Some(x)), NumView::Col(y)) => Out::Num(y.iter().map(|y| f(x, *y)).collect()),
        _ => Out::Num(vec![f64::NAN; n].into()),
    }
}

/// A comparison row by row; unknown if either side is.
fn cmp_out<'a>(a: &Out<'_>, b: &Out<'_>, n: usize, f: impl Fn(f64, f64) -> bool) -> Out<'a> {
    let g = |x: f64, y: f64| -> Option<bool> { (!x.is_nan() && !y.is_nan()).then(|| f(x, y)) };
    match (num_view(a), num_view(b)) {
        (NumView::All(x), NumView::All(y)) => Out::BoolAll(x.zip(y).and_then(|(x, y)| g(x, y))),
        (NumView::Col(x), NumView::Col(y)) => Out::Bool(x.iter().zip(y).map(|(x, y)| g(*x, *y)).collect()),
        (NumView::Col(x), NumView::All(Some(y))) => Out::Bool(x.iter().map(|x| g(*x, y)).collect()),
        (NumView::All(Some(x)), NumView::Col(y)) => Out::Bool(y.iter().map(|y| g(x, *y)).collect()),
        _ => Out::Bool(vec![None; n].into()),
    }
}

fn binary<'a>(op: BinOp, a: Out<'a>, b: Out<'a>, n: usize) -> Out<'a> {
    let is = |o: &Out, k: fn(&Out) -> bool| k(o);
    match op {
        BinOp::And | BinOp::Or => {
            let f = if op == BinOp::And { and } else { or };
            match (&a, &b) {
                (Out::BoolAll(x), Out::BoolAll(y)) => Out::BoolAll(f(*x, *y)),
                (Out::Bool(x), Out::Bool(y)) => Out::Bool(x.iter().zip(y.iter()).map(|(x, y)| f(*x, *y)).collect()),
                _ => Out::Bool((0..n).map(|i| f(a.bool(i), b.bool(i))).collect()),
            }
        }
        BinOp::Add => num_out(&a, &b, n, |x, y| x + y),
        BinOp::Sub => num_out(&a, &b, n, |x, y| x - y),
        BinOp::Mul => num_out(&a, &b, n, |x, y| x * y),
        BinOp::Div | BinOp::Rem => num_out(&a, &b, n, |x, y| arith(op, x, y).unwrap_or(f64::NAN)),
        BinOp::In => Out::Bool(
            (0..n)
                .map(|i| {
                    let item = a.text(i)?;
                    Some(b.list(i)?.iter().any(|x| x == item))
                })
                .collect(),
        ),
        // Figures are decimals: 34.9 / 698 is 0.05 to an official, 0.049999999999999996 in
        // binary. Values within a relative 1e-12 of each other compare as equal, so a ratio
        // exactly at its threshold meets it.
        _ if is(&a, |o| matches!(o, Out::Num(_) | Out::NumAll(_))) => match op {
            BinOp::Eq => cmp_out(&a, &b, n, near),
            BinOp::Ne => cmp_out(&a, &b, n, |x, y| !near(x, y)),
            BinOp::Lt => cmp_out(&a, &b, n, |x, y| x < y && !near(x, y)),
            BinOp::Le => cmp_out(&a, &b, n, |x, y| x <= y || near(x, y)),
            BinOp::Gt => cmp_out(&a, &b, n, |x, y| x > y && !near(x, y)),
            _ => cmp_out(&a, &b, n, |x, y| x >= y || near(x, y)),
        },
        _ => {
            if is(&a, |o| matches!(o, Out::Date(_) | Out::DateAll(_))) {
                Out::Bool((0..n).map(|i| Some(compare(op, a.date(i)?, b.date(i)?))).collect())
            } else if is(&a, |o| matches!(o, Out::Bool(_) | Out::BoolAll(_))) {
                Out::Bool((0..n).map(|i| Some(compare(op, a.bool(i)?, b.bool(i)?))).collect())
            } else {
                Out::Bool((0..n).map(|i| Some(compare(op, a.text(i)?, b.text(i)?))).collect())
            }
        }
    }
}

fn call<'a>(name: &str, args: &[Expr], env: &Env<'a>) -> Out<'a> {
    let n = env.rows.len();
    match name {
        "has" => {
            let ExprKind::Path(path) = &args[0].kind else { return Out::BoolAll(Some(false)) };
            if path[0] == "params" {
                return Out::BoolAll(Some(env.params.contains_key(&path[1..].join("."))));
            }
            match env.frame.columns.get(&path.join(".")) {
                Some(c) => Out::Bool(env.rows.clone().map(|i| Some(c.known(i))).collect()),
                None => Out::BoolAll(Some(false)),
            }
        }
        "size" => {
            let a = eval(&args[0], env);
            Out::Num(
                (0..n)
                    .map(|i| match &a {
                        Out::List(_) | Out::ListAll(_) => a.list(i).map_or(f64::NAN, |l| l.len() as f64),
                        _ => a.text(i).map_or(f64::NAN, |t| t.chars().count() as f64),
                    })
                    .collect(),
            )
        }
        "min" | "max" => {
            let outs: Vec<Out> = args.iter().map(|a| eval(a, env)).collect();
            let pick = if name == "min" { f64::min } else { f64::max };
            Out::Num(
                (0..n)
                    .map(|i| {
                        let mut values = outs.iter().map(|o| o.num(i));
                        let first = values.next().flatten();
                        first.and_then(|f| values.try_fold(f, |acc, x| Some(pick(acc, x?)))).unwrap_or(f64::NAN)
                    })
                    .collect(),
            )
        }
        "years_since" => {
            let a = eval(&args[0], env);
            // The evaluation date's calendar parts once, not per row.
            let (ty, tm, td) = crate::date::civil(env.today);
            let years = |d: i32| {
                let (y, m, dd) = crate::date::civil(d);
                f64::from(ty - y - i32::from((tm, td) < (m, dd)))
            };
            Out::Num((0..n).map(|i| a.date(i).map_or(f64::NAN, years)).collect())
        }
        "date" => match &args[0].kind {
            ExprKind::Str(s) => Out::DateAll(crate::date::parse(s)),
            _ => Out::DateAll(None),
        },
        _ => Out::BoolAll(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn frame() -> Frame {
        Frame::new(3)
            .with("enterprise.revenue", Column::Num(vec![Some(6000.0), None, Some(100.0)]))
            .with("enterprise.rd_spend", Column::Num(vec![Some(300.0), Some(10.0), None]))
            .with("enterprise.honours", Column::List(vec![Some(vec!["specialized_sme".into()]), Some(vec![]), None]))
            .with("enterprise.region", Column::Text(vec![Some("210381".into()), Some("340100".into()), None]))
    }

    fn run(src: &str) -> Vec<Option<bool>> {
        let f = frame();
        let params = HashMap::from([("rate".to_string(), Scalar::Num(0.03))]);
        let env = Env::new(&f, &params, crate::date::parse("2025-06-30").unwrap());
        let out = eval(&parse(src).unwrap(), &env);
        (0..3).map(|i| out.bool(i)).collect()
    }

    #[test]
    fn kleene_truth_tables() {
        let t = Some(true);
        let f = Some(false);
        let u = None;
        for (a, b, want_and, want_or) in
            [(t, t, t, t), (t, f, f, t), (t, u, u, t), (f, f, f, f), (f, u, f, u), (u, u, u, u)]
        {
            assert_eq!(and(a, b), want_and, "{a:?} && {b:?}");
            assert_eq!(and(b, a), want_and, "{b:?} && {a:?}");
            assert_eq!(or(a, b), want_or, "{a:?} || {b:?}");
            assert_eq!(or(b, a), want_or, "{b:?} || {a:?}");
        }
    }

    #[test]
    fn missing_values_are_unknown_not_false() {
        assert_eq!(run("enterprise.revenue >= 5000"), [Some(true), None, Some(false)]);
        assert_eq!(run("!(enterprise.revenue >= 5000)"), [Some(false), None, Some(true)]);
        assert_eq!(run("enterprise.rd_spend / enterprise.revenue >= params.rate"), [Some(true), None, None]);
        // false && unknown is false; true || unknown is true.
        assert_eq!(run("enterprise.revenue >= 5000 && enterprise.rd_spend > 0"), [Some(true), None, Some(false)]);
        assert_eq!(run("enterprise.rd_spend > 5 || enterprise.revenue > 0"), [Some(true), Some(true), Some(true)]);
        assert_eq!(run("has(enterprise.revenue)"), [Some(true), Some(false), Some(true)]);
        assert_eq!(run("\"specialized_sme\" in enterprise.honours"), [Some(true), Some(false), None]);
        assert_eq!(run("enterprise.region.startsWith(\"21\")"), [Some(true), Some(false), None]);
        assert_eq!(run("enterprise.region in [\"340100\", \"210381\"]"), [Some(true), Some(true), None]);
        // A field no data source supplied is unknown everywhere.
        assert_eq!(run("enterprise.debt_ratio <= 70"), [None, None, None]);
        // Division by zero is unknown.
        assert_eq!(run("enterprise.rd_spend / 0 > 1"), [None, None, None]);
        assert_eq!(run("min(enterprise.revenue, 200) == 200"), [Some(true), None, Some(false)]);
        // A ratio exactly at its threshold meets it, whatever binary rounding says
        // (34.9 / 698 = 0.049999999999999996 in f64).
        assert_eq!(run("34.9 / 698 >= 0.05"), [Some(true); 3]);
        assert_eq!(run("34.9 / 698 < 0.05"), [Some(false); 3]);
        assert_eq!(run("0.1 + 0.2 == 0.3"), [Some(true); 3]);
        assert_eq!(run("0.3 > 0.1 + 0.2"), [Some(false); 3]);
    }
}
