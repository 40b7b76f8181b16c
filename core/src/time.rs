//! Time and dates, below everything else: the clock, dates as forms store them
//! (`YYYY-MM-DD`), today's date in China, and ISO 8601 times as GPX files and
//! EXIF write them.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Midnight at the start of the China day that holds `unix_seconds`.
pub fn day_start_at(unix_seconds: i64) -> i64 {
    const OFFSET: i64 = 8 * 3_600;
    (unix_seconds + OFFSET).div_euclid(86_400) * 86_400 - OFFSET
}

/// Whole years from `from` to `to` (an age), negative if `to` is earlier.
pub fn whole_years(from: Date, to: Date) -> i64 {
    let mut years = i64::from(to.year()) - i64::from(from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Now, unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` into unix milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    parse_time_with(s, None)
}

/// [`parse_time`], reading a time without a zone as `zoneless_offset_min` east of
/// UTC when that is given.
pub fn parse_time_with(s: &str, zoneless_offset_min: Option<i32>) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let f = &frac[..digits];
        ms = format!("{f:0<3}")[..3].parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        "" => i64::from(zoneless_offset_min?),
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 60 + rest[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    // Days from civil (H. Hinnant).
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_belongs_to_its_china_day() {
        let day = day_start("2026-12-08").unwrap();
        for t in [day, day + 1, day + 86_399] {
            assert_eq!(day_start_at(t), day, "{t}");
        }
        assert_eq!(day_start_at(day - 1), day_start("2026-12-07").unwrap());
        // Before 1970 too.
        let old = day_start("1969-12-31").unwrap();
        assert_eq!(day_start_at(old + 43_200), old);
        assert_eq!(
            date_at(day_start_at(day + 50_000)).to_string(),
            "2026-12-08"
        );
    }

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
