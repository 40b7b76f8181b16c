//! Checking a record against its form: every problem, per field, with a message
//! that names the field and never repeats the value (values are personal data).

use std::collections::HashMap;

use jiff::civil::Date;
use regex::Regex;

use super::definition::{FieldDef, FieldType, FormDefinition};
use super::expr::{Env, Expr, to_field_value, to_values};
use crate::id_checks::{check_id_card, is_landline_number, is_mobile_number};
use crate::records::FieldValue;
use crate::time::parse_date;

pub use crate::error::{FieldProblem, Severity};

/// Which expression of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
enum Which {
    Relevant,
    Constraint,
    Calculate,
}

/// A form definition with its expressions and patterns compiled, ready to check
/// records quickly.
#[derive(Debug)]
pub struct CompiledForm {
    /// The definition.
    pub definition: FormDefinition,
    /// Each field's compiled expressions by [`Which`], looked up by key without
    /// building one (a check makes hundreds of lookups).
    expressions: HashMap<String, [Option<Expr>; 3]>,
    patterns: HashMap<String, Regex>,
    /// Top-level field keys in form order.
    keys: Vec<String>,
}

pub use crate::records::FormValues;

impl CompiledForm {
    /// Compiles a definition; fails with the definition's problems.
    pub fn new(definition: FormDefinition) -> Result<CompiledForm, Vec<String>> {
        let problems = definition.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut expressions = HashMap::new();
        let mut patterns = HashMap::new();
        let mut keys = Vec::new();
        let mut add = |key: &str, f: &FieldDef| {
            for (which, src) in [
                (Which::Relevant, f.relevant.as_deref()),
                (
                    Which::Constraint,
                    f.constraint.as_ref().map(|c| c.expr.as_str()),
                ),
                (Which::Calculate, f.calculate.as_deref()),
            ] {
                if let Some(src) = src {
                    // Checked by `problems()` above.
                    if let Ok(e) = Expr::compile(src) {
                        let slots: &mut [Option<Expr>; 3] =
                            expressions.entry(key.to_owned()).or_default();
                        slots[which as usize] = Some(e);
                    }
                }
            }
            if let FieldType::Text {
                pattern: Some(p), ..
            } = &f.field_type
                && let Ok(re) = Regex::new(&format!("^(?:{p})$"))
            {
                patterns.insert(key.to_owned(), re);
            }
        };
        for (module, field) in definition.fields() {
            let key = format!("{}.{}", module.code, field.code);
            add(&key, field);
            if let FieldType::Repeat { fields, .. } = &field.field_type {
                for sub in fields {
                    add(&format!("{key}.{}", sub.code), sub);
                }
            }
            keys.push(key);
        }
        Ok(CompiledForm {
            definition,
            expressions,
            patterns,
            keys,
        })
    }

