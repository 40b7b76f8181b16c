//! Plausible answers for a whole form, for demo data, the county simulator and
//! benchmarks: every relevant question answered with a value that passes its
//! checks, varied by a seed.

use std::collections::BTreeMap;

use super::definition::{FieldDef, FieldType};
use super::expr::{Env, to_values};
use super::validate::{CompiledForm, FormValues};
use crate::records::{FieldValue, GeoPoint};

/// A valid ID-card number (GB 11643) of someone born on `year-month-day` in the
/// demo county, with sequence `n` (odd for men).
pub fn example_id_number(year: u32, month: u32, day: u32, n: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("320722{year:04}{month:02}{day:02}{:03}", n % 1000);
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A small deterministic generator (SplitMix64), so the same seed gives the same record.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// Answers every question of `form` that is relevant given the answers before
/// it, skipping calculated ones (saving through the form computes those).
/// `today` is `YYYY-MM-DD`.
pub fn example_values(form: &CompiledForm, seed: u64, today: &str) -> FormValues {
    let mut rng = Mix(seed);
    let mut values = FormValues::new();
    let this_year: i64 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    for (module, field) in form.definition.fields() {
        let key = format!("{}.{}", module.code, field.code);
        if field.calculate.is_some() {
            continue;
        }
        let env_values = to_values(values.iter());
        let env = Env::new(&env_values, today.to_owned());
        if !form.is_relevant(&key, &env) {
            continue;
        }
        // Leave a few optional questions blank, as real records do.
        if !field.required && rng.below(10) == 0 {
            continue;
        }
        let mut value = example(form, field, &mut rng, this_year, seed);
        // A constraint tying this value to others: fall back to the smallest value
        // the type allows, which the demo forms' constraints accept.
        if !form
            .check_value(
                &key,
                Some(&value),
                &values,
                super::date_at(crate::time::now()),
            )
            .is_empty()
        {
            value = match &field.field_type {
                FieldType::Integer { min, .. } => FieldValue::Int(min.unwrap_or(0)),
                FieldType::Decimal { min, .. } => FieldValue::Decimal(min.unwrap_or(0.0)),
                FieldType::Date { .. } => FieldValue::Text(today.to_owned()),
                _ => continue,
            };
            if !form
                .check_value(
                    &key,
                    Some(&value),
                    &values,
                    super::date_at(crate::time::now()),
                )
                .is_empty()
            {
                continue;
            }
        }
        values.insert(key, value);
    }
    values
}

/// Answers every question of `form` (calculated ones too, with an example value),
/// whether or not skip logic would show it: the largest record the form allows,
/// for benchmarks.
pub fn every_answer(form: &CompiledForm, seed: u64) -> FormValues {
    let mut rng = Mix(seed);
    form.definition
        .fields()
        .map(|(module, field)| {
            (
                format!("{}.{}", module.code, field.code),
                example(form, field, &mut rng, 2026, seed),
            )
        })
        .collect()
}

fn example(
    form: &CompiledForm,
    field: &FieldDef,
    rng: &mut Mix,
    this_year: i64,
    seed: u64,
) -> FieldValue {
    let choices = |name: &str| {
        form.definition
            .choice_lists
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    match &field.field_type {
        FieldType::Text {
            max_len, pattern, ..
        } => {
            let text = match pattern.as_deref() {
                Some(p) if p.starts_with("[0-9A-HJ-NPQRTUWXY]") => "91320722MA1XYZ1234".to_owned(),
                Some(p) if p.starts_with("[0-9A-Za-z]") => format!("{:08}", rng.below(100_000_000)),
                Some(p) if p.starts_with("[\\u4e00") || p.starts_with("[\u{4e00}") => {
                    format!("苏G{:05}", rng.below(100_000))
                }
                Some(p) if p.starts_with("[0-9]{17}") => {
                    format!(
                        "{}1{}",
                        example_id_number(1970, 3, 15, rng.below(999) as u32),
                        1 + rng.below(4)
                    )
                }
                _ => format!("{}{}", field.label.zh, 1 + rng.below(99)),
            };
            let max = max_len.unwrap_or(200) as usize;
            FieldValue::Text(text.chars().take(max).collect())
        }
        FieldType::Integer { min, max } => {
            let lo = min.unwrap_or(0);
            let hi = max
                .unwrap_or(lo + 20)
                .min(lo + 20)
                .min(if field.code.contains("year") {
                    this_year
                } else {
                    i64::MAX
                });
            FieldValue::Int(lo + rng.below((hi - lo + 1).max(1) as u64) as i64)
        }
        FieldType::Decimal { min, max } => {
            let lo = min.unwrap_or(0.0).max(0.0);
            let hi = max.unwrap_or(lo + 50_000.0).min(lo + 50_000.0);
            FieldValue::Decimal(
                ((lo + (hi - lo) * (rng.below(1000) as f64 / 1000.0)) * 100.0).round() / 100.0,
            )
        }
        FieldType::Date { not_future, min } => {
            let year = if *not_future {
                this_year - 1 - rng.below(20) as i64
            } else {
                this_year + 1
            };
            let year = min
                .as_deref()
                .and_then(|m| m.get(..4)?.parse::<i64>().ok())
                .map_or(year, |m| year.max(m));
            FieldValue::Text(format!(
                "{year:04}-{:02}-{:02}",
                1 + rng.below(12),
                1 + rng.below(28)
            ))
        }
        FieldType::Single { choices: list } => {
            let c = choices(list);
            FieldValue::Text(
                c.get(rng.below(c.len() as u64) as usize)
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
            )
        }
        FieldType::Multiple { choices: list, max } => {
            let c = choices(list);
            let n = 1 + rng.below(u64::from(max.unwrap_or(2)).min(2)) as usize;
            let mut codes: Vec<String> = (0..n)
                .map(|_| c[rng.below(c.len() as u64) as usize].code.clone())
                .collect();
            codes.sort();
            codes.dedup();
            FieldValue::Choices(codes)
        }
        FieldType::YesNo => FieldValue::Bool(rng.below(3) == 0),
        FieldType::IdCard => FieldValue::Text(example_id_number(
            1940 + (seed % 70) as u32,
            1 + (seed / 70 % 12) as u32,
            1 + (seed / 840 % 28) as u32,
            (seed % 997) as u32,
        )),
        FieldType::Phone => FieldValue::Text(format!("139{:08}", rng.below(100_000_000))),
        FieldType::Geopoint => FieldValue::Point(GeoPoint {
            lat: 34.5 + rng.below(1000) as f64 / 10_000.0,
            lon: 118.7 + rng.below(1000) as f64 / 10_000.0,
        }),
        FieldType::Photos { .. } => FieldValue::Choices(Vec::new()),
        FieldType::Repeat { fields, max_rows } => {
            let rows = 1 + rng.below(u64::from(max_rows.unwrap_or(3)).min(3));
            FieldValue::Rows(
                (0..rows)
                    .map(|_| {
                        fields
                            .iter()
                            .filter(|f| f.calculate.is_none() && f.relevant.is_none())
                            .map(|f| (f.code.clone(), example(form, f, rng, this_year, seed)))
                            .collect::<BTreeMap<_, _>>()
                    })
                    .collect(),
            )
        }
    }
}
