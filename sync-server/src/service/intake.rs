//! One intake for every channel (一门受理): a call or a visit taken at the
//! command centre's desk, a 12345 hotline ticket, a resident's public report.
//! Each becomes an incident like a grid worker's, written in the pages' replica
//! and pushed through the one push path, so it lands in the same queue under the
//! same acceptance step and reaches the grid's phones on their next sync.
//!
//! A hotline's ticket id and a resident's receipt code are stored references
//! naming the incident: a repeated ticket creates nothing, and a receipt code
//! reads the case's progress. The resident's contact is personal data: it is
//! checked here and never logged.

use std::sync::Arc;

use fieldgrid_core::FieldStore;
use fieldgrid_core::id_checks::{is_landline_number, is_mobile_number};
use fieldgrid_core::incident::replay;
use fieldgrid_core::org::{OrgTree, StaffScope};
use fieldgrid_core::records::{Channel, GeoPoint, Incident, RecordKind, ResidentContact, Urgency};
use rand::Rng;
use serde::Serialize;

use super::{Caller, ServiceError, blocking, replica};
use crate::{AppState, now};

/// The longest description taken, characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// The longest address taken, characters.
pub const MAX_ADDRESS: usize = 200;
/// The longest name taken, characters.
pub const MAX_NAME: usize = 40;

/// A case as taken in, before it is an incident.
#[derive(Debug, Clone)]
pub struct IntakeCase {
    /// How it came in.
    pub channel: Channel,
    /// A catalogue code in force.
    pub category: String,
    /// What the resident or caller said.
    pub description: String,
    /// Where, if known as a point.
    pub location: Option<GeoPoint>,
    /// The grid, if the taker knows it.
    pub grid_code: Option<String>,
    /// Where, in words.
    pub address: Option<String>,
    /// Who to call back.
    pub contact: Option<ResidentContact>,
    /// How urgent.
    pub urgency: Urgency,
    /// Photos already stored (content hashes).
    pub photos: Vec<String>,
    /// When it was reported (unix seconds).
    pub reported_at: i64,
}

/// Who is taking the case in.
#[derive(Debug, Clone)]
pub enum Source {
    /// A supervisor at the desk: the case must lie in their area.
    Desk(Caller),
    /// A hotline system, by its key's name, with its ticket id.
    Hotline {
        /// The API key's name.
        key: String,
        /// The hotline's ticket id.
        ticket: String,
    },
    /// A resident on the public page.
    Public,
}

/// What the intake did.
#[derive(Debug, Clone, Serialize)]
pub struct Taken {
    /// The incident's id.
    pub incident_id: String,
    /// `false` when the ticket had been taken before (nothing new was made).
    pub created: bool,
    /// The resident's receipt code (public reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// A case's progress as a resident or a hotline may read it: no description,
/// no contact, no names of staff.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The incident's id.
    pub incident_id: String,
    /// The category's code and Chinese name.
    pub category: String,
    /// The category's Chinese name.
    pub category_name: String,
    /// The stage code.
    pub stage: String,
    /// The stage's Chinese name.
    pub stage_name: String,
    /// The handling unit's Chinese name, once dispatched.
    pub unit_name: Option<String>,
    /// When it was reported.
    pub reported_at: i64,
    /// When it last moved.
    pub updated_at: i64,
    /// When it was closed, if it is.
    pub closed_at: Option<i64>,
    /// The follow-up call's result (回访), once the resident answered: the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
    /// The follow-up's Chinese name (满意, 基本满意, 不满意).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_name: Option<String>,
}

/// A code-like reference: 1 to 64 letters, digits, `-`, `_` or `.`.
pub fn is_reference(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn refused(why: impl Into<String>) -> ServiceError {
    ServiceError::Refused(why.into())
}

/// Checks what a case says, naming the first thing wrong (in Chinese, never
/// repeating a personal value).
fn check(case: &IntakeCase) -> Result<(), ServiceError> {
    let description = case.description.trim();
    if description.is_empty() {
        return Err(refused("请填写事件描述"));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(refused(format!("事件描述不能超过 {MAX_DESCRIPTION} 字")));
    }
    if case
        .address
        .as_ref()
        .is_some_and(|a| a.chars().count() > MAX_ADDRESS)
    {
        return Err(refused(format!("地址不能超过 {MAX_ADDRESS} 字")));
    }
    if let Some(p) = case.location
        && !(p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
    {
        return Err(refused("位置坐标无效"));
    }
    if let Some(c) = &case.contact {
        if c.name.chars().count() > MAX_NAME {
            return Err(refused(format!("姓名不能超过 {MAX_NAME} 字")));
        }
        if !is_mobile_number(&c.phone) && !is_landline_number(&c.phone) {
            return Err(refused("联系电话不是有效的手机或固定电话号码"));
        }
    }
    if case.channel == Channel::PublicPage && case.contact.is_none() {
        return Err(refused("请留下联系电话，以便回访"));
    }
    Ok(())
}

/// The grid a case lies in: the one named (when it exists), else the one
/// holding its point, else the grid of the household whose address best matches.
async fn locate(
    store: &Arc<FieldStore>,
    tree: &OrgTree,
    case: &IntakeCase,
) -> Result<String, ServiceError> {
    if let Some(g) = case.grid_code.as_deref().filter(|g| !g.is_empty()) {
        return if tree.grids.iter().any(|x| x.code == g) {
            Ok(g.to_owned())
        } else {
            Err(refused("网格编码不存在"))
        };
    }
    if let Some(p) = case.location {
        let s = store.clone();
        let found = blocking(move || s.grids_containing(p)).await?;
        // The most specific grid (a special or second-level one) first.
        if let Some(g) = found.first() {
            return Ok(g.code.clone());
        }
    }
    if let Some(address) = case.address.clone().filter(|a| !a.trim().is_empty()) {
        let s = store.clone();
        let hits = blocking(move || {
            s.search(
                &address,
                &fieldgrid_core::SearchFilter {
                    kinds: vec![RecordKind::Household],
                    grid_codes: Vec::new(),
                },
                1,
            )
        })
        .await?;
        if let Some(hit) = hits.first() {
            return Ok(hit.grid_code.clone());
        }
    }
    Err(refused(
        "无法确定事件所在网格：请在地图上选点、给出经纬度或网格编码，或填写辖区内的门牌地址",
    ))
}

/// A resident's receipt code: 10 characters of Crockford's base 32 (no I, L,
/// O or U to misread), about 50 random bits.
fn receipt_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..32)] as char)
        .collect()
}

