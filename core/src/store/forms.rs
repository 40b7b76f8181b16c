//! The form pack in force on the phone.

use std::sync::Arc;

use rusqlite::OptionalExtension;

use super::FieldStore;
use crate::error::{Error, Result};
use crate::forms::{CompiledForm, FORMS, FormPack, current_form, default_form_pack};
use crate::records::RecordKind;

impl FieldStore {
    /// The form pack in force: the last one imported, or the shipped default.
    pub fn form_pack(&self) -> Result<FormPack> {
        let body: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM reference_blobs WHERE what = ?1",
                [FORMS],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_else(default_form_pack))
    }

    /// The version of the imported form pack, if one was imported.
    pub fn form_pack_version(&self) -> Result<Option<u64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT version FROM reference_blobs WHERE what = ?1",
                [FORMS],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|v| v as u64))
    }

    /// The compiled form in force for records of `kind`.
    pub fn form(&self, kind: RecordKind) -> Result<Arc<CompiledForm>> {
        current_form(&self.conn(), kind)?
            .ok_or_else(|| Error::InvalidChange(format!("there is no form for {kind} records")))
    }
}
