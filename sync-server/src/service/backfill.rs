//! One-time jobs over what a database stored before an upgrade: noting the
//! photos every record names, and who edited which household and person record
//! on which day. Each is done once per database (noted in `jobs_done`), so no
//! instance reads every document again at its next start.

use fieldgrid_core::records::RecordKind;

use super::{ServiceError, blocking};
use crate::AppState;

/// Notes the photos of every stored record when none are noted yet: a database
/// from before the server kept them (its photos would otherwise show to nobody).
/// Done once per database (a county with no photo yet would otherwise read every
/// document at every start). Answers how many records were read.
pub async fn backfill_photo_refs(state: &AppState) -> Result<usize, ServiceError> {
    const JOB: &str = "photo_refs_backfill";
    if state.storage.job_done(JOB).await? {
        return Ok(0);
    }
    if state.storage.has_photo_refs().await? || state.storage.stats().await?.documents == 0 {
        state.storage.mark_job_done(JOB, crate::now()).await?;
        return Ok(0);
    }
    let tree = state.org_tree().await?;
    let grids: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
    let (mut after, mut read) = (String::new(), 0);
    loop {
        let page = state.storage.documents_page(&grids, &after, 500).await?;
        let Some(last) = page.last().map(|d| d.doc_id.clone()) else {
            break;
        };
        read += page.len();
        let found = blocking(move || {
            Ok(page
                .into_iter()
                .filter_map(|d| {
                    let merged =
                        fieldgrid_core::merge_document(d.kind, &d.doc_id, None, &d.data).ok()?;
                    let photos: Vec<String> = merged
                        .new_references
                        .into_iter()
                        .filter_map(|r| match r {
                            fieldgrid_core::records::Reference::Photo(h) => Some(h),
                            fieldgrid_core::records::Reference::Record(_) => None,
                        })
                        .collect();
                    (!photos.is_empty()).then_some((d.doc_id, photos))
                })
                .collect::<Vec<_>>())
        })
        .await?;
        for (doc, photos) in found {
            state.storage.add_photo_refs(&doc, &photos).await?;
        }
        after = last;
    }
    state.storage.mark_job_done(JOB, crate::now()).await?;
    tracing::info!(
        records = read,
        "photo references noted for records stored before"
    );
    Ok(read)
}

/// Notes who changed every household and person record stored before the server
/// kept record edits as changes arrive (the assessment counts them from there).
/// Done once per database; answers how many records were read.
pub async fn backfill_record_edits(state: &AppState) -> Result<usize, ServiceError> {
    const JOB: &str = "record_edits_backfill";
    if state.storage.job_done(JOB).await? {
        return Ok(0);
    }
    if state.storage.stats().await?.documents == 0 {
        state.storage.mark_job_done(JOB, crate::now()).await?;
        return Ok(0);
    }
    let tree = state.org_tree().await?;
    let grids: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
    let (mut after, mut read) = (String::new(), 0);
    loop {
        let page = state.storage.documents_page(&grids, &after, 500).await?;
        let Some(last) = page.last().map(|d| d.doc_id.clone()) else {
            break;
        };
        read += page.len();
        let found = blocking(move || {
            Ok(page
                .into_iter()
                .filter(|d| matches!(d.kind, RecordKind::Household | RecordKind::Person))
                .filter_map(|d| {
                    let merged =
                        fieldgrid_core::merge_document(d.kind, &d.doc_id, None, &d.data).ok()?;
                    let mut edits: Vec<(String, i64)> = merged
                        .authors
                        .into_iter()
                        .filter_map(|a| Some((a.user?, fieldgrid_core::time::day_start_at(a.at))))
                        .collect();
                    edits.sort();
                    edits.dedup();
                    Some((d.doc_id, d.kind, merged.grid_code, edits))
                })
                .collect::<Vec<_>>())
        })
        .await?;
        for (doc, kind, grid, edits) in found {
            state
                .storage
                .note_record_edits(&doc, kind, &grid, &edits)
                .await?;
        }
        after = last;
    }
    state.storage.mark_job_done(JOB, crate::now()).await?;
    tracing::info!(
        records = read,
        "record edits noted for records stored before"
    );
    Ok(read)
}