/// The stored reference of a hotline ticket.
fn ticket_ref(key: &str, ticket: &str) -> String {
    format!("ticket:{key}:{ticket}")
}

/// The stored reference of a receipt code.
fn receipt_ref(code: &str) -> String {
    format!("receipt:{}", code.trim().to_ascii_uppercase())
}

/// Takes a case in: checks it, places it in a grid, and writes it as a new
/// incident through the push path. A hotline ticket taken before answers the
/// incident it made, and nothing new is written.
pub async fn take(
    state: &AppState,
    source: Source,
    case: IntakeCase,
) -> Result<Taken, ServiceError> {
    let id = uuid::Uuid::now_v7().to_string();
    let claimed_ticket = match &source {
        Source::Hotline { key, ticket } => {
            if !is_reference(ticket) {
                return Err(refused("工单编号须为 1 至 64 位字母、数字、“-”“_”或“.”"));
            }
            let reference = ticket_ref(key, ticket);
            if let Some(existing) = state.storage.intake_ref(&reference).await? {
                return Ok(Taken {
                    incident_id: existing,
                    created: false,
                    receipt: None,
                });
            }
            Some(reference)
        }
        _ => None,
    };
    check(&case)?;
    let catalogue = state.catalogue().await?;
    catalogue
        .check_code(&case.category, case.reported_at)
        .map_err(|r| refused(r.to_string()))?;
    let store = replica::store(state).await?;
    let tree = state.org_tree().await?;
    let grid = locate(&store, &tree, &case).await?;
    let replica = replica::get(state).await?;
    let (reporter, caller) = match &source {
        Source::Desk(caller) => {
            caller.check(&grid)?;
            (caller.staff.clone(), caller.clone())
        }
        Source::Hotline { key, .. } => {
            let who = format!("hotline:{key}");
            (
                who.clone(),
                intake_caller(&tree, &who, &replica.device_id()),
            )
        }
        Source::Public => (
            "public".to_owned(),
            intake_caller(&tree, "public", &replica.device_id()),
        ),
    };
    // Claim the ticket before writing: of two identical calls at once, one writes.
    if let Some(reference) = &claimed_ticket {
        let owner = state
            .storage
            .claim_intake_ref(reference, &id, now())
            .await?;
        if owner != id {
            return Ok(Taken {
                incident_id: owner,
                created: false,
                receipt: None,
            });
        }
    }
    let receipt = (matches!(source, Source::Public)).then(receipt_code);
    let ticket = match &source {
        Source::Hotline { ticket, .. } => Some(ticket.clone()),
        _ => None,
    };
    let incident = Incident {
        grid_code: grid,
        category: case.category,
        description: case.description.trim().to_owned(),
        location: case.location,
        reporter_id: reporter.clone(),
        reported_at: case.reported_at,
        urgency: case.urgency,
        transitions: vec![],
        resident_id: None,
        satisfaction: None,
        photos: case.photos,
        channel: case.channel,
        contact: case.contact,
        address: case.address.filter(|a| !a.trim().is_empty()),
        ticket,
    };
    let written = write(state, &caller, &id, incident).await;
    if let Err(e) = written {
        if let Some(reference) = &claimed_ticket {
            state.storage.drop_intake_ref(reference).await?;
        }
        return Err(e);
    }
    if let Some(code) = &receipt {
        state
            .storage
            .claim_intake_ref(&receipt_ref(code), &id, now())
            .await?;
    }
    // Logged by ids and codes only: never the description or the contact.
    tracing::info!(incident = %id, channel = case.channel.as_str(), reporter = %reporter, "case taken in");
    Ok(Taken {
        incident_id: id,
        created: true,
        receipt,
    })
}

