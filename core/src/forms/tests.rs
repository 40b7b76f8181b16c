//! Tests of the form engine on small hand-made forms and on the shipped pack.

use std::collections::BTreeMap;

use super::*;
use crate::records::{FieldValue, GeoPoint};

fn today() -> jiff::civil::Date {
    parse_date("2026-11-24").unwrap()
}

/// A form with one field of every type, a constraint, skip logic, a calculation
/// and a repeat group.
fn every_type() -> CompiledForm {
    let json = r#"{
      "kind": "person", "version": 3, "title": {"zh": "测试", "en": "test"},
      "choice_lists": {"colour": [{"code": "red", "label": {"zh": "红", "en": "red"}},
                                  {"code": "blue", "label": {"zh": "蓝", "en": "blue"}}]},
      "modules": [{"code": "m", "label": {"zh": "模块", "en": "module"}, "sections": [
        {"code": "s", "label": {"zh": "节", "en": "section"}, "fields": [
          {"code": "text", "label": {"zh": "文本", "en": "text"}, "type": "text", "max_len": 5, "pattern": "[A-Z]+"},
          {"code": "int", "label": {"zh": "整数", "en": "integer"}, "type": "integer", "min": 0, "max": 10, "required": true},
          {"code": "dec", "label": {"zh": "小数", "en": "decimal"}, "type": "decimal", "min": 0.5},
          {"code": "birth", "label": {"zh": "出生日期", "en": "birth"}, "type": "date", "not_future": true},
          {"code": "due", "label": {"zh": "期限", "en": "due"}, "type": "date", "min": "2020-01-01"},
          {"code": "one", "label": {"zh": "单选", "en": "single"}, "type": "single", "choices": "colour"},
          {"code": "many", "label": {"zh": "多选", "en": "multiple"}, "type": "multiple", "choices": "colour", "max": 1},
          {"code": "yn", "label": {"zh": "是否", "en": "yes/no"}, "type": "yes_no"},
          {"code": "id", "label": {"zh": "身份证", "en": "id"}, "type": "id_card"},
          {"code": "tel", "label": {"zh": "电话", "en": "phone"}, "type": "phone"},
          {"code": "geo", "label": {"zh": "位置", "en": "place"}, "type": "geopoint"},
          {"code": "pics", "label": {"zh": "照片", "en": "photos"}, "type": "photos", "max": 1},
          {"code": "even", "label": {"zh": "偶数", "en": "even"}, "type": "integer",
           "constraint": {"expr": "value % 2 == 0 && value <= m.int", "message": {"zh": "须为偶数且不大于整数", "en": "must be even and at most int"}}},
          {"code": "shown", "label": {"zh": "条件", "en": "conditional"}, "type": "text", "required": true,
           "relevant": "m.yn == true && selected(m.many, \"red\")"},
          {"code": "sum", "label": {"zh": "合计", "en": "sum"}, "type": "decimal", "calculate": "total(m.int, m.dec)"},
          {"code": "rows", "label": {"zh": "明细", "en": "rows"}, "type": "repeat", "max_rows": 2, "fields": [
             {"code": "what", "label": {"zh": "名称", "en": "what"}, "type": "text", "required": true},
             {"code": "n", "label": {"zh": "数量", "en": "count"}, "type": "integer", "min": 1,
              "relevant": "row.what != \"none\""}]},
          {"code": "nrows", "label": {"zh": "行数", "en": "row count"}, "type": "integer", "calculate": "count(m.rows)"}
        ]}]}]
    }"#;
    CompiledForm::new(serde_json::from_str(json).unwrap()).unwrap()
}

fn vals(pairs: &[(&str, FieldValue)]) -> FormValues {
    pairs
        .iter()
        .map(|(k, v)| (format!("m.{k}"), v.clone()))
        .collect()
}

