//! Values of form fields and geographic points inside records.

use serde::{Deserialize, Serialize};

/// A point in WGS-84 degrees, as the phone's GPS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// Whether both coordinates are finite and in range.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// The value of one form field. Each field is one Automerge scalar (or a list of
/// choices), so concurrent edits of different fields merge and edits of the same
/// field show as a conflict.
///
/// On the wire and in documents a value is its plain JSON shape (untagged): a
/// boolean, an integer, a decimal, a string, a list of strings, a `{lat, lon}`
/// map or a list of row maps. Reading goes by that shape directly (see the
/// `Deserialize` below), not by trying each variant in turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Yes/no.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Decimal(f64),
    /// Text, a date (`YYYY-MM-DD`), a single choice's code, an ID or phone number.
    Text(String),
    /// The codes of a multiple choice.
    Choices(Vec<String>),
    /// A place.
    Point(GeoPoint),
    /// The rows of a repeat group, each row's answers by field code.
    Rows(Vec<std::collections::BTreeMap<String, FieldValue>>),
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Reads a [`FieldValue`] by the shape of what arrives: a first sync reads
/// millions of values, and trying each variant in turn built (and dropped) a
/// formatted error for every miss.
struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = FieldValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a form value (yes/no, number, text, choices, place or rows)")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<FieldValue, E> {
        Ok(FieldValue::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FieldValue, E> {
        Ok(FieldValue::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FieldValue, E> {
        // Beyond i64 a number is kept as a decimal, as the untagged order did.
        Ok(i64::try_from(v).map_or(FieldValue::Decimal(v as f64), FieldValue::Int))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<FieldValue, E> {
        Ok(FieldValue::Decimal(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FieldValue, E> {
        Ok(FieldValue::Text(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<FieldValue, E> {
        Ok(FieldValue::Text(v))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<FieldValue, A::Error> {
        let (mut choices, mut rows, mut numbers) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(item) = seq.next_element::<ListItem>()? {
            match item {
                ListItem::Choice(c) => choices.push(c),
                ListItem::Row(r) => rows.push(r),
                ListItem::Number(n) => numbers.push(n),
            }
        }
        match (choices.is_empty(), rows.is_empty(), numbers.as_slice()) {
            (_, true, []) => Ok(FieldValue::Choices(choices)),
            (true, false, []) => Ok(FieldValue::Rows(rows)),
            // A place may also come as its two fields in order.
            (true, true, &[lat, lon]) => Ok(FieldValue::Point(GeoPoint { lat, lon })),
            _ => Err(serde::de::Error::custom(
                "a list must hold choice codes only or rows only",
            )),
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<FieldValue, A::Error> {
        GeoPoint::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(FieldValue::Point)
    }
}

/// One item of a listed value: a choice's code, a repeat group's row, or a
/// coordinate of a place given as `[lat, lon]`.
enum ListItem {
    Choice(String),
    Row(std::collections::BTreeMap<String, FieldValue>),
    Number(f64),
}

impl<'de> Deserialize<'de> for ListItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> serde::de::Visitor<'de> for ItemVisitor {
            type Value = ListItem;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a choice code or a row of answers")
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ListItem, E> {
                Ok(ListItem::Number(v as f64))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ListItem, E> {
                Ok(ListItem::Number(v as f64))
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ListItem, E> {
                Ok(ListItem::Number(v))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ListItem, E> {
                Ok(ListItem::Choice(v.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<ListItem, E> {
                Ok(ListItem::Choice(v))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ListItem, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ListItem::Row)
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl FieldValue {
    /// The text to index for search, if this kind of value is searched.
    pub(crate) fn search_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

impl From<f64> for FieldValue {
    fn from(d: f64) -> Self {
        FieldValue::Decimal(d)
    }
}

impl From<Vec<String>> for FieldValue {
    fn from(codes: Vec<String>) -> Self {
        FieldValue::Choices(codes)
    }
}

impl From<GeoPoint> for FieldValue {
    fn from(p: GeoPoint) -> Self {
        FieldValue::Point(p)
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

/// Values of a record's fields by key, as the form engine sees them.
pub type FormValues = std::collections::BTreeMap<String, FieldValue>;

#[cfg(test)]
mod tests {
    use super::{FieldValue, GeoPoint};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// The derived, variant-by-variant reading the hand-written one replaced.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        Bool(bool),
        Int(i64),
        Decimal(f64),
        Text(String),
        Choices(Vec<String>),
        Point(GeoPoint),
        Rows(Vec<BTreeMap<String, Untagged>>),
    }

    impl From<Untagged> for FieldValue {
        fn from(v: Untagged) -> Self {
            match v {
                Untagged::Bool(b) => FieldValue::Bool(b),
                Untagged::Int(i) => FieldValue::Int(i),
                Untagged::Decimal(d) => FieldValue::Decimal(d),
                Untagged::Text(t) => FieldValue::Text(t),
                Untagged::Choices(c) => FieldValue::Choices(c),
                Untagged::Point(p) => FieldValue::Point(p),
                Untagged::Rows(r) => FieldValue::Rows(
                    r.into_iter()
                        .map(|row| row.into_iter().map(|(k, v)| (k, v.into())).collect())
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn reads_every_shape_as_the_untagged_order_did() {
        let inputs = [
            "true",
            "0",
            "-7",
            "9223372036854775807",
            "18446744073709551615",
            "3.0",
            "-0.5",
            "\"砖混结构\"",
            "\"\"",
            "[]",
            "[\"a\", \"b\"]",
            "{\"lat\": 34.5, \"lon\": 118.7}",
            "{\"lat\": 34.5, \"lon\": 118.7, \"alt\": 3}",
            "[{\"name\": \"张三\", \"age\": 3}, {}]",
            "[{\"rows\": [{\"x\": [\"c1\"]}]}]",
            "null",
            "{\"lat\": 1}",
            "[1, 2]",
            "[34.5, 118]",
            // Not values: each must fail in both readings.
            "[1, 2, 3]",
            "[1]",
            "[\"a\", 1]",
            "[\"a\", {\"x\": 1}]",
            "[{\"x\": null}]",
        ];
        for text in inputs {
            let new = serde_json::from_str::<FieldValue>(text).ok();
            let old = serde_json::from_str::<Untagged>(text)
                .ok()
                .map(FieldValue::from);
            assert_eq!(new, old, "{text}");
            // CBOR, the wire format, reads the same.
            if let Some(value) = &new {
                let mut bytes = Vec::new();
                ciborium::into_writer(value, &mut bytes).unwrap();
                let back: FieldValue = ciborium::from_reader(&bytes[..]).unwrap();
                assert_eq!(&back, value, "{text} through CBOR");
            }
        }
    }
}
