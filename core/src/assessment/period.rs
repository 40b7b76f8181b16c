//! The periods work is judged and reported over (日、周、月、季): a day, an ISO
//! week, a month or a quarter, in China time, written as codes the pages, the
//! API and the exports share: `2026-11-29`, `2026-W48`, `2026-11`, `2026-Q4`.

use std::fmt;

use jiff::ToSpan;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::time::{date_at, day_start};

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// One day (日).
    Day,
    /// A Monday-to-Sunday ISO week (周).
    Week,
    /// A calendar month (月).
    Month,
    /// A calendar quarter (季).
    Quarter,
}

impl PeriodKind {
    /// Every kind, shortest first.
    pub const ALL: [PeriodKind; 4] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
    ];

    /// The code used in the API and the pages' links.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }

    /// The Chinese name of a report of this kind (日报、周报、月报、季报).
    pub fn report_zh(self) -> &'static str {
        match self {
            PeriodKind::Day => "日报",
            PeriodKind::Week => "周报",
            PeriodKind::Month => "月报",
            PeriodKind::Quarter => "季报",
        }
    }

    /// The kind with this code.
    pub fn parse(code: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// One period: its kind and its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    kind: PeriodKind,
    first: Date,
}

/// Why a period code was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "“{0}” is not a period: write a day 2026-11-29, a week 2026-W48, a month 2026-11 or a quarter 2026-Q4"
)]
pub struct BadPeriod(pub String);

impl Period {
    /// The period of `kind` holding the day `unix_seconds` falls on (China time).
    pub fn containing(kind: PeriodKind, unix_seconds: i64) -> Period {
        Period::of_date(kind, date_at(unix_seconds))
    }

    /// The period of `kind` holding `date`.
    pub fn of_date(kind: PeriodKind, date: Date) -> Period {
        let first = match kind {
            PeriodKind::Day => date,
            PeriodKind::Week => monday_of(date),
            PeriodKind::Month => date.first_of_month(),
            PeriodKind::Quarter => Date::new(date.year(), (date.month() - 1) / 3 * 3 + 1, 1)
                .unwrap_or(date.first_of_month()),
        };
        Period { kind, first }
    }

    /// Reads a code: `2026-11-29`, `2026-W48`, `2026-11` or `2026-Q4`.
    pub fn parse(code: &str) -> Result<Period, BadPeriod> {
        let bad = || BadPeriod(code.chars().take(20).collect());
        let code = code.trim();
        if let Some(date) = crate::time::parse_date(code) {
            return Ok(Period::of_date(PeriodKind::Day, date));
        }
        let (year, rest) = code.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        let number = |s: &str| -> Result<i8, BadPeriod> {
            if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse().map_err(|_| bad())
        };
        if let Some(w) = rest.strip_prefix('W') {
            let week = ISOWeekDate::new(year, number(w)?, Weekday::Monday).map_err(|_| bad())?;
            return Ok(Period {
                kind: PeriodKind::Week,
                first: week.date(),
            });
        }
        if let Some(q) = rest.strip_prefix('Q') {
            let q = number(q)?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            let first = Date::new(year, (q - 1) * 3 + 1, 1).map_err(|_| bad())?;
            return Ok(Period {
                kind: PeriodKind::Quarter,
                first,
            });
        }
        if rest.len() == 2 {
            let first = Date::new(year, number(rest)?, 1).map_err(|_| bad())?;
            return Ok(Period {
                kind: PeriodKind::Month,
                first,
            });
        }
        Err(bad())
    }

    /// How long the period is.
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// Its first day.
    pub fn first_day(&self) -> Date {
        self.first
    }

    /// The day after its last.
    fn end_day(&self) -> Date {
        let span = match self.kind {
            PeriodKind::Day => 1.day(),
            PeriodKind::Week => 7.days(),
            PeriodKind::Month => 1.month(),
            PeriodKind::Quarter => 3.months(),
        };
        self.first.checked_add(span).unwrap_or(self.first)
    }

    /// `[start, end)` in unix seconds (midnight China time).
    pub fn bounds(&self) -> (i64, i64) {
        let at = |d: Date| day_start(&d.to_string()).unwrap_or(0);
        (at(self.first), at(self.end_day()))
    }

    /// Days in the period.
    pub fn days(&self) -> u32 {
        let (a, b) = self.bounds();
        ((b - a) / 86_400) as u32
    }

    /// The period of the same kind before this one.
    pub fn previous(&self) -> Period {
        let day_before = self.first.yesterday().unwrap_or(self.first);
        Period::of_date(self.kind, day_before)
    }

    /// The period of the same kind after this one.
    pub fn next(&self) -> Period {
        Period::of_date(self.kind, self.end_day())
    }

    /// The same period a year earlier (for a year-on-year comparison).
    pub fn year_before(&self) -> Period {
        let date = self.first.checked_sub(1.year()).unwrap_or(self.first);
        match self.kind {
            PeriodKind::Week => {
                let week = self.first.iso_week_date();
                ISOWeekDate::new(week.year() - 1, week.week().min(52), Weekday::Monday)
                    .map(|w| Period::of_date(PeriodKind::Week, w.date()))
                    .unwrap_or(Period::of_date(PeriodKind::Week, date))
            }
            _ => Period::of_date(self.kind, date),
        }
    }

    /// Whether `unix_seconds` falls in the period.
    pub fn contains(&self, unix_seconds: i64) -> bool {
        let (a, b) = self.bounds();
        (a..b).contains(&unix_seconds)
    }

    /// The Chinese label: `2026年11月29日`, `2026年第48周（11月23日—11月29日）`,
    /// `2026年11月`, `2026年第四季度`.
    pub fn label_zh(&self) -> String {
        let d = self.first;
        match self.kind {
            PeriodKind::Day => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            PeriodKind::Week => {
                let last = self.end_day().yesterday().unwrap_or(d);
                format!(
                    "{}年第{}周（{}月{}日—{}月{}日）",
                    d.iso_week_date().year(),
                    d.iso_week_date().week(),
                    d.month(),
                    d.day(),
                    last.month(),
                    last.day()
                )
            }
            PeriodKind::Month => format!("{}年{}月", d.year(), d.month()),
            PeriodKind::Quarter => {
                let q = ["一", "二", "三", "四"][((d.month() - 1) / 3) as usize];
                format!("{}年第{q}季度", d.year())
            }
        }
    }
}

fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(back.days()).unwrap_or(date)
}

impl fmt::Display for Period {
    /// The code: `2026-11-29`, `2026-W48`, `2026-11` or `2026-Q4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.first;
        match self.kind {
            PeriodKind::Day => write!(f, "{d}"),
            PeriodKind::Week => {
                let w = d.iso_week_date();
                write!(f, "{:04}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => write!(f, "{:04}-{:02}", d.year(), d.month()),
            PeriodKind::Quarter => write!(f, "{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Period::parse(&code).map_err(serde::de::Error::custom)
    }
}