fn problems_of(form: &CompiledForm, pairs: &[(&str, FieldValue)]) -> Vec<(String, Severity)> {
    form.check(&vals(pairs), today())
        .into_iter()
        .map(|p| (p.field, p.severity))
        .collect()
}

fn invalid(form: &CompiledForm, key: &str, value: FieldValue) -> Option<String> {
    let mut values = vals(&[("int", FieldValue::Int(8))]);
    values.insert(format!("m.{key}"), value.clone());
    let p = form.check_value(&format!("m.{key}"), Some(&value), &values, today());
    p.into_iter()
        .find(|p| p.severity == Severity::Invalid)
        .map(|p| p.message)
}

#[test]
fn every_field_type_accepts_good_values_and_refuses_bad_ones() {
    let f = every_type();
    let t = |s: &str| FieldValue::Text(s.into());
    let hash = "ab".repeat(32);
    let good = [
        ("text", t("ABC")),
        ("int", FieldValue::Int(10)),
        ("dec", FieldValue::Decimal(0.5)),
        ("dec", FieldValue::Int(3)),
        ("birth", t("2026-11-24")),
        ("due", t("2030-01-01")),
        ("one", t("red")),
        ("many", FieldValue::Choices(vec!["blue".into()])),
        ("yn", FieldValue::Bool(false)),
        ("id", t("11010519491231002X")),
        ("tel", t("13912345678")),
        ("tel", t("0518-87654321")),
        (
            "geo",
            FieldValue::Point(GeoPoint {
                lat: 34.6,
                lon: 118.7,
            }),
        ),
        ("pics", FieldValue::Choices(vec![hash.clone()])),
        ("even", FieldValue::Int(4)),
    ];
    for (key, value) in good {
        assert_eq!(invalid(&f, key, value.clone()), None, "{key} = {value:?}");
    }
    let bad = [
        ("text", t("ABCDEF"), "at most 5"),
        ("text", t("abc"), "expected format"),
        ("text", FieldValue::Int(1), "expects text"),
        ("int", t("十"), "whole number"),
        ("int", FieldValue::Decimal(2.5), "whole number"),
        ("int", FieldValue::Int(11), "at most 10"),
        ("int", FieldValue::Int(-1), "at least 0"),
        ("dec", FieldValue::Decimal(0.1), "at least 0.5"),
        ("dec", t("1.5"), "a number"),
        ("birth", t("2026-11-25"), "in the future"),
        ("birth", t("2026-02-30"), "not a real date"),
        ("due", t("2019-12-31"), "earlier than 2020-01-01"),
        ("one", t("green"), "offered choices"),
        (
            "many",
            FieldValue::Choices(vec!["red".into(), "blue".into()]),
            "at most 1",
        ),
        (
            "many",
            FieldValue::Choices(vec!["red".into(), "red".into()]),
            "twice",
        ),
        ("yn", t("yes"), "yes or no"),
        ("id", t("110105194912310021"), "check character"),
        ("id", t("11010519491331002X"), "birth date"),
        ("tel", t("12345"), "mobile number"),
        (
            "geo",
            FieldValue::Point(GeoPoint {
                lat: 95.0,
                lon: 118.7,
            }),
            "possible place",
        ),
        (
            "pics",
            FieldValue::Choices(vec!["not-a-hash".into()]),
            "stored photo",
        ),
        (
            "pics",
            FieldValue::Choices(vec![hash.clone(), hash.replace('a', "c")]),
            "at most 1",
        ),
        ("even", FieldValue::Int(3), "must be even"),
        ("even", FieldValue::Int(10), "must be even and at most int"),
    ];
    for (key, value, expected) in bad {
        let message =
            invalid(&f, key, value.clone()).unwrap_or_else(|| panic!("{key} = {value:?} accepted"));
        assert!(
            message.contains(expected),
            "{key}: {message:?} lacks {expected:?}"
        );
    }
}

