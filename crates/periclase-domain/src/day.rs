//! Calendar days as day numbers (days since 1970-01-01), parsed from `YYYY-MM-DD`.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` (also `YYYY/MM/DD`), checked: month 1–12, day within the month.
pub fn parse(text: &str) -> Option<i32> {
    let mut parts = text.trim().split(['-', '/']);
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (d <= month_days[m as usize - 1]).then(|| days(y, m, d))
}

/// (year, month, day) of a day number (H. Hinnant's `civil_from_days`).
pub fn civil(day: i32) -> (i32, u32, u32) {
    let z = day + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    (y, m as u32, d as u32)
}

/// Today's day number (UTC), from the system clock.
pub fn today() -> i32 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i32
}

/// `YYYY-MM-DD` of a day number.
pub fn format(day: i32) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whole years from `from` to `to` (a birthday count: 2022-03-01 → 2024-02-29 is 1).
pub fn whole_years(from: i32, to: i32) -> f64 {
    let (a, b) = (civil(from), civil(to));
    let mut years = b.0 - a.0;
    if (b.1, b.2) < (a.1, a.2) {
        years -= 1;
    }
    f64::from(years)
}

/// "2026-12-07T09:30:00Z" (UTC, as the stores keep times) as Beijing time, "2026-12-07 17:30";
/// anything else as it is.
pub fn beijing(utc: &str) -> String {
    let (Some(day), Some(h), Some(m)) =
        (parse(utc.get(..10).unwrap_or("")), utc.get(11..13).and_then(|h| h.parse::<i32>().ok()), utc.get(14..16))
    else {
        return utc.to_string();
    };
    let hour = h + 8;
    format!("{} {:02}:{m}", format(day + hour / 24), hour % 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_days() {
        assert_eq!(parse("1970-01-01"), Some(0));
        assert_eq!(parse("2025-01-01"), Some(20_089));
        assert_eq!(parse("2024-02-29").map(format).as_deref(), Some("2024-02-29"));
        assert_eq!(parse("2023-02-29"), None);
        assert_eq!(parse("2023-13-01"), None);
        assert_eq!(whole_years(parse("2022-03-01").unwrap(), parse("2024-02-29").unwrap()), 1.0);
        assert_eq!(whole_years(parse("2022-03-01").unwrap(), parse("2024-03-01").unwrap()), 2.0);
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(day in -200_000i32..200_000) {
            prop_assert_eq!(parse(&format(day)), Some(day));
        }

        #[test]
        fn whole_years_count_birthdays(from in -50_000i32..50_000, span in 0i32..40_000) {
            let (a, b) = (format(from), format(from + span));
            let mut years = b[..4].parse::<i32>().unwrap() - a[..4].parse::<i32>().unwrap();
            if b[5..] < a[5..] {
                years -= 1;
            }
            prop_assert_eq!(whole_years(from, from + span), f64::from(years));
        }
    }

    #[test]
    fn utc_times_read_in_beijing_time_across_midnight_and_year_end() {
        assert_eq!(super::beijing("2026-12-07T09:30:00Z"), "2026-12-07 17:30");
        assert_eq!(super::beijing("2026-12-31T16:05:59Z"), "2027-01-01 00:05");
        assert_eq!(super::beijing("不是时间"), "不是时间");
    }
}
