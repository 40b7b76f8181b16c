//! The expression language of relevance, constraints and calculations.
//!
//! Expressions are [evalexpr](https://docs.rs/evalexpr) syntax (`==`, `!=`, `<`,
//! `&&`, `||`, `!`, `+ - * /`, `"text"`, `()` for empty). Fields are named by their
//! key (`basic.age`); inside a repeat group, the row's own fields are `row.<code>`;
//! in a constraint, `value` is the field's own value. Functions:
//!
//! | function | result |
//! |---|---|
//! | `selected(field, "code")` | the single or multiple choice holds `code` |
//! | `count(field)` | codes chosen, rows of a repeat group, photos (0 when empty) |
//! | `filled(field)` | the field has a value |
//! | `len(text)` | characters in a text |
//! | `today()` | today's date, `YYYY-MM-DD` (dates compare as text) |
//! | `this_year()` | the current year |
//! | `total(a, b, ...)` | the sum of the numbers given, empty ones counting 0; empty if all are |
//! | `years_since(date)` | whole years from a date to today (an age) |
//! | `id_birth_date(id)` | the birth date inside an ID-card number |
//! | `id_sex(id)` | `"male"` or `"female"` from an ID-card number |
//!
//! Evaluation never mutates anything: assignment is refused.

use std::collections::HashMap;

use evalexpr::{Context, DefaultNumericTypes, EvalexprError, EvalexprResult, Node, Value};

use crate::records::FieldValue;

type V = Value<DefaultNumericTypes>;

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expr {
    node: Node<DefaultNumericTypes>,
}

impl Expr {
    /// Parses an expression.
    pub fn compile(source: &str) -> Result<Expr, String> {
        evalexpr::build_operator_tree::<DefaultNumericTypes>(source)
            .map(|node| Expr { node })
            .map_err(|e| e.to_string())
    }

    /// The field names it reads.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.node.iter_variable_identifiers()
    }

    /// Evaluates against the record's values.
    pub fn eval(&self, env: &Env<'_>) -> Result<V, String> {
        self.node.eval_with_context(env).map_err(|e| e.to_string())
    }

    /// Evaluates to a boolean; `None` when it cannot be decided (e.g. a field it
    /// reads is empty) or is not a boolean.
    pub fn eval_bool(&self, env: &Env<'_>) -> Option<bool> {
        self.eval(env).ok()?.as_boolean().ok()
    }
}

/// The values an expression sees: the record's fields, and for a repeat row or a
/// constraint, a few more names laid over them.
pub struct Env<'a> {
    fields: &'a HashMap<String, V>,
    overlay: HashMap<String, V>,
    today: String,
}

impl<'a> Env<'a> {
    /// An environment over converted field values (see [`to_values`]).
    pub fn new(fields: &'a HashMap<String, V>, today: String) -> Self {
        Env {
            fields,
            overlay: HashMap::new(),
            today,
        }
    }

    /// Binds a name over the record's fields (`value`, `row.<code>`).
    pub fn bind(&mut self, name: &str, value: Option<&FieldValue>) {
        self.overlay
            .insert(name.to_owned(), value.map_or(V::Empty, to_value));
    }

    /// Removes every binding laid over the record's fields.
    pub fn clear_bindings(&mut self) {
        self.overlay.clear();
    }
}

/// Converts a record's field values for expressions.
pub fn to_values<'k>(
    values: impl IntoIterator<Item = (&'k String, &'k FieldValue)>,
) -> HashMap<String, V> {
    values
        .into_iter()
        .map(|(k, v)| (k.clone(), to_value(v)))
        .collect()
}

/// One field value as an expression value.
pub fn to_value(value: &FieldValue) -> V {
    match value {
        FieldValue::Bool(b) => V::Boolean(*b),
        FieldValue::Int(i) => V::Int(*i),
        FieldValue::Decimal(d) => V::Float(*d),
        FieldValue::Text(s) => V::String(s.clone()),
        FieldValue::Choices(c) => V::Tuple(c.iter().map(|s| V::String(s.clone())).collect()),
        FieldValue::Point(p) => V::Tuple(vec![V::Float(p.lat), V::Float(p.lon)]),
        FieldValue::Rows(rows) => V::Tuple(vec![V::Empty; rows.len()]),
    }
}