#[test]
fn messages_never_repeat_the_value() {
    let f = every_type();
    for value in ["110105194912310021", "12345678"] {
        for key in ["id", "tel", "int", "text"] {
            if let Some(m) = invalid(&f, key, FieldValue::Text(value.into())) {
                assert!(!m.contains(value), "{m}");
            }
        }
    }
}

#[test]
fn required_fields_and_skip_logic() {
    let f = every_type();
    // Nothing filled: only the plain required field is missing; the conditional
    // one is hidden.
    assert_eq!(
        problems_of(&f, &[]),
        vec![("m.int".into(), Severity::Incomplete)]
    );
    let red = FieldValue::Choices(vec!["red".into()]);
    let shown = [
        ("int", FieldValue::Int(2)),
        ("yn", FieldValue::Bool(true)),
        ("many", red.clone()),
    ];
    assert_eq!(
        problems_of(&f, &shown),
        vec![("m.shown".into(), Severity::Incomplete)]
    );
    // Either condition off hides it again.
    let off = [
        ("int", FieldValue::Int(2)),
        ("yn", FieldValue::Bool(false)),
        ("many", red),
    ];
    assert!(problems_of(&f, &off).is_empty());
    // A hidden field's value is not checked, and is reported as hidden.
    let mut values = vals(&off);
    values.insert("m.shown".into(), FieldValue::Int(5));
    assert!(f.check(&values, today()).is_empty());
    assert_eq!(
        f.hidden_with_values(&values, today()),
        vec!["m.shown".to_owned()]
    );
}

#[test]
fn calculations_follow_their_inputs() {
    let f = every_type();
    let mut values = vals(&[
        ("int", FieldValue::Int(2)),
        ("dec", FieldValue::Decimal(1.25)),
    ]);
    let changed = f.calculate(&mut values, today());
    assert_eq!(changed, vec!["m.sum".to_owned(), "m.nrows".to_owned()]);
    assert_eq!(values["m.sum"], FieldValue::Decimal(3.25));
    assert_eq!(values["m.nrows"], FieldValue::Int(0));
    values.remove("m.dec");
    assert_eq!(f.calculate(&mut values, today()), vec!["m.sum".to_owned()]);
    assert_eq!(values["m.sum"], FieldValue::Int(2));
    assert!(
        f.calculate(&mut values, today()).is_empty(),
        "stable once computed"
    );
}

#[test]
fn repeat_groups_check_every_row() {
    let f = every_type();
    let row = |what: &str, n: Option<i64>| {
        let mut r = BTreeMap::new();
        r.insert("what".to_owned(), FieldValue::Text(what.into()));
        if let Some(n) = n {
            r.insert("n".to_owned(), FieldValue::Int(n));
        }
        r
    };
    let rows = FieldValue::Rows(vec![row("鸡", Some(0)), row("none", Some(0))]);
    let p = problems_of(&f, &[("int", FieldValue::Int(1)), ("rows", rows)]);
    // Row 0's count is below its minimum; row 1's count is hidden by its relevance.
    assert_eq!(p, vec![("m.rows[0].n".into(), Severity::Invalid)]);
    let mut empty_row = BTreeMap::new();
    empty_row.insert("n".to_owned(), FieldValue::Int(2));
    let p = problems_of(
        &f,
        &[
            ("int", FieldValue::Int(1)),
            ("rows", FieldValue::Rows(vec![empty_row])),
        ],
    );
    assert_eq!(p, vec![("m.rows[0].what".into(), Severity::Incomplete)]);
    let three = FieldValue::Rows(vec![row("a", None), row("b", None), row("c", None)]);
    assert!(
        invalid(&f, "rows", three)
            .unwrap()
            .contains("at most 2 rows")
    );
}