    /// The top-level field keys, in form order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The definition of a top-level field.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.definition.field(key)
    }

    /// Whether a field is shown for these values (its relevance holds).
    pub fn is_relevant(&self, key: &str, env: &Env<'_>) -> bool {
        self.expr(key, Which::Relevant)
            .is_none_or(|e| e.eval_bool(env).unwrap_or(false))
    }

    /// A field's expression of one kind, if it has one.
    fn expr(&self, key: &str, which: Which) -> Option<&Expr> {
        self.expressions.get(key)?[which as usize].as_ref()
    }

    /// Recomputes every calculated field in form order (a calculation sees those
    /// before it). Returns the keys whose value changed.
    pub fn calculate(&self, values: &mut FormValues, today: Date) -> Vec<String> {
        let mut changed = Vec::new();
        let mut env_values = to_values(values.iter());
        for key in &self.keys {
            let Some(expr) = self.expr(key, Which::Calculate) else {
                continue;
            };
            let env = Env::new(&env_values, today.to_string());
            let result = if self.is_relevant(key, &env) {
                expr.eval(&env).ok().and_then(to_field_value)
            } else {
                None
            };
            if values.get(key) != result.as_ref() {
                changed.push(key.clone());
                match result {
                    Some(v) => {
                        env_values.insert(key.clone(), super::expr::to_value(&v));
                        values.insert(key.clone(), v);
                    }
                    None => {
                        env_values.remove(key);
                        values.remove(key);
                    }
                }
            }
        }
        changed
    }

    /// The keys that hold a value but are not relevant for these values.
    pub fn hidden_with_values(&self, values: &FormValues, today: Date) -> Vec<String> {
        let env_values = to_values(values.iter());
        let env = Env::new(&env_values, today.to_string());
        self.keys
            .iter()
            .filter(|k| values.contains_key(*k) && !self.is_relevant(k, &env))
            .cloned()
            .collect()
    }

    /// Every problem of a record, in form order. Fields that are not relevant are
    /// not checked; values under keys the form does not know are left alone (a
    /// newer or older form version may know them).
    pub fn check(&self, values: &FormValues, today: Date) -> Vec<FieldProblem> {
        #[cfg(test)]
        CHECKS.with(|n| n.set(n.get() + 1));
        let env_values = to_values(values.iter());
        let mut env = Env::new(&env_values, today.to_string());
        let mut problems = Vec::new();
        // `keys` holds each top-level field's key, in the order of `fields()`.
        for (key, (_, field)) in self.keys.iter().zip(self.definition.fields()) {
            env.clear_bindings();
            if !self.is_relevant(key, &env) {
                continue;
            }
            self.check_field(
                key,
                key,
                field,
                values.get(key),
                &mut env,
                today,
                &mut problems,
            );
        }
        problems
    }

    /// The problems of one value of a top-level field, given the record's other
    /// values (for constraints that compare fields).
    pub fn check_value(
        &self,
        key: &str,
        value: Option<&FieldValue>,
        values: &FormValues,
        today: Date,
    ) -> Vec<FieldProblem> {
        let Some(field) = self.field(key) else {
            return vec![FieldProblem {
                field: key.to_owned(),
                label: String::new(),
                severity: Severity::Invalid,
                message: format!(
                    "the form version {} has no such field",
                    self.definition.version
                ),
            }];
        };
        let env_values = to_values(values.iter());
        let mut env = Env::new(&env_values, today.to_string());
        let mut problems = Vec::new();
        self.check_field(key, key, field, value, &mut env, today, &mut problems);
        problems
    }

    #[allow(clippy::too_many_arguments)]
    fn check_field(
        &self,
        path: &str,
        expr_key: &str,
        field: &FieldDef,
        value: Option<&FieldValue>,
        env: &mut Env<'_>,
        today: Date,
        problems: &mut Vec<FieldProblem>,
    ) {
        let mut problem = |severity, message: String| {
            problems.push(FieldProblem {
                field: path.to_owned(),
                label: field.label.zh.clone(),
                severity,
                message,
            })
        };
        let Some(value) = value.filter(|v| !is_empty(v)) else {
            if field.required && field.calculate.is_none() {
                problem(Severity::Incomplete, "is required".into());
            }
            return;
        };
        if let Err(message) = self.check_type(expr_key, &field.field_type, value, today) {
            problem(Severity::Invalid, message);
            return;
        }
        if let Some(expr) = self.expr(expr_key, Which::Constraint) {
            env.bind("value", Some(value));
            // A constraint that cannot be decided yet (it reads an empty field)
            // does not hold the record up.
            if expr.eval_bool(env) == Some(false) {
                let c = field
                    .constraint
                    .as_ref()
                    .map(|c| c.message.both())
                    .unwrap_or_default();
                problem(Severity::Invalid, c);
            }
        }
        if let (FieldType::Repeat { fields, .. }, FieldValue::Rows(rows)) =
            (&field.field_type, value)
        {
            for (i, row) in rows.iter().enumerate() {
                env.clear_bindings();
                for sub in fields {
                    env.bind(&format!("row.{}", sub.code), row.get(&sub.code));
                }
                for sub in fields {
                    let sub_key = format!("{expr_key}.{}", sub.code);
                    let relevant = self.is_relevant(&sub_key, env);
                    if relevant {
                        let sub_path = format!("{path}[{i}].{}", sub.code);
                        self.check_field(
                            &sub_path,
                            &sub_key,
                            sub,
                            row.get(&sub.code),
                            env,
                            today,
                            problems,
                        );
                    }
                }
                for unknown in row.keys().filter(|k| !fields.iter().any(|f| &f.code == *k)) {
                    problems.push(FieldProblem {
                        field: format!("{path}[{i}].{unknown}"),
                        label: field.label.zh.clone(),
                        severity: Severity::Invalid,
                        message: "the repeat group has no such field".into(),
                    });
                }
            }
        }
    }

    fn check_type(
        &self,
        key: &str,
        ty: &FieldType,
        value: &FieldValue,
        today: Date,
    ) -> Result<(), String> {
        let expected = |what: &str| Err(format!("expects {what}"));
        match (ty, value) {
            (
                FieldType::Text {
                    min_len, max_len, ..
                },
                FieldValue::Text(s),
            ) => {
                let n = s.chars().count() as u32;
                if min_len.is_some_and(|m| n < m) {
                    return Err(format!(
                        "needs at least {} characters",
                        min_len.unwrap_or(0)
                    ));
                }
                if max_len.is_some_and(|m| n > m) {
                    return Err(format!(
                        "allows at most {} characters",
                        max_len.unwrap_or(0)
                    ));
                }
                if self.patterns.get(key).is_some_and(|re| !re.is_match(s)) {
                    return Err("does not have the expected format".into());
                }
                Ok(())
            }
            (FieldType::Text { .. }, _) => expected("text"),
            (FieldType::Integer { min, max }, FieldValue::Int(i)) => {
                range(*i as f64, min.map(|m| m as f64), max.map(|m| m as f64))
            }
            (FieldType::Integer { .. }, _) => expected("a whole number"),
            (FieldType::Decimal { min, max }, FieldValue::Int(i)) => range(*i as f64, *min, *max),
            (FieldType::Decimal { min, max }, FieldValue::Decimal(d)) if d.is_finite() => {
                range(*d, *min, *max)
            }
            (FieldType::Decimal { .. }, _) => expected("a number"),
            (FieldType::Date { not_future, min }, FieldValue::Text(s)) => {
                let Some(date) = parse_date(s) else {
                    return Err("is not a real date (YYYY-MM-DD)".into());
                };
                if *not_future && date > today {
                    return Err("is a date in the future".into());
                }
                if let Some(min) = min.as_deref().and_then(parse_date)
                    && date < min
                {
                    return Err(format!("is earlier than {min}"));
                }
                Ok(())
            }
            (FieldType::Date { .. }, _) => expected("a date (YYYY-MM-DD)"),
            (FieldType::Single { choices }, FieldValue::Text(code)) => {
                self.known_choice(choices, code)
            }
            (FieldType::Single { .. }, _) => expected("one choice"),
            (FieldType::Multiple { choices, max }, FieldValue::Choices(codes)) => {
                for code in codes {
                    self.known_choice(choices, code)?;
                }
                let mut unique = codes.clone();
                unique.sort();
                unique.dedup();
                if unique.len() != codes.len() {
                    return Err("holds a choice twice".into());
                }
                if max.is_some_and(|m| codes.len() as u32 > m) {
                    return Err(format!("allows at most {} choices", max.unwrap_or(0)));
                }
                Ok(())
            }
            (FieldType::Multiple { .. }, _) => expected("a list of choices"),
            (FieldType::YesNo, FieldValue::Bool(_)) => Ok(()),
            (FieldType::YesNo, _) => expected("yes or no"),
            (FieldType::IdCard, FieldValue::Text(s)) => check_id_card(s).map_err(|p| p.to_string()),
            (FieldType::IdCard, _) => expected("an ID-card number"),
            (FieldType::Phone, FieldValue::Text(s))
                if is_mobile_number(s) || is_landline_number(s) =>
            {
                Ok(())
            }
            (FieldType::Phone, FieldValue::Text(_)) => {
                Err("is not a mobile number (11 digits) or a landline with area code".into())
            }
            (FieldType::Phone, _) => expected("a phone number"),
            (FieldType::Geopoint, FieldValue::Point(p)) if p.is_valid() => Ok(()),
            (FieldType::Geopoint, FieldValue::Point(_)) => {
                Err("is not a possible place (latitude -90..90, longitude -180..180)".into())
            }
            (FieldType::Geopoint, _) => expected("a place"),
            (FieldType::Photos { max }, FieldValue::Choices(hashes)) => {
                if hashes
                    .iter()
                    .any(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    return Err("holds something that is not a stored photo".into());
                }
                if max.is_some_and(|m| hashes.len() as u32 > m) {
                    return Err(format!("allows at most {} photos", max.unwrap_or(0)));
                }
                Ok(())
            }
            (FieldType::Photos { .. }, _) => expected("photos"),
            (FieldType::Repeat { max_rows, .. }, FieldValue::Rows(rows)) => {
                if max_rows.is_some_and(|m| rows.len() as u32 > m) {
                    return Err(format!("allows at most {} rows", max_rows.unwrap_or(0)));
                }
                Ok(())
            }
            (FieldType::Repeat { .. }, _) => expected("rows"),
        }
    }

    fn known_choice(&self, list: &str, code: &str) -> Result<(), String> {
        let known = self
            .definition
            .choice_lists
            .get(list)
            .is_some_and(|l| l.iter().any(|c| c.code == code));
        if known {
            Ok(())
        } else {
            Err("is not one of the offered choices".into())
        }
    }
}

fn range(x: f64, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    match (min, max) {
        (Some(lo), _) if x < lo => Err(format!("must be at least {lo}")),
        (_, Some(hi)) if x > hi => Err(format!("must be at most {hi}")),
        _ => Ok(()),
    }
}

/// Empty text, an empty choice list or no rows count as unanswered.
pub fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Text(s) => s.trim().is_empty(),
        FieldValue::Choices(c) => c.is_empty(),
        FieldValue::Rows(r) => r.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
thread_local! {
    /// How many whole-record checks ran on this thread (tests count them per save).
    pub(crate) static CHECKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
