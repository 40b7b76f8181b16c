//! Lists and exact lookups of households and persons, read from their query tables.

use rusqlite::types::Value as SqlValue;

use super::FieldStore;
use crate::error::Result;
use crate::household::{FoundRecord, HouseholdQuery, HouseholdSummary, PersonQuery, PersonSummary};
use crate::index::lookup_hash;
use crate::records::{FieldValue, RecordKind, RecordStatus};

impl FieldStore {
    /// Households matching `query`, ordered by address.
    pub fn list_households(&self, query: &HouseholdQuery) -> Result<Vec<HouseholdSummary>> {
        let w = household_filter(query);
        let sql = format!(
            "SELECT d.doc_id, h.grid_code, h.head_name, h.address, h.door_plate, h.status,
                    h.member_count, h.complete, h.problems, h.last_visit_at, h.visits
             FROM households h JOIN documents d ON d.id = h.doc
             WHERE {} ORDER BY h.address, h.doc LIMIT {} OFFSET {}",
            w.clause(),
            limit(query.limit),
            query.offset
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(w.args.iter()), |r| {
            Ok(HouseholdSummary {
                id: r.get(0)?,
                grid_code: r.get(1)?,
                head_name: r.get(2)?,
                address: r.get(3)?,
                door_plate: r.get(4)?,
                status: r.get(5)?,
                members: r.get(6)?,
                complete: r.get(7)?,
                problems: r.get(8)?,
                last_visit_at: r.get(9)?,
                visits: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many households match `query` (ignoring its limit and offset).
    pub fn count_households(&self, query: &HouseholdQuery) -> Result<u64> {
        let w = household_filter(query);
        let sql = format!("SELECT count(*) FROM households h WHERE {}", w.clause());
        let n: i64 =
            self.conn()
                .query_row(&sql, rusqlite::params_from_iter(w.args.iter()), |r| {
                    r.get(0)
                })?;
        Ok(n as u64)
    }

    /// Persons matching `query`, ordered by name.
    pub fn list_persons(&self, query: &PersonQuery) -> Result<Vec<PersonSummary>> {
        let mut w = Where::new();
        w.common(
            "p",
            &query.grids,
            query.village.as_deref(),
            query.status,
            &query.filters,
            query.with_problems,
        );
        if let Some(h) = &query.household {
            let p = w.arg(h.clone());
            w.sql.push(format!("p.household_id = {p}"));
        }
        let sql = format!(
            "SELECT d.doc_id, p.grid_code, p.name, p.household_id, p.status, p.complete, p.problems
             FROM persons p JOIN documents d ON d.id = p.doc
             WHERE {} ORDER BY p.name, p.doc LIMIT {} OFFSET {}",
            w.clause(),
            limit(query.limit),
            query.offset
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(w.args.iter()), |r| {
            Ok(PersonSummary {
                id: r.get(0)?,
                grid_code: r.get(1)?,
                name: r.get(2)?,
                household_id: r.get(3)?,
                status: r.get(4)?,
                complete: r.get(5)?,
                problems: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Persons with exactly this ID-card number (normally one).
    pub fn find_by_id_number(&self, id_number: &str) -> Result<Vec<FoundRecord>> {
        let Some(hash) = lookup_hash(Some(&FieldValue::Text(id_number.to_owned()))) else {
            return Ok(Vec::new());
        };
        self.found(
            "SELECT 'person', d.doc_id, d.title, d.grid_code FROM persons p JOIN documents d ON d.id = p.doc
             WHERE p.id_hash = ?1 ORDER BY p.status = 'active' DESC, d.doc_id",
            hash,
        )
    }

    /// Persons of `grids` (every grid if empty) who share an ID-card number with
    /// another person of those grids, in groups (one group a number), for a
    /// supervisor to sort out. The numbers themselves are not returned.
    pub fn duplicate_id_numbers(&self, grids: &[String]) -> Result<Vec<Vec<FoundRecord>>> {
        let conn = self.conn();
        let grids = serde_json::to_string(grids).unwrap_or_else(|_| "[]".into());
        let mut stmt = conn.prepare_cached(
            "WITH mine AS (
                SELECT p.id_hash, d.doc_id, d.title, d.grid_code FROM persons p
                JOIN documents d ON d.id = p.doc
                WHERE p.id_hash IS NOT NULL
                  AND (?1 = '[]' OR d.grid_code IN (SELECT value FROM json_each(?1))))
             SELECT id_hash, doc_id, title, grid_code FROM mine
             WHERE id_hash IN (SELECT id_hash FROM mine GROUP BY id_hash HAVING count(*) > 1)
             ORDER BY id_hash, doc_id",
        )?;
        let rows = stmt.query_map([grids], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                FoundRecord {
                    kind: RecordKind::Person,
                    id: r.get(1)?,
                    title: r.get(2)?,
                    grid_code: r.get(3)?,
                },
            ))
        })?;
        let mut groups: Vec<(Vec<u8>, Vec<FoundRecord>)> = Vec::new();
        for row in rows {
            let (hash, found) = row?;
            match groups.last_mut() {
                Some((h, g)) if *h == hash => g.push(found),
                _ => groups.push((hash, vec![found])),
            }
        }
        Ok(groups.into_iter().map(|(_, g)| g).collect())
    }

    /// Households (by the head's phone) and persons with exactly this phone number.
    pub fn find_by_phone(&self, phone: &str) -> Result<Vec<FoundRecord>> {
        let Some(hash) = lookup_hash(Some(&FieldValue::Text(phone.to_owned()))) else {
            return Ok(Vec::new());
        };
        self.found(
            "SELECT 'household', d.doc_id, d.title, d.grid_code FROM households h JOIN documents d ON d.id = h.doc
             WHERE h.phone_hash = ?1
             UNION ALL
             SELECT 'person', d.doc_id, d.title, d.grid_code FROM persons p JOIN documents d ON d.id = p.doc
             WHERE p.phone_hash = ?1",
            hash,
        )
    }

    /// The cadre's search box: an ID-card number or a phone number is looked up
    /// exactly; anything else searches names, addresses and door plates (Chinese
    /// full text), households and persons, within `grids` if given.
    pub fn find_residents(
        &self,
        text: &str,
        grids: &[String],
        limit: usize,
    ) -> Result<Vec<FoundRecord>> {
        // Full-width digits (３２０７…) are the same number.
        let normalised = crate::text::nfkc(text);
        let t = normalised.trim();
        let compact: String = t
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let in_grids = |f: &FoundRecord| grids.is_empty() || grids.contains(&f.grid_code);
        if compact.len() == 18
            && compact.is_ascii()
            && compact[..17].bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(self
                .find_by_id_number(&compact)?
                .into_iter()
                .filter(in_grids)
                .take(limit)
                .collect());
        }
        if compact.len() >= 7 && compact.bytes().all(|b| b.is_ascii_digit()) {
            let by_phone: Vec<_> = self
                .find_by_phone(&compact)?
                .into_iter()
                .filter(in_grids)
                .take(limit)
                .collect();
            if !by_phone.is_empty() {
                return Ok(by_phone);
            }
        }
        let filter = crate::SearchFilter {
            kinds: vec![RecordKind::Household, RecordKind::Person],
            grid_codes: grids.to_vec(),
        };
        Ok(self
            .search(t, &filter, limit)?
            .into_iter()
            .map(|hit| FoundRecord {
                kind: hit.kind,
                id: hit.id,
                title: hit.title,
                grid_code: hit.grid_code,
            })
            .collect())
    }

    fn found(&self, sql: &str, hash: Vec<u8>) -> Result<Vec<FoundRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([hash], |r| {
            let kind: String = r.get(0)?;
            Ok(FoundRecord {
                kind: if kind == "person" {
                    RecordKind::Person
                } else {
                    RecordKind::Household
                },
                id: r.get(1)?,
                title: r.get(2)?,
                grid_code: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Builds the shared WHERE clause pieces.
struct Where {
    sql: Vec<String>,
    args: Vec<SqlValue>,
}

impl Where {
    fn new() -> Self {
        Where {
            sql: vec!["1".into()],
            args: Vec::new(),
        }
    }

    fn arg(&mut self, v: impl Into<SqlValue>) -> String {
        self.args.push(v.into());
        format!("?{}", self.args.len())
    }

    fn common(
        &mut self,
        alias: &str,
        grids: &[String],
        village: Option<&str>,
        status: Option<RecordStatus>,
        filters: &[(String, String)],
        with_problems: bool,
    ) {
        if !grids.is_empty() {
            let list: Vec<String> = grids.iter().map(|g| self.arg(g.clone())).collect();
            self.sql
                .push(format!("{alias}.grid_code IN ({})", list.join(",")));
        }
        if let Some(v) = village {
            let p = self.arg(v.to_owned());
            self.sql.push(format!(
                "{alias}.grid_code IN (SELECT code FROM grids WHERE unit = {p})"
            ));
        }
        if let Some(s) = status {
            let p = self.arg(s.as_str().to_owned());
            self.sql.push(format!("{alias}.status = {p}"));
        }
        for (field, value) in filters {
            let f = self.arg(field.clone());
            let v = self.arg(value.clone());
            self.sql.push(format!(
                "{alias}.doc IN (SELECT doc FROM record_facets WHERE field = {f} AND value = {v})"
            ));
        }
        if with_problems {
            self.sql.push(format!("{alias}.problems > 0"));
        }
    }

    fn clause(&self) -> String {
        self.sql.join(" AND ")
    }
}

/// The WHERE clause of a household query (shared by the list and the count).
fn household_filter(query: &HouseholdQuery) -> Where {
    let mut w = Where::new();
    w.common(
        "h",
        &query.grids,
        query.village.as_deref(),
        query.status,
        &query.filters,
        query.with_problems,
    );
    if let Some(days) = query.not_visited_days {
        let p = w.arg(crate::time::now() - i64::from(days) * 86_400);
        w.sql.push(format!(
            "(h.last_visit_at IS NULL OR h.last_visit_at < {p})"
        ));
    }
    w
}

fn limit(l: u32) -> u32 {
    if l == 0 { 500 } else { l }
}