#[test]
fn broken_definitions_are_refused_with_every_problem() {
    let json = r#"{
      "kind": "household", "version": 1, "title": {"zh": "坏", "en": "bad"},
      "choice_lists": {},
      "modules": [{"code": "m", "label": {"zh": "模", "en": "m"}, "sections": [
        {"code": "s", "label": {"zh": "节", "en": "s"}, "fields": [
          {"code": "a", "label": {"zh": "甲", "en": "a"}, "type": "single", "choices": "nope"},
          {"code": "a", "label": {"zh": "乙", "en": "b"}, "type": "text", "pattern": "("},
          {"code": "c", "label": {"zh": "丙", "en": "c"}, "type": "integer", "relevant": "m.zzz > 1"},
          {"code": "d", "label": {"zh": "丁", "en": "d"}, "type": "integer", "calculate": "(m.c + 1"}
        ]}]}]
    }"#;
    let def: FormDefinition = serde_json::from_str(json).unwrap();
    let problems = CompiledForm::new(def).unwrap_err();
    let all = problems.join("\n");
    for expected in [
        "unknown choice list nope",
        "m.a appears twice",
        "invalid pattern",
        "unknown field m.zzz",
        "m.d: calculation does not parse",
    ] {
        assert!(all.contains(expected), "{expected:?} missing from:\n{all}");
    }
}

#[test]
fn the_shipped_pack_is_sound_and_large_enough() {
    let pack = default_form_pack();
    assert!(pack.problems().is_empty(), "{:#?}", pack.problems());
    let house = pack.form(crate::records::RecordKind::Household).unwrap();
    let person = pack.form(crate::records::RecordKind::Person).unwrap();
    assert_eq!(house.modules.len(), 6);
    assert_eq!(person.modules.len(), 11);
    assert!(house.field_count() >= 140, "{}", house.field_count());
    assert!(person.field_count() >= 140, "{}", person.field_count());
    for form in [house, person] {
        for (module, field) in form.fields() {
            assert!(
                !field.label.zh.is_empty() && !field.label.en.is_empty(),
                "{}.{}",
                module.code,
                field.code
            );
        }
        assert!(
            form.fields().any(|(_, f)| f.filter),
            "{} has list filters",
            form.kind
        );
    }
}

#[test]
fn the_person_form_derives_sex_birth_and_age_from_the_id_number() {
    let pack = default_form_pack();
    let form = CompiledForm::new(
        pack.form(crate::records::RecordKind::Person)
            .unwrap()
            .clone(),
    )
    .unwrap();
    let mut values = FormValues::new();
    values.insert(
        "basic.id_number".into(),
        FieldValue::Text("11010519491231002X".into()),
    );
    form.calculate(&mut values, today());
    assert_eq!(values["basic.sex"], FieldValue::Text("female".into()));
    assert_eq!(
        values["basic.birth_date"],
        FieldValue::Text("1949-12-31".into())
    );
    assert_eq!(values["basic.age"], FieldValue::Int(76));
    // A 76-year-old is asked about pensions, not about school or pregnancy.
    let env_values = expr::to_values(values.iter());
    let env = expr::Env::new(&env_values, "2026-11-24".into());
    assert!(form.is_relevant("assistance.pension", &env));
    assert!(!form.is_relevant("education.school_status", &env));
    assert!(!form.is_relevant("family_planning.pregnant", &env));
}

#[test]
fn example_records_pass_their_forms() {
    let pack = default_form_pack();
    for form in &pack.forms {
        let compiled = CompiledForm::new(form.clone()).unwrap();
        for seed in 0..40 {
            let mut values = sample::example_values(&compiled, seed, "2026-11-24");
            compiled.calculate(&mut values, today());
            let problems: Vec<_> = compiled
                .check(&values, today())
                .into_iter()
                .filter(|p| p.severity == Severity::Invalid)
                .collect();
            assert!(
                problems.is_empty(),
                "{} seed {seed}: {problems:#?}",
                form.kind
            );
            assert!(
                values.len() > 40,
                "{} seed {seed}: {}",
                form.kind,
                values.len()
            );
        }
    }
}
