//! Reads a typed record straight out of a hydrated Automerge document with serde,
//! borrowing its keys and strings. A value reads exactly as its JSON form
//! (`tree::read_root`) would, without building that JSON first: a first sync
//! reads thousands of records of 150 fields, and the JSON copy of each, made and
//! dropped, was a fifth of the reading.

use automerge::{ScalarValue, hydrate};
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};

/// Deserializes `T` from a hydrated value.
pub(crate) fn from_hydrated<'a, T: serde::Deserialize<'a>>(
    value: &'a hydrate::Value,
) -> Result<T, Error> {
    T::deserialize(Hydrated(value))
}

/// A hydrated value as a serde deserializer.
#[derive(Clone, Copy)]
struct Hydrated<'a>(&'a hydrate::Value);

impl<'a> IntoDeserializer<'a, Error> for Hydrated<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl Hydrated<'_> {
    /// Whether the JSON form would be `null`.
    fn is_null(&self) -> bool {
        match self.0 {
            hydrate::Value::Scalar(s) => match s {
                ScalarValue::Null | ScalarValue::Unknown { .. } => true,
                ScalarValue::F64(f) => !f.is_finite(),
                _ => false,
            },
            _ => false,
        }
    }
}

impl<'de> de::Deserializer<'de> for Hydrated<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            hydrate::Value::Scalar(s) => match s {
                ScalarValue::Str(s) => visitor.visit_borrowed_str(s.as_str()),
                ScalarValue::Int(i) => visit_int(*i, visitor),
                ScalarValue::Uint(u) => visitor.visit_u64(*u),
                ScalarValue::F64(f) if f.is_finite() => visitor.visit_f64(*f),
                ScalarValue::Counter(c) => visit_int(i64::from(c), visitor),
                ScalarValue::Timestamp(t) => visit_int(*t, visitor),
                ScalarValue::Boolean(b) => visitor.visit_bool(*b),
                ScalarValue::Bytes(b) => visitor.visit_string(hex::encode(b)),
                ScalarValue::F64(_) | ScalarValue::Null | ScalarValue::Unknown { .. } => {
                    visitor.visit_unit()
                }
            },
            hydrate::Value::Map(m) => {
                let mut entries =
                    MapDeserializer::new(m.iter().map(|(k, v)| (k.as_str(), Hydrated(&v.value))));
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
            hydrate::Value::List(l) => {
                let mut items = SeqDeserializer::new(l.iter().map(|v| Hydrated(&v.value)));
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            hydrate::Value::Text(t) => visitor.visit_string(t.to_string()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // As JSON: a unit variant is its name; any other a map of one entry.
        match self.0 {
            hydrate::Value::Scalar(ScalarValue::Str(s)) => {
                visitor.visit_enum(s.as_str().into_deserializer())
            }
            hydrate::Value::Text(t) => visitor.visit_enum(t.to_string().into_deserializer()),
            hydrate::Value::Map(m) if m.iter().count() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(MapDeserializer::new(
                    m.iter().map(|(k, v)| (k.as_str(), Hydrated(&v.value))),
                )))
            }
            _ => Err(de::Error::invalid_type(self.unexpected(), &"an enum")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

impl Hydrated<'_> {
    /// What the value is, for an error.
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self.0 {
            hydrate::Value::Map(_) => de::Unexpected::Map,
            hydrate::Value::List(_) => de::Unexpected::Seq,
            _ => de::Unexpected::Other("a value"),
        }
    }
}

/// An integer as JSON gives it: non-negative ones as unsigned.
fn visit_int<'a, V: Visitor<'a>>(i: i64, visitor: V) -> Result<V::Value, Error> {
    match u64::try_from(i) {
        Ok(u) => visitor.visit_u64(u),
        Err(_) => visitor.visit_i64(i),
    }
}

#[cfg(test)]
mod tests {
    use automerge::{AutoCommit, ReadDoc};
    use serde::de::DeserializeOwned;

    use super::from_hydrated;
    use crate::FieldStore;
    use crate::documents::{storage, tree};
    use crate::org::demo::{demo_county, village_code};
    use crate::patrol::TravelMode;
    use crate::records::{
        FieldValue, GeoPoint, Household, Incident, IncidentTransition, PatrolLog, Person,
    };

    /// Reads a document both ways: through its JSON form (the old reading) and
    /// straight from the hydrated value; both must agree.
    fn read_both<R: DeserializeOwned + PartialEq + std::fmt::Debug>(doc: &AutoCommit) -> R {
        let json: R = serde_json::from_value(tree::read_root(doc, None)).unwrap();
        let hydrated = doc.hydrate(&automerge::ROOT, None).unwrap();
        let direct: R = from_hydrated(&hydrated).unwrap();
        assert_eq!(direct, json);
        direct
    }

    fn stored(s: &FieldStore, id: &str) -> AutoCommit {
        storage::load(&s.conn(), id).unwrap().unwrap().doc
    }

    #[test]
    fn every_kind_of_record_reads_as_its_json_form_does() {
        let dir = tempfile::tempdir().unwrap();
        let s = FieldStore::open(dir.path().join("s.sqlite")).unwrap();
        s.import_org_tree(&demo_county()).unwrap();
        s.sign_in("worker-cadre");
        let grid = format!("{}001", village_code(0));

        let mut h = Household::new(&grid, "山口村3组12号", "刘凤英");
        h.door_plate = Some("SK-00012".into());
        for (key, value) in [
            ("basic.floors", FieldValue::Int(2)),
            ("basic.debt", FieldValue::Int(-3)),
            ("income.total", FieldValue::Decimal(-12.5)),
            ("income.round", FieldValue::Decimal(3.0)),
            ("basic.own", FieldValue::Bool(true)),
            ("basic.none", FieldValue::Choices(Vec::new())),
            (
                "basic.uses",
                FieldValue::Choices(vec!["a".into(), "b".into()]),
            ),
            (
                "basic.place",
                FieldValue::Point(GeoPoint {
                    lat: 34.5,
                    lon: 118.0,
                }),
            ),
            (
                "relief.rows",
                FieldValue::Rows(vec![
                    [("name".to_owned(), FieldValue::Text("张三".into()))].into(),
                    Default::default(),
                ]),
            ),
        ] {
            h.fields.insert(key.into(), value);
        }
        let id = s.create(&h).unwrap();
        assert_eq!(read_both::<Household>(&stored(&s, &id)), h);

        let mut p = Person::new(&grid, "王建国");
        p.id_number = Some("11010519491231002X".into());
        let id = s.create(&p).unwrap();
        assert_eq!(read_both::<Person>(&stored(&s, &id)), p);

        let incident = Incident {
            grid_code: grid.clone(),
            category: "dispute.neighbour".into(),
            description: "邻里纠纷".into(),
            location: Some(GeoPoint {
                lat: 34.5,
                lon: 118.7,
            }),
            reporter_id: "worker-cadre".into(),
            reported_at: 1_760_000_000,
            urgency: Default::default(),
            transitions: vec![IncidentTransition {
                by: "worker-cadre".into(),
                role: "grid_worker".into(),
                at: 1_760_000_060,
                from: "reported".into(),
                to: "accepted".into(),
                note: String::new(),
                assignee: Some("worker-cadre".into()),
                parts: Vec::new(),
                supervisor: None,
                part: None,
                urge: None,
                answer: None,
            }],
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        };
        let id = s.create(&incident).unwrap();
        assert_eq!(read_both::<Incident>(&stored(&s, &id)), incident);

        let patrol = s
            .start_patrol(&grid, "日常巡查", TravelMode::Walking)
            .unwrap();
        s.stop_patrol(&patrol).unwrap();
        let log = read_both::<PatrolLog>(&stored(&s, &patrol));
        assert_eq!(log, s.get::<PatrolLog>(&patrol).unwrap());
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_refused_as_json_refuses_it() {
        let mut doc = AutoCommit::new();
        tree::write_diff(
            &mut doc,
            &serde_json::json!({}),
            &serde_json::json!({"grid_code": 5, "address": "x", "head_name": "y"}),
        )
        .unwrap();
        assert!(doc.get(&automerge::ROOT, "grid_code").unwrap().is_some());
        assert!(serde_json::from_value::<Household>(tree::read_root(&doc, None)).is_err());
        let hydrated = doc.hydrate(&automerge::ROOT, None).unwrap();
        assert!(from_hydrated::<Household>(&hydrated).is_err());
    }
}
