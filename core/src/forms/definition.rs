//! Form definitions as data: forms, modules, sections, fields, choices. The server
//! sends them as versioned reference data (a [`FormPack`]); the phone never needs
//! a new app version to get a changed form.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::records::RecordKind;

/// A text in Chinese, with English for documentation and foreign-language staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Chinese, shown to users.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Label {
    /// Both languages, as `中文 (English)`.
    pub fn both(&self) -> String {
        format!("{} ({})", self.zh, self.en)
    }
}

/// One answer of a single or multiple choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The code stored in the record.
    pub code: String,
    /// What the user sees.
    pub label: Label,
}

/// A custom check on a field's value, written as an expression (see
/// [`crate::forms::expr`]), with the message shown when it fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    /// Must evaluate to true; `value` is the field's own value.
    pub expr: String,
    /// Shown when it does not hold.
    pub message: Label,
}

/// The type of a field and the limits that come with the type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text {
        /// Fewest characters when filled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_len: Option<u32>,
        /// Most characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_len: Option<u32>,
        /// A regular expression the whole text must match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// A whole number.
    Integer {
        /// Smallest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        /// Largest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// A decimal number.
    Decimal {
        /// Smallest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Largest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date {
        /// Refuse dates after today (birth dates, move-in dates).
        #[serde(default)]
        not_future: bool,
        /// Earliest allowed, `YYYY-MM-DD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
    },
    /// One code out of a choice list.
    Single {
        /// The name of the form's choice list.
        choices: String,
    },
    /// Any number of codes out of a choice list.
    Multiple {
        /// The name of the form's choice list.
        choices: String,
        /// Most codes that may be chosen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// Yes or no.
    YesNo,
    /// A resident ID-card number (GB 11643).
    IdCard,
    /// A mainland mobile or a landline number.
    Phone,
    /// A place (WGS-84).
    Geopoint,
    /// Photos, by content hash.
    Photos {
        /// Most photos.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// A group of fields answered once per row (e.g. one row per vehicle).
    Repeat {
        /// The fields of each row.
        fields: Vec<FieldDef>,
        /// Most rows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_rows: Option<u32>,
    },
}

impl FieldType {
    /// The type's name as written in form definitions.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text { .. } => "text",
            FieldType::Integer { .. } => "integer",
            FieldType::Decimal { .. } => "decimal",
            FieldType::Date { .. } => "date",
            FieldType::Single { .. } => "single",
            FieldType::Multiple { .. } => "multiple",
            FieldType::YesNo => "yes_no",
            FieldType::IdCard => "id_card",
            FieldType::Phone => "phone",
            FieldType::Geopoint => "geopoint",
            FieldType::Photos { .. } => "photos",
            FieldType::Repeat { .. } => "repeat",
        }
    }
}

/// One question of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The code, unique within its module (or its repeat group).
    pub code: String,
    /// The question.
    pub label: Label,
    /// Its type and type limits.
    #[serde(flatten)]
    pub field_type: FieldType,
    /// Must be answered (when relevant) before the record can be marked complete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Shown only when this expression is true (skip logic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// A custom check on the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Constraint>,
    /// Computed from other fields on every save instead of typed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculate: Option<String>,
    /// Offered as a list filter (e.g. special groups, low income).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub filter: bool,
    /// Help shown under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Label>,
}

/// A titled group of fields inside a module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Code, unique within the module.
    pub code: String,
    /// Title.
    pub label: Label,
    /// The questions, in order.
    pub fields: Vec<FieldDef>,
}

/// A module (模块) of a form, e.g. basic information or income.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// Code, unique within the form; the first part of every field key.
    pub code: String,
    /// Title.
    pub label: Label,
    /// The module's sections, in order.
    pub sections: Vec<Section>,
}

/// One form: the house record or the person record, at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    /// Which records it fills.
    pub kind: RecordKind,
    /// Grows with every change; a record keeps the version it was filled with.
    pub version: u32,
    /// The form's title.
    pub title: Label,
    /// Named choice lists the fields refer to.
    pub choice_lists: BTreeMap<String, Vec<Choice>>,
    /// Modules, in order.
    pub modules: Vec<Module>,
}

/// A field with the key records store it under (`module.field`).
#[derive(Debug, Clone, Copy)]
pub struct KeyedField<'a> {
    /// `module.field`.
    pub key: &'a str,
    /// The module's code.
    pub module: &'a str,
    /// The definition.
    pub def: &'a FieldDef,
}

impl FormDefinition {
    /// Every field with its module, in form order (repeat groups as one field).
    pub fn fields(&self) -> impl Iterator<Item = (&Module, &FieldDef)> {
        self.modules.iter().flat_map(|m| {
            m.sections
                .iter()
                .flat_map(move |s| s.fields.iter().map(move |f| (m, f)))
        })
    }

    /// How many questions the form has, counting each field of a repeat group once.
    pub fn field_count(&self) -> usize {
        fn count(f: &FieldDef) -> usize {
            match &f.field_type {
                FieldType::Repeat { fields, .. } => fields.iter().map(count).sum(),
                _ => 1,
            }
        }
        self.fields().map(|(_, f)| count(f)).sum()
    }

