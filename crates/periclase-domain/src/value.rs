//! Cell values and the parsers that turn user text into them.

use std::fmt;

/// One validated cell. Dates are ISO `YYYY-MM-DD` text; lists are `；`-joined text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }
}

/// Renders the value as a user would type it back in: round-trips through the parsers.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Text(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            // Rust prints the shortest representation that parses back to the same f64.
            Value::Real(r) => write!(f, "{r}"),
        }
    }
}

/// Parses a non-negative decimal: "1,234.5", "1234", "65%" (when `percent`).
pub fn parse_amount(v: &str, percent: bool) -> Option<f64> {
    let mut s: String = v.chars().filter(|c| *c != ',' && *c != '，' && !c.is_whitespace()).collect();
    if percent {
        if let Some(stripped) = s.strip_suffix('%').or_else(|| s.strip_suffix('％')) {
            s = stripped.to_string();
        }
    }
    if s.is_empty()
        || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+' || b == b'-')
    {
        return None;
    }
    let x: f64 = s.parse().ok()?;
    (x.is_finite() && x >= 0.0).then_some(if x == 0.0 { 0.0 } else { x })
}

/// Parses a non-negative integer; "12.0" (how Excel hands numbers over) is accepted.
pub fn parse_count(v: &str) -> Option<i64> {
    let s: String = v.chars().filter(|c| *c != ',' && *c != '，').collect();
    if let Ok(i) = s.parse::<i64>() {
        return (i >= 0).then_some(i);
    }
    let x = parse_amount(&s, false)?;
    (x.fract() == 0.0 && x < 9.0e15).then_some(x as i64)
}

pub fn parse_year(v: &str) -> Option<i64> {
    let s = v.strip_suffix('年').unwrap_or(v);
    let y = parse_count(s)?;
    (1900..=2100).contains(&y).then_some(y)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses "2024-01-05", "2024/1/5", "2024.1.5", "2024年1月5日", "20240105" to ISO form.
pub fn parse_date(v: &str) -> Option<String> {
    let s = v.trim();
    let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[..4], &s[4..6], &s[6..]]
    } else {
        let s = s.strip_suffix('日').unwrap_or(s);
        // A time part, as in "2024-01-05 00:00:00", is dropped only when it is midnight.
        let s = match s.split_once(' ') {
            Some((d, t)) if t.trim_start_matches(['0', ':']).is_empty() => d,
            Some(_) => return None,
            None => s,
        };
        s.split(['-', '/', '.', '年', '月']).collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Converts an Excel serial date (1900 system) to ISO text.
pub fn excel_serial_to_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) || serial.fract() != 0.0 {
        return None;
    }
    // Serial 60 is Excel's phantom 1900-02-29; days after it are offset by one.
    let mut days = serial as i64;
    if days > 60 {
        days -= 1;
    }
    // Days since 1899-12-31; day 25,568 is 1970-01-01.
    let (y, m, d) = crate::day::civil((days - 25_568) as i32);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        "否" | "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Splits a list cell on the separators people type (；;、,，) and rejoins with `；`.
pub fn normalize_list(v: &str) -> String {
    v.split(['；', ';', '、', ',', '，', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("；")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-01-05").as_deref(), Some("2024-01-05"));
        assert_eq!(parse_date("2024/1/5").as_deref(), Some("2024-01-05"));
        assert_eq!(parse_date("2024年1月5日").as_deref(), Some("2024-01-05"));
        assert_eq!(parse_date("20240229").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2024-01-05 00:00:00").as_deref(), Some("2024-01-05"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("明年"), None);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(45292.0).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_serial_to_date(1.0).as_deref(), Some("1900-01-01"));
        assert_eq!(excel_serial_to_date(61.0).as_deref(), Some("1900-03-01"));
        assert_eq!(excel_serial_to_date(36526.0).as_deref(), Some("2000-01-01"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_amount("1,234.5", false), Some(1234.5));
        assert_eq!(parse_amount("-1", false), None);
        assert_eq!(parse_amount("65%", true), Some(65.0));
        assert_eq!(parse_amount("65%", false), None);
        assert_eq!(parse_amount("NaN", false), None);
        assert_eq!(parse_count("12.0"), Some(12));
        assert_eq!(parse_count("12.5"), None);
        assert_eq!(parse_year("2023年"), Some(2023));
        assert_eq!(parse_year("23"), None);
    }

    #[test]
    fn lists() {
        assert_eq!(normalize_list("电熔镁砂、 轻烧氧化镁;镁砖"), "电熔镁砂；轻烧氧化镁；镁砖");
    }

    proptest! {
        #[test]
        fn reals_round_trip_through_display(x in 0.0f64..1.0e12) {
            let shown = Value::Real(x).to_string();
            prop_assert_eq!(parse_amount(&shown, false), Some(x));
        }
    }
}