/// A calculation's result as a field value (`None` for empty).
pub fn to_field_value(value: V) -> Option<FieldValue> {
    match value {
        V::Boolean(b) => Some(FieldValue::Bool(b)),
        V::Int(i) => Some(FieldValue::Int(i)),
        // Two decimals: money and areas; keeps stored values stable across devices.
        V::Float(f) if f.is_finite() => Some(FieldValue::Decimal((f * 100.0).round() / 100.0)),
        V::String(s) if !s.is_empty() => Some(FieldValue::Text(s)),
        V::Tuple(items) => Some(FieldValue::Choices(
            items
                .into_iter()
                .filter_map(|v| v.as_string().ok())
                .collect(),
        )),
        _ => None,
    }
}

fn arguments(argument: &V) -> Vec<V> {
    match argument {
        V::Tuple(items) => items.clone(),
        V::Empty => Vec::new(),
        one => vec![one.clone()],
    }
}

fn wrong(name: &str, expected: &str) -> EvalexprError<DefaultNumericTypes> {
    EvalexprError::CustomMessage(format!("{name}() takes {expected}"))
}

fn id_birth(id: &str) -> Option<String> {
    (id.len() == 18 && id.is_ascii())
        .then(|| format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]))
}

impl Context for Env<'_> {
    type NumericTypes = DefaultNumericTypes;

    fn get_value(&self, identifier: &str) -> Option<&V> {
        self.overlay
            .get(identifier)
            .or_else(|| self.fields.get(identifier))
            .or(Some(&V::Empty))
    }

    fn call_function(
        &self,
        identifier: &str,
        argument: &V,
    ) -> EvalexprResult<V, DefaultNumericTypes> {
        // `selected(x, "a")` arrives as one tuple argument, but so does
        // `count(x)` when x is a multiple choice: unpack only for 2-argument calls.
        match identifier {
            "selected" => {
                let args = arguments(argument);
                let [field, code] = args.as_slice() else {
                    return Err(wrong("selected", "a field and a code"));
                };
                let code = code
                    .as_string()
                    .map_err(|_| wrong("selected", "a text code"))?;
                Ok(V::Boolean(match field {
                    V::Tuple(items) => items
                        .iter()
                        .any(|v| v.as_string().ok().as_deref() == Some(&code)),
                    V::String(s) => *s == code,
                    _ => false,
                }))
            }
            "count" => Ok(V::Int(match argument {
                V::Tuple(items) => items.len() as i64,
                V::Empty => 0,
                _ => 1,
            })),
            "filled" => Ok(V::Boolean(match argument {
                V::Empty => false,
                V::String(s) => !s.is_empty(),
                V::Tuple(items) => !items.is_empty(),
                _ => true,
            })),
            "len" => match argument {
                V::String(s) => Ok(V::Int(s.chars().count() as i64)),
                V::Empty => Ok(V::Int(0)),
                _ => Err(wrong("len", "a text")),
            },
            "today" => Ok(V::String(self.today.clone())),
            "this_year" => Ok(V::Int(
                self.today
                    .get(..4)
                    .and_then(|y| y.parse().ok())
                    .unwrap_or(0),
            )),
            "total" => {
                let mut int_sum = 0i64;
                let mut float_sum = 0f64;
                let mut any_float = false;
                let mut any = false;
                for v in arguments(argument) {
                    match v {
                        V::Int(i) => int_sum = int_sum.saturating_add(i),
                        V::Float(f) => {
                            float_sum += f;
                            any_float = true;
                        }
                        V::Empty => continue,
                        _ => return Err(wrong("total", "numbers")),
                    }
                    any = true;
                }
                Ok(match (any, any_float) {
                    (false, _) => V::Empty,
                    (true, true) => V::Float(float_sum + int_sum as f64),
                    (true, false) => V::Int(int_sum),
                })
            }
            "years_since" => {
                let date = argument
                    .as_string()
                    .map_err(|_| wrong("years_since", "a date"))?;
                let (Some(from), Some(to)) = (
                    crate::time::parse_date(&date),
                    crate::time::parse_date(&self.today),
                ) else {
                    return Err(wrong("years_since", "a YYYY-MM-DD date"));
                };
                Ok(V::Int(crate::time::whole_years(from, to)))
            }
            "id_birth_date" => {
                let id = argument
                    .as_string()
                    .map_err(|_| wrong("id_birth_date", "an ID-card number"))?;
                id_birth(&id)
                    .map(V::String)
                    .ok_or_else(|| wrong("id_birth_date", "an 18-character ID-card number"))
            }
            "id_sex" => {
                let id = argument
                    .as_string()
                    .map_err(|_| wrong("id_sex", "an ID-card number"))?;
                let digit = id
                    .as_bytes()
                    .get(16)
                    .filter(|b| b.is_ascii_digit())
                    .ok_or_else(|| wrong("id_sex", "an 18-character ID-card number"))?;
                Ok(V::String(
                    if (digit - b'0') % 2 == 1 {
                        "male"
                    } else {
                        "female"
                    }
                    .to_owned(),
                ))
            }
            other => Err(EvalexprError::FunctionIdentifierNotFound(other.to_owned())),
        }
    }

    fn are_builtin_functions_disabled(&self) -> bool {
        false
    }

    fn set_builtin_functions_disabled(
        &mut self,
        _disabled: bool,
    ) -> EvalexprResult<(), DefaultNumericTypes> {
        Err(EvalexprError::ContextNotMutable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, fields: &[(&str, FieldValue)]) -> Result<V, String> {
        let values = to_values(
            fields
                .iter()
                .map(|(k, v)| (k, v))
                .map(|(k, v)| (Box::leak(Box::new((*k).to_owned())) as &String, v)),
        );
        let env = Env::new(&values, "2026-11-24".into());
        Expr::compile(source)?.eval(&env)
    }

    #[test]
    fn functions_and_operators() {
        let f = [
            (
                "a.groups",
                FieldValue::Choices(vec!["elderly".into(), "disabled".into()]),
            ),
            ("a.birth", FieldValue::Text("1990-11-25".into())),
            ("a.n", FieldValue::Int(4)),
            ("a.id", FieldValue::Text("11010519491231002X".into())),
        ];
        assert_eq!(
            eval(r#"selected(a.groups, "disabled")"#, &f),
            Ok(V::Boolean(true))
        );
        assert_eq!(
            eval(r#"selected(a.groups, "veteran")"#, &f),
            Ok(V::Boolean(false))
        );
        assert_eq!(eval("count(a.groups) + a.n", &f), Ok(V::Int(6)));
        assert_eq!(eval("years_since(a.birth)", &f), Ok(V::Int(35)));
        assert_eq!(eval("filled(a.missing)", &f), Ok(V::Boolean(false)));
        assert_eq!(eval("a.missing == ()", &f), Ok(V::Boolean(true)));
        assert_eq!(
            eval("id_birth_date(a.id)", &f),
            Ok(V::String("1949-12-31".into()))
        );
        assert_eq!(eval("id_sex(a.id)", &f), Ok(V::String("female".into())));
        assert_eq!(eval("a.birth < today()", &f), Ok(V::Boolean(true)));
        assert_eq!(eval("this_year()", &f), Ok(V::Int(2026)));
        assert_eq!(eval("total(a.n, a.missing, 1.5)", &f), Ok(V::Float(5.5)));
        assert_eq!(eval("total(a.n, a.missing)", &f), Ok(V::Int(4)));
        assert_eq!(eval("total(a.missing, a.missing)", &f), Ok(V::Empty));
        assert!(eval("a.n = 5", &f).is_err(), "assignment is refused");
        assert!(eval("nope(a.n)", &f).is_err());
    }
}