/// The caller a hotline or the public page writes as: a reporter of its own
/// name, over the whole county (the county's front door), through the pages'
/// replica device.
fn intake_caller(tree: &Arc<OrgTree>, who: &str, device: &str) -> Caller {
    let all: std::collections::BTreeSet<String> =
        tree.grids.iter().map(|g| g.code.clone()).collect();
    Caller {
        staff: who.to_owned(),
        device: device.to_owned(),
        scope: StaffScope {
            direct: all.clone(),
            all,
        },
        tree: tree.clone(),
    }
}

/// Writes the new incident off to the side as `caller` and pushes it through the
/// one push path: the read model sees it only once storage accepted it.
async fn write(
    state: &AppState,
    caller: &Caller,
    id: &str,
    incident: Incident,
) -> Result<(), ServiceError> {
    let (i, device, who) = (id.to_owned(), caller.device.clone(), caller.staff.clone());
    let changes =
        blocking(move || fieldgrid_core::new_record(&i, &incident, &device, &who, now())).await?;
    super::records::push_incident(state, caller, "intake", id, changes).await
}

/// The progress of the incident a reference names (a hotline key's ticket, or a
/// receipt code); unknown references are [`ServiceError::NotFound`].
async fn progress_of(state: &AppState, reference: &str) -> Result<Progress, ServiceError> {
    let id = state
        .storage
        .intake_ref(reference)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let store = replica::store(state).await?;
    let (s, i) = (store.clone(), id.clone());
    let incident: Incident = blocking(move || s.get(&i))
        .await
        .map_err(|_| ServiceError::NotFound)?;
    let catalogue = state.catalogue().await?;
    let tree = state.org_tree().await?;
    let replayed = replay(&incident);
    Ok(Progress {
        incident_id: id,
        category_name: catalogue
            .find(&incident.category)
            .map_or_else(|| incident.category.clone(), |c| c.name.clone()),
        category: incident.category,
        stage: replayed.stage.as_str().to_owned(),
        stage_name: replayed.stage.name_zh().to_owned(),
        unit_name: replayed
            .assignee
            .as_deref()
            .map(|a| tree.work_unit(a).map_or(a, |u| u.name.as_str()).to_owned()),
        reported_at: incident.reported_at,
        updated_at: replayed.stage_since,
        closed_at: replayed.closed_at,
        follow_up: replayed.satisfaction.map(|a| a.as_str().to_owned()),
        follow_up_name: replayed.satisfaction.map(|a| a.name_zh().to_owned()),
    })
}

/// A hotline's ticket's progress, for the key that took it in.
pub async fn ticket_progress(
    state: &AppState,
    key: &str,
    ticket: &str,
) -> Result<Progress, ServiceError> {
    if !is_reference(ticket) {
        return Err(ServiceError::NotFound);
    }
    progress_of(state, &ticket_ref(key, ticket)).await
}

/// A resident's case's progress by receipt code.
pub async fn receipt_progress(state: &AppState, code: &str) -> Result<Progress, ServiceError> {
    let code = code.trim();
    if code.len() != 10 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ServiceError::NotFound);
    }
    progress_of(state, &receipt_ref(code)).await
}

/// Checks a hotline API key: the key's name, or `None`.
pub async fn hotline_key(state: &AppState, token: &str) -> Result<Option<String>, ServiceError> {
    let hash = blake3::hash(token.as_bytes()).to_hex().to_string();
    Ok(state.storage.intake_key_by_token(&hash).await?)
}

/// Makes a new hotline API key named `name` and answers the key (shown once;
/// only its hash is stored).
pub async fn create_hotline_key(state: &AppState, name: &str) -> Result<String, ServiceError> {
    if !is_reference(name) {
        return Err(refused(
            "key names are 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let mut bytes = [0u8; 24];
    rand::rng().fill(&mut bytes);
    let token = format!("fgk_{}", hex::encode(bytes));
    let hash = blake3::hash(token.as_bytes()).to_hex().to_string();
    state.storage.create_intake_key(name, &hash, now()).await?;
    Ok(token)
}

/// Why a photo a resident sent was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRefused {
    /// Not a picture the photo pipeline can read.
    Unreadable,
    /// The blob store failed.
    NotStored,
}

/// Makes a resident's photo what phones send (resized, EXIF stripped) and
/// stores it; answers its hash, to name in the case.
pub async fn store_photo(state: &AppState, bytes: Vec<u8>) -> Result<String, PhotoRefused> {
    use fieldgrid_core::media::{PhotoOptions, process};
    let processed = tokio::task::spawn_blocking(move || process(&bytes, &PhotoOptions::default()))
        .await
        .map_err(|_| PhotoRefused::Unreadable)?
        .map_err(|_| PhotoRefused::Unreadable)?;
    let hash = blake3::hash(&processed.jpeg).to_hex().to_string();
    if let Err(e) = state.blobs.put(&hash, &processed.jpeg).await {
        tracing::error!(error = %e, "public photo not stored");
        return Err(PhotoRefused::NotStored);
    }
    Ok(hash)
}