    /// The definition of the field stored under `key` (`module.field`).
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        let (module, code) = key.split_once('.')?;
        self.modules
            .iter()
            .find(|m| m.code == module)?
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .find(|f| f.code == code)
    }

    /// Everything wrong with the definition itself, by module and field code.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let keys: BTreeSet<String> = self
            .fields()
            .map(|(m, f)| format!("{}.{}", m.code, f.code))
            .collect();
        let mut seen_modules = BTreeSet::new();
        for module in &self.modules {
            if !is_code(&module.code) {
                problems.push(format!("module code {:?} is not a plain code", module.code));
            }
            if !seen_modules.insert(&module.code) {
                problems.push(format!("module {} appears twice", module.code));
            }
            let mut seen = BTreeSet::new();
            for field in module.sections.iter().flat_map(|s| &s.fields) {
                let key = format!("{}.{}", module.code, field.code);
                if !seen.insert(&field.code) {
                    problems.push(format!("field {key} appears twice"));
                }
                self.field_problems(&key, field, &keys, None, &mut problems);
            }
        }
        for (name, list) in &self.choice_lists {
            let codes: BTreeSet<_> = list.iter().map(|c| &c.code).collect();
            if codes.len() != list.len() || list.is_empty() {
                problems.push(format!("choice list {name} is empty or repeats a code"));
            }
        }
        problems
    }

    fn field_problems(
        &self,
        key: &str,
        field: &FieldDef,
        keys: &BTreeSet<String>,
        row: Option<&BTreeSet<String>>,
        problems: &mut Vec<String>,
    ) {
        if !is_code(&field.code) {
            problems.push(format!("field code {key:?} is not a plain code"));
        }
        match &field.field_type {
            FieldType::Single { choices } | FieldType::Multiple { choices, .. }
                if !self.choice_lists.contains_key(choices) =>
            {
                problems.push(format!(
                    "field {key} uses the unknown choice list {choices}"
                ));
            }
            FieldType::Text {
                pattern: Some(p), ..
            } if regex::Regex::new(p).is_err() => {
                problems.push(format!("field {key} has an invalid pattern"));
            }
            FieldType::Date { min: Some(d), .. } if crate::time::parse_date(d).is_none() => {
                problems.push(format!("field {key} has an invalid earliest date"));
            }
            FieldType::Repeat { fields, .. } => {
                if row.is_some() {
                    problems.push(format!(
                        "field {key} nests a repeat group in a repeat group"
                    ));
                }
                let row_keys: BTreeSet<String> = fields.iter().map(|f| f.code.clone()).collect();
                if row_keys.len() != fields.len() {
                    problems.push(format!("repeat group {key} repeats a field code"));
                }
                for sub in fields {
                    let sub_key = format!("{key}.{}", sub.code);
                    self.field_problems(&sub_key, sub, keys, Some(&row_keys), problems);
                }
            }
            _ => {}
        }
        let expressions = [
            ("relevance", field.relevant.as_deref()),
            (
                "constraint",
                field.constraint.as_ref().map(|c| c.expr.as_str()),
            ),
            ("calculation", field.calculate.as_deref()),
        ];
        for (what, expr) in expressions {
            let Some(expr) = expr else { continue };
            match super::expr::Expr::compile(expr) {
                Err(e) => problems.push(format!("field {key}: {what} does not parse: {e}")),
                Ok(compiled) => {
                    for var in compiled.variables() {
                        let known = keys.contains(var)
                            || (var == "value" && what == "constraint")
                            || var
                                .strip_prefix("row.")
                                .is_some_and(|c| row.is_some_and(|r| r.contains(c)));
                        if !known {
                            problems
                                .push(format!("field {key}: {what} refers to unknown field {var}"));
                        }
                    }
                }
            }
        }
    }
}

fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 48
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The forms the server publishes together as one piece of reference data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormPack {
    /// Grows with every publication.
    pub version: u64,
    /// One form per record kind that has a form.
    pub forms: Vec<FormDefinition>,
}

impl crate::ReferenceData for FormPack {
    const KIND: crate::ReferenceKind = crate::ReferenceKind::FormPack;

    fn version(&self) -> u64 {
        self.version
    }

    fn problems(&self) -> Vec<String> {
        FormPack::problems(self)
    }
}

impl FormPack {
    /// The form for records of `kind`.
    pub fn form(&self, kind: RecordKind) -> Option<&FormDefinition> {
        self.forms.iter().find(|f| f.kind == kind)
    }

    /// Everything wrong with the pack, prefixed by the form it is in.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut kinds = BTreeSet::new();
        for form in &self.forms {
            if !matches!(form.kind, RecordKind::Household | RecordKind::Person) {
                problems.push(format!("{} records have no form", form.kind));
            }
            if !kinds.insert(form.kind.as_str()) {
                problems.push(format!("two {} forms", form.kind));
            }
            problems.extend(
                form.problems()
                    .into_iter()
                    .map(|p| format!("{} form: {p}", form.kind)),
            );
        }
        problems
    }
}
