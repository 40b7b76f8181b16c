//! Dates as forms store them (`YYYY-MM-DD`) and today's date in China.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

/// Parses a `YYYY-MM-DD` date; `None` unless it is a real calendar date.
pub fn parse_date(text: &str) -> Option<Date> {
    if text.len() != 10 || text.as_bytes()[4] != b'-' || text.as_bytes()[7] != b'-' {
        return None;
    }
    text.parse::<Date>().ok()
}

/// Today's date at the given unix time, in China Standard Time (UTC+8, no DST).
pub fn date_at(unix_seconds: i64) -> Date {
    let tz = TimeZone::fixed(Offset::constant(8));
    jiff::Timestamp::from_second(unix_seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz)
        .date()
}

/// Midnight at the start of a `YYYY-MM-DD` day in China time, as unix seconds.
pub fn day_start(text: &str) -> Option<i64> {
    let date = parse_date(text)?;
    let tz = TimeZone::fixed(Offset::constant(8));
    Some(date.to_zoned(tz).ok()?.timestamp().as_second())
}

/// Whole years from `from` to `to` (an age), negative if `to` is earlier.
pub fn whole_years(from: Date, to: Date) -> i64 {
    let mut years = i64::from(to.year()) - i64::from(from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_when_real() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2023-2-3").is_none());
        assert!(parse_date("二〇二三年").is_none());
    }

    #[test]
    fn ages_count_birthdays() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(whole_years(d("1990-06-15"), d("2026-06-14")), 35);
        assert_eq!(whole_years(d("1990-06-15"), d("2026-06-15")), 36);
        // 2026-11-24 00:30 in Beijing is still the 23rd in UTC.
        assert_eq!(date_at(1_795_451_400).to_string(), "2026-11-24");
        assert_eq!(day_start("2026-11-24"), Some(1_795_449_600));
    }
}
