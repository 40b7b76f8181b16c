//! The county simulator: generates a county (towns, villages, grids with irregular
//! polygons and real-format codes, staff in every role) and drives simulated
//! phones — each a real `FieldStore` with its own sync client — against a real
//! server over HTTP: they register and are approved, fill households and persons
//! through the real forms, patrol with GPS noise along streets with stops (a few
//! fake their tracks), report incidents with generated photos, edit the same
//! households offline, and sync (some only hours later, out of signal); the town
//! command centres accept and dispatch, the platforms' handlers handle, the
//! inspectors verify or send back, and the command centres close.
//!
//! `cargo run -p fieldgrid-tests --bin county-sim -- URL ADMIN_TOKEN DIR [TOWNS] [PHONES]`;
//! `fieldgrid-server serve --demo` runs it against itself on first start.

use std::path::Path;

use fieldgrid_core::FieldStore;
use fieldgrid_core::forms::sample::{example_id_number, example_values};
use fieldgrid_core::incident::{Action, DayCount, Stage, TaskKind};
use fieldgrid_core::org::{
    Grid, GridKind, Handles, OrgTree, OrgUnit, Role, RoleAssignment, Scope, StaffMember, UnitLevel,
    WorkUnit, WorkUnitKind,
};
use fieldgrid_core::patrol::TravelMode;
use fieldgrid_core::patrol::synthetic::{Walk, offset};
use fieldgrid_core::records::{
    FieldValue, GeoPoint, Incident, IncidentTransition, JointPart, RecordKind, Satisfaction, Urge,
    UrgeMethod,
};
use fieldgrid_core::sync::SyncClient;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub mod knowledge;

/// The county's code (东海县).
pub const COUNTY: &str = "320722000000";

/// The shape of a simulated county.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    /// Towns (乡镇).
    pub towns: usize,
    /// Villages per town.
    pub villages: usize,
    /// First-level grids per village.
    pub grids: usize,
    /// Grid workers per grid: a full-time one, the rest part-time (兼职网格员).
    pub workers_per_grid: usize,
    /// Households each grid worker registers.
    pub households: usize,
    /// Grid workers with a simulated phone (the rest of the staff only exist in
    /// the org tree).
    pub phones: usize,
    /// Incidents each phone reports.
    pub incidents: usize,
    /// Minutes each phone patrols.
    pub patrol_minutes: u32,
    /// Every n-th phone fakes its track (0: none).
    pub fake_every: usize,
    /// Every n-th phone is out of signal for hours (0: none): its day waits on the
    /// phone while the county works, and syncs at the end.
    pub offline_every: usize,
    /// Random seed.
    pub seed: u64,
    /// Days of field work: each phone patrols and reports once a day, the days
    /// ending today (the households are filled on the first, and a few updated
    /// and visited on each later one); the command centre then works the loop.
    pub days: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            towns: 3,
            villages: 4,
            grids: 3,
            workers_per_grid: 1,
            households: 6,
            phones: 12,
            incidents: 2,
            patrol_minutes: 45,
            fake_every: 5,
            offline_every: 6,
            seed: 2026,
            days: 1,
        }
    }
}

const TOWN_NAMES: [&str; 8] = [
    "安峰镇",
    "白塔埠镇",
    "黄川镇",
    "石梁河镇",
    "青湖镇",
    "温泉镇",
    "双店镇",
    "桃林镇",
];
const VILLAGE_NAMES: [&str; 12] = [
    "山口村",
    "河东村",
    "前庄村",
    "后湖村",
    "王集村",
    "李埝村",
    "张湾村",
    "北芹村",
    "南芹村",
    "林场社区",
    "石埠村",
    "西湖村",
];

/// The command centre (town supervisor) of a town: 安峰镇's is the demo login's
/// `sup-anfeng`.
pub fn supervisor_of(town: &str) -> String {
    if town == "320722104000" {
        "sup-anfeng".into()
    } else {
        format!("sup-{town}")
    }
}

/// The inspector (督查员) of a town.
pub fn inspector_of(town: &str) -> String {
    format!("inspector-{town}")
}

/// The four platforms (四个平台) that handle dispatched incidents: handler id and name.
pub const PLATFORMS: [(&str, &str); 4] = [
    ("handler-zongzhi", "综治工作平台"),
    ("handler-shichang", "市场监管平台"),
    ("handler-zhifa", "综合执法平台"),
    ("handler-bianmin", "便民服务平台"),
];

/// The first-level categories each platform handles (its routing rules), in
/// the order of [`PLATFORMS`].
const PLATFORM_CATEGORIES: [&[&str]; 4] = [
    &["dispute", "security", "special_groups"],
    &["market"],
    &["work_safety", "fire", "environment", "urban"],
    &["service", "epidemic", "other"],
];

/// The county departments escalated cases are dispatched to: code suffix, name,
/// handler id and name, and the categories they handle.
type Department = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
const COUNTY_DEPARTMENTS: [Department; 3] = [
    (
        "zhifa",
        "东海县综合行政执法局",
        "handler-county-zhifa",
        "县执法局承办人",
        &["urban", "environment", "work_safety", "fire"],
    ),
    (
        "zrzy",
        "东海县自然资源和规划局",
        "handler-county-zrzy",
        "县自然资源局承办人",
        &["urban.building", "dispute.land"],
    ),
    (
        "scjg",
        "东海县市场监督管理局",
        "handler-county-scjg",
        "县市场监管局承办人",
        &["market"],
    ),
];

/// The code of platform `n` (of [`PLATFORMS`]) of a town: the unit incidents are
/// dispatched to.
pub fn platform_unit(town: &str, n: usize) -> String {
    format!("{town}-{}", &PLATFORMS[n].0["handler-".len()..])
}

/// The full-time grid worker of a grid.
pub fn worker_of(grid: &str) -> String {
    format!("worker-{grid}")
}

/// The `n`-th grid worker of a grid: 0 is the full-time one (`worker_of`), the
/// others part-time.
pub fn nth_worker_of(grid: &str, n: usize) -> String {
    if n == 0 {
        worker_of(grid)
    } else {
        format!("worker-{grid}-{n}")
    }
}

/// A county: towns of villages of grids (irregular quadrilaterals about 1 km
/// across), each grid with a full-time worker, each village a grid chief, each
/// town a supervisor and an inspector, the county an administrator and the four
/// platforms' handlers.
pub fn county(cfg: &SimConfig) -> OrgTree {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut units = vec![OrgUnit {
        code: COUNTY.into(),
        name: "东海县".into(),
        level: UnitLevel::County,
        parent: None,
    }];
    let mut grids = Vec::new();
    let mut staff = Vec::new();
    let person = |id: String, name: String, role: Role, scope: Scope| StaffMember {
        id,
        name,
        roles: vec![RoleAssignment { role, scope }],
    };
    for t in 0..cfg.towns {
        let town = format!("320722{:03}000", 104 + t);
        units.push(OrgUnit {
            code: town.clone(),
            name: TOWN_NAMES[t % 8].into(),
            level: UnitLevel::Town,
            parent: Some(COUNTY.into()),
        });
        staff.push(person(
            supervisor_of(&town),
            format!("{}指挥中心", TOWN_NAMES[t % 8]),
            Role::TownSupervisor,
            Scope::Unit(town.clone()),
        ));
        for v in 0..cfg.villages {
            let village = format!("{}{:03}", &town[..9], 201 + v);
            units.push(OrgUnit {
                code: village.clone(),
                name: VILLAGE_NAMES[v % 12].into(),
                level: UnitLevel::Village,
                parent: Some(town.clone()),
            });
            for g in 0..cfg.grids {
                let code = format!("{village}{:03}", g + 1);
                // Towns side by side west to east, villages in rows, grids in columns.
                let (w, s) = (
                    118.4 + t as f64 * (cfg.grids as f64 * 0.012 + 0.024) + g as f64 * 0.012,
                    34.4 + v as f64 * 0.011,
                );
                let j = |rng: &mut StdRng| rng.random_range(-0.0012..0.0012);
                let ring = vec![
                    [w + j(&mut rng), s + j(&mut rng)],
                    [w + 0.011 + j(&mut rng), s + j(&mut rng)],
                    [w + 0.011 + j(&mut rng), s + 0.010 + j(&mut rng)],
                    [w + j(&mut rng), s + 0.010 + j(&mut rng)],
                ];
                let mut closed = ring.clone();
                closed.push(ring[0]);
                grids.push(Grid {
                    code: code.clone(),
                    name: format!("{}第{}网格", VILLAGE_NAMES[v % 12], g + 1),
                    level: 1,
                    kind: GridKind::Regular,
                    unit: village.clone(),
                    parent_grid: None,
                    boundary: vec![closed],
                });
                for n in 0..cfg.workers_per_grid.max(1) {
                    staff.push(person(
                        nth_worker_of(&code, n),
                        fieldgrid_core::org::demo::demo_name(grids.len() * 3 + n * 7919),
                        if n == 0 {
                            Role::FullTimeGridWorker
                        } else {
                            Role::PartTimeGridWorker
                        },
                        Scope::Grid(code.clone()),
                    ));
                }
            }
            // A grid chief leads each village's first grid.
            let lead = format!("{village}001");
            staff.push(person(
                format!("chief-{lead}"),
                fieldgrid_core::org::demo::demo_name(v * 7 + t),
                Role::GridChief,
                Scope::Grid(lead),
            ));
        }
        // The town's inspector (督查员) verifies handled incidents in all its grids.
        staff.push(StaffMember {
            id: inspector_of(&town),
            name: format!("{}督查员", TOWN_NAMES[t % 8]),
            roles: grids
                .iter()
                .filter(|g| g.code.starts_with(&town[..9]))
                .map(|g| RoleAssignment {
                    role: Role::Inspector,
                    scope: Scope::Grid(g.code.clone()),
                })
                .collect(),
        });
    }
    staff.push(person(
        "admin-donghai".into(),
        "县指挥中心".into(),
        Role::CountyAdministrator,
        Scope::Unit(COUNTY.into()),
    ));
    // The four platforms handle the incidents of every town.
    let towns: Vec<String> = units
        .iter()
        .filter(|u| u.level == UnitLevel::Town)
        .map(|u| u.code.clone())
        .collect();
    for (id, name) in PLATFORMS {
        staff.push(StaffMember {
            id: id.into(),
            name: name.into(),
            roles: towns
                .iter()
                .map(|t| RoleAssignment {
                    role: Role::DepartmentHandler,
                    scope: Scope::Unit(t.clone()),
                })
                .collect(),
        });
    }
    // The county's command centre and the departments escalated cases go to.
    staff.push(person(
        "county-sup-donghai".into(),
        "县指挥中心".into(),
        Role::CountySupervisor,
        Scope::Unit(COUNTY.into()),
    ));
    let county_units: Vec<WorkUnit> = COUNTY_DEPARTMENTS
        .iter()
        .map(|(suffix, name, handler, handler_name, categories)| {
            staff.push(StaffMember {
                id: (*handler).into(),
                name: (*handler_name).into(),
                roles: vec![],
            });
            WorkUnit {
                code: format!("{COUNTY}-{suffix}"),
                name: (*name).into(),
                kind: WorkUnitKind::Department,
                within: COUNTY.into(),
                members: vec![(*handler).into()],
                handles: categories
                    .iter()
                    .map(|c| Handles {
                        category: (*c).into(),
                        grades: vec![],
                    })
                    .collect(),
            }
        })
        .collect();
    let work_units = towns
        .iter()
        .flat_map(|t| {
            PLATFORMS
                .iter()
                .enumerate()
                .map(move |(n, (handler, name))| WorkUnit {
                    code: platform_unit(t, n),
                    name: (*name).into(),
                    kind: WorkUnitKind::Platform,
                    within: t.clone(),
                    members: vec![(*handler).into()],
                    handles: PLATFORM_CATEGORIES[n]
                        .iter()
                        .map(|c| Handles {
                            category: (*c).into(),
                            grades: vec![],
                        })
                        .collect(),
                })
        })
        .chain(county_units)
        .collect();
    OrgTree {
        version: 1,
        units,
        grids,
        staff,
        work_units,
    }
}

/// What a simulation did.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimReport {
    /// Phones enrolled and synced.
    pub phones: usize,
    /// Households registered.
    pub households: usize,
    /// Fixes ingested.
    pub fixes: u64,
    /// Incidents reported.
    pub incidents: usize,
    /// Incidents dispatched by the command centres.
    pub dispatched: usize,
    /// Incidents the platforms' handlers finished.
    pub handled: usize,
    /// Handled incidents the inspectors verified.
    pub verified: usize,
    /// Handled incidents the inspectors sent back to the handler.
    pub reopened: usize,
    /// Verified incidents the command centres closed.
    pub closed: usize,
    /// Dispatches with a joint unit (联办) and a supervising unit (督办).
    pub joint: usize,
    /// Joint parts the joint units finished.
    pub parts_finished: usize,
    /// Cases still being handled that the command centres urged (催办).
    pub urged: usize,
    /// Closed cases whose resident the command centres called back (回访).
    pub followed_up: usize,
    /// Phones that were out of signal and synced their day at the end.
    pub late_syncs: usize,
    /// Photos uploaded.
    pub photos: u64,
    /// Fake tracks made.
    pub fakes: usize,
}

impl std::fmt::Display for SimReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} phones ({} synced hours late), {} households, {} fixes ({} faked tracks), \
             {} incidents with {} photos: {} dispatched, {} handled, {} verified, \
             {} sent back, {} closed; {} with a joint unit ({} parts finished), {} urged, \
             {} called back",
            self.phones,
            self.late_syncs,
            self.households,
            self.fixes,
            self.fakes,
            self.incidents,
            self.photos,
            self.dispatched,
            self.handled,
            self.verified,
            self.reopened,
            self.closed,
            self.joint,
            self.parts_finished,
            self.urged,
            self.followed_up
        )
    }
}

/// A simulated phone.
pub struct SimPhone {
    /// Its store.
    pub store: FieldStore,
    /// Its client.
    pub client: SyncClient,
    /// Its device token (for a new client later, as the app makes after a restart).
    pub token: String,
    /// Who uses it.
    pub staff: String,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Registers a phone for `staff` and has the administrator approve it.
pub async fn enrol(
    url: &str,
    admin: &str,
    dir: &Path,
    staff: &str,
    n: u32,
) -> Result<SimPhone, BoxError> {
    let store = FieldStore::open(dir.join(format!("{staff}.sqlite")))?;
    store.sign_in(staff);
    let reg = SyncClient::register(
        url,
        &store,
        staff,
        &example_id_number(1975 + n % 25, 1 + n % 12, 1 + n % 28, n),
        "13905180000",
    )
    .await?;
    approve(url, admin, &reg.registration_id, staff).await?;
    let client = SyncClient::new(url, &reg.token, "1.0.0")?;
    Ok(SimPhone {
        store,
        client,
        token: reg.token,
        staff: staff.to_owned(),
    })
}

/// The administrator approves a pending registration as `staff`, over HTTP.
pub async fn approve(
    url: &str,
    admin: &str,
    registration_id: &str,
    staff: &str,
) -> Result<(), BoxError> {
    let status = reqwest::Client::new()
        .post(format!(
            "{url}/v1/admin/registrations/{registration_id}/approve"
        ))
        .bearer_auth(admin)
        .json(&serde_json::json!({ "staff_id": staff }))
        .send()
        .await?
        .status();
    if !status.is_success() {
        return Err(format!("approving {staff} failed: {status}").into());
    }
    Ok(())
}

/// What a simulated phone reports: a new incident with one photo taken on the spot.
pub struct Report<'a> {
    /// The grid it is in.
    pub grid: &'a str,
    /// Category code from the catalogue.
    pub category: &'a str,
    /// What the worker wrote.
    pub description: &'a str,
    /// Where (lat, lon).
    pub at: (f64, f64),
    /// When (unix seconds).
    pub reported_at: i64,
    /// The camera's JPEG.
    pub photo: Vec<u8>,
}

/// Stores the photo, reports the incident naming it, and attaches the photo to
/// it, as the app's report screen does. Returns the incident id.
pub fn report_incident(phone: &SimPhone, report: Report<'_>) -> Result<String, BoxError> {
    let s = &phone.store;
    let p = s.add_photo(&report.photo)?;
    let id = s.create(&Incident {
        grid_code: report.grid.to_owned(),
        category: report.category.to_owned(),
        description: report.description.to_owned(),
        location: Some(GeoPoint {
            lat: report.at.0,
            lon: report.at.1,
        }),
        reporter_id: phone.staff.clone(),
        reported_at: report.reported_at,
        urgency: Default::default(),
        transitions: vec![],
        resident_id: None,
        satisfaction: None,
        photos: vec![p.hash.clone()],
        channel: Default::default(),
        contact: None,
        address: None,
        ticket: None,
    })?;
    s.attach_photo(&p.hash, &id, "report")?;
    Ok(id)
}

/// A JPEG as a phone camera would produce (a random gradient with noise).
pub fn photo(rng: &mut StdRng) -> Vec<u8> {
    let (r0, g0) = (rng.random_range(0..200u8), rng.random_range(0..200u8));
    let img = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([
            r0.wrapping_add((x / 4) as u8),
            g0.wrapping_add((y / 3) as u8),
            ((x * y) % 251) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("JPEG encoding");
    out.into_inner()
}

/// Runs the simulation against a server at `url` with an administrator token.
pub async fn run(
    url: &str,
    admin: &str,
    dir: &Path,
    cfg: &SimConfig,
) -> Result<SimReport, BoxError> {
    let tree = county(cfg);
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ 0x5eed);
    let mut report = SimReport::default();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let today = fieldgrid_core::forms::date_at(now_ms / 1000).to_string();
    let into_today = |end_ms: i64| shift_into_today(end_ms, now_ms);
    let mut phones = Vec::new();
    for (k, grid) in tree.grids.iter().take(cfg.phones).enumerate() {
        let phone = enrol(url, admin, dir, &worker_of(&grid.code), k as u32).await?;
        phone.client.sync(&phone.store, |_| {}).await?;
        phones.push((phone, grid.clone()));
    }
    // Each worker's day: households through the forms, a patrol, incidents.
    let mut late_phones = Vec::new();
    for (k, (phone, grid)) in phones.iter().enumerate() {
        let s = &phone.store;
        let house_form = s.form(RecordKind::Household)?;
        let person_form = s.form(RecordKind::Person)?;
        let [w, south] = grid.boundary[0][0];
        for h in 0..cfg.households {
            let seed = (k * 1000 + h) as u64;
            let mut values = example_values(&house_form, seed, &today);
            let head = fieldgrid_core::org::demo::demo_name(k * 37 + h);
            values.insert("basic.head_name".into(), head.clone().into());
            values.insert(
                "basic.address".into(),
                format!("{}{}组{}号", grid.name, h % 5 + 1, h + 1).into(),
            );
            let hid = s.new_household(&grid.code, values)?.id;
            let mut p = example_values(&person_form, seed * 31 + 7, &today);
            p.insert("basic.name".into(), head.into());
            s.new_person(&grid.code, p, Some((&hid, "head")))?;
            report.households += 1;
        }
        // Out of signal: the day happened hours ago and is still only on the phone.
        let late = cfg.offline_every > 0 && k % cfg.offline_every == 2;
        for day in 0..cfg.days.max(1) {
            // Days back from today: the first day the longest ago.
            let back = i64::from(cfg.days.max(1) - 1 - day) * 86_400;
            if day > 0 {
                // A later day: a household updated and visited.
                let houses = s.list_households(&fieldgrid_core::household::HouseholdQuery {
                    grids: vec![grid.code.clone()],
                    limit: 100,
                    ..Default::default()
                })?;
                if let Some(h) = houses.get(day as usize % houses.len().max(1)) {
                    s.save_fields(
                        &h.id,
                        &[(
                            "safety.smoke_alarm".into(),
                            Some(FieldValue::Bool(day % 2 == 0)),
                        )],
                    )?;
                    s.record_visit(
                        &h.id,
                        fieldgrid_core::household::NewVisit {
                            purpose: fieldgrid_core::household::VISIT_PURPOSES[0].into(),
                            notes: "入户走访，了解近况".into(),
                            ..Default::default()
                        },
                    )?;
                }
            }
            // The patrol: along the grid's streets (a sweep 120 m apart), with stops.
            let origin = (south + 0.0015, w + 0.0015);
            let mut route = Vec::new();
            for row in 0..6 {
                let north = row as f64 * 120.0;
                let (a, b) = (offset(origin, 0.0, north), offset(origin, 800.0, north));
                if row % 2 == 0 {
                    route.extend([a, b])
                } else {
                    route.extend([b, a])
                }
                // Standing at a shop front for a few minutes: the same point repeated.
                for _ in 0..18 {
                    route.push(*route.last().expect("route has points"));
                }
            }
            let fake = cfg.fake_every > 0 && k % cfg.fake_every == cfg.fake_every - 1;
            let walk = Walk {
                route,
                speed_mps: if fake { 9.0 } else { 1.3 },
                interval_ms: 5_000,
                noise_m: if fake { 0.0 } else { 4.0 },
                seed: k as u64,
            };
            let hours_ago: i64 = if late { 5 * 3_600 } else { 0 };
            let start = now_ms
                - i64::from(cfg.patrol_minutes) * 60_000
                - 600_000
                - hours_ago * 1_000
                - back * 1_000;
            let mut fixes = walk.fixes(start);
            fixes.retain(|f| f.time_ms < start + i64::from(cfg.patrol_minutes) * 60_000);
            if let (0, Some(last)) = (back, fixes.last()) {
                let shift = into_today(last.time_ms);
                for f in &mut fixes {
                    f.time_ms += shift;
                }
            }
            if fake {
                // A mock-location app: perfectly straight, mocked fixes at driving speed.
                for f in &mut fixes {
                    f.mock = true;
                }
                report.fakes += 1;
            }
            let patrol = s.start_patrol(&grid.code, "日常巡查", TravelMode::Walking)?;
            report.fixes += s.ingest_fixes(&patrol, &fixes)?.accepted;
            s.stop_patrol(&patrol)?;
            for i in 0..cfg.incidents {
                let photo = photo(&mut rng);
                let at = offset(
                    origin,
                    rng.random_range(0.0..800.0),
                    rng.random_range(0.0..600.0),
                );
                let categories = [
                    "urban.street.stalls",
                    "fire.passage.blocked",
                    "dispute.neighbour.noise",
                    "service.infrastructure.road",
                ];
                let descriptions = [
                    "路口流动摊贩占道经营",
                    "楼道堆放杂物堵塞消防通道",
                    "邻里噪音纠纷",
                    "路灯损坏需维修",
                ];
                report_incident(
                    phone,
                    Report {
                        grid: &grid.code,
                        category: categories[(k + i) % 4],
                        description: descriptions[(k + i) % 4],
                        at,
                        reported_at: {
                            let at = now_ms / 1000 - 600 - hours_ago - back;
                            if back == 0 {
                                at + into_today(at * 1000) / 1000
                            } else {
                                at
                            }
                        },
                        photo,
                    },
                )?;
                report.incidents += 1;
            }
        }
        if late {
            late_phones.push(k);
        } else {
            let done = phone.client.sync(&phone.store, |_| {}).await?;
            report.photos += done.photos;
        }
    }
    // Offline edits of the same household by its worker and its village chief.
    if let Some((worker, grid)) = phones.first() {
        let chief = enrol(url, admin, dir, &format!("chief-{}", grid.code), 900).await?;
        chief.client.sync(&chief.store, |_| {}).await?;
        let houses = worker
            .store
            .list_households(&fieldgrid_core::household::HouseholdQuery {
                grids: vec![grid.code.clone()],
                limit: 1,
                ..Default::default()
            })?;
        if let Some(h) = houses.first() {
            worker.store.save_fields(
                &h.id,
                &[("safety.smoke_alarm".into(), Some(FieldValue::Bool(true)))],
            )?;
            chief.store.save_fields(
                &h.id,
                &[("income.wages".into(), Some(FieldValue::Int(52_000)))],
            )?;
            worker.client.sync(&worker.store, |_| {}).await?;
            chief.client.sync(&chief.store, |_| {}).await?;
            worker.client.sync(&worker.store, |_| {}).await?;
        }
    }
    move_incidents_along(url, admin, dir, &tree, &phones, now_ms, &mut report).await?;
    // Back in signal: the late phones' days arrive, and wait in the queue.
    for k in late_phones {
        let phone = &phones[k].0;
        let done = phone.client.sync(&phone.store, |_| {}).await?;
        report.photos += done.photos;
        report.late_syncs += 1;
    }
    report.phones = phones.len();
    Ok(report)
}

/// The closed loop on the day's incidents: each town's command centre accepts and
/// dispatches what was reported, round-robin to the four platforms, every third
/// case with the next platform as a joint unit and another supervising; the joint
/// units finish their parts from their task lists; the leads start on everything
/// dispatched to them and finish three in four; the town's inspector verifies what
/// was handled, sending one in five back; the command centre closes what was
/// verified and calls the residents back, and urges what is still being handled.
/// Every actor is a phone that syncs.
async fn move_incidents_along(
    url: &str,
    admin: &str,
    dir: &Path,
    tree: &OrgTree,
    phones: &[(SimPhone, Grid)],
    now_ms: i64,
    report: &mut SimReport,
) -> Result<(), BoxError> {
    let now = now_ms / 1000;
    let (centre, handler_role) = (
        Role::TownSupervisor.as_str(),
        Role::DepartmentHandler.as_str(),
    );
    let open = |phone: &SimPhone| phone.store.incident_queue(now, DayCount::WorkDays, false);
    let towns: Vec<&OrgUnit> = tree
        .units
        .iter()
        .filter(|u| u.level == UnitLevel::Town)
        .filter(|t| phones.iter().any(|(_, g)| g.unit.starts_with(&t.code[..9])))
        .collect();
    let mut centres = Vec::new();
    for (n, town) in towns.iter().enumerate() {
        let sup = enrol(url, admin, dir, &supervisor_of(&town.code), 950 + n as u32).await?;
        sup.client.sync(&sup.store, |_| {}).await?;
        for (m, item) in open(&sup)?.iter().enumerate() {
            if item.stage != Stage::Reported.as_str() {
                continue;
            }
            sup.store
                .incident_step(&item.id, Action::Accept, centre, "已受理", None)?;
            // Every third case has a joint unit and a supervising unit (联办、督办).
            let joint = m % 3 == 2;
            let state = sup.store.incident_transition(
                &item.id,
                IncidentTransition {
                    role: centre.into(),
                    to: Action::Dispatch.as_str().into(),
                    note: "请及时处置".into(),
                    assignee: Some(platform_unit(&town.code, m % 4)),
                    parts: if joint {
                        vec![JointPart {
                            unit: platform_unit(&town.code, (m + 1) % 4),
                            task: "配合现场核查".into(),
                            due: Some(now + 3 * 86_400),
                        }]
                    } else {
                        Vec::new()
                    },
                    supervisor: joint.then(|| platform_unit(&town.code, (m + 2) % 4)),
                    ..IncidentTransition::default()
                },
            )?;
            if state.stage == Stage::Dispatched {
                report.dispatched += 1;
                report.joint += usize::from(!state.parts.is_empty());
            }
        }
        sup.client.sync(&sup.store, |_| {}).await?;
        centres.push(sup);
    }
    let mut handlers = Vec::new();
    for (n, (handler, _)) in PLATFORMS.iter().enumerate() {
        let h = enrol(url, admin, dir, handler, 960 + n as u32).await?;
        h.client.sync(&h.store, |_| {}).await?;
        handlers.push(h);
    }
    // First the joint units do their parts, from their task lists.
    for h in &handlers {
        for task in h.store.my_tasks(now, DayCount::WorkDays)? {
            let (Some(unit), TaskKind::Joint) = (&task.unit, task.kind) else {
                continue;
            };
            for (action, note) in [
                (Action::PartStart, ""),
                (Action::PartFinish, "已配合完成现场核查"),
            ] {
                h.store.incident_transition(
                    &task.incident.id,
                    IncidentTransition {
                        role: handler_role.into(),
                        to: action.as_str().into(),
                        note: note.into(),
                        part: Some(unit.clone()),
                        ..IncidentTransition::default()
                    },
                )?;
            }
            report.parts_finished += 1;
        }
        h.client.sync(&h.store, |_| {}).await?;
    }
    // Then the leads start on everything dispatched to them and finish three in four.
    for (h, (handler, _)) in handlers.iter().zip(PLATFORMS) {
        h.client.sync(&h.store, |_| {}).await?;
        let mine = open(h)?.into_iter().filter(|i| {
            i.stage == Stage::Dispatched.as_str()
                && i.assignee
                    .as_deref()
                    .and_then(|a| tree.work_unit(a))
                    .is_some_and(|u| u.members.iter().any(|m| m == handler))
        });
        for (m, item) in mine.enumerate() {
            h.store.incident_step(
                &item.id,
                Action::StartHandling,
                handler_role,
                "已到场",
                None,
            )?;
            if m % 4 != 3 {
                let state = h.store.incident_step(
                    &item.id,
                    Action::Finish,
                    handler_role,
                    "已处置完毕",
                    None,
                )?;
                if state.stage == Stage::Handled {
                    report.handled += 1;
                }
            }
        }
        h.client.sync(&h.store, |_| {}).await?;
    }
    for (n, town) in towns.iter().enumerate() {
        let inspector = enrol(url, admin, dir, &inspector_of(&town.code), 970 + n as u32).await?;
        inspector.client.sync(&inspector.store, |_| {}).await?;
        let handled = open(&inspector)?
            .into_iter()
            .filter(|i| i.stage == Stage::Handled.as_str());
        for (m, item) in handled.enumerate() {
            let (action, note) = if m % 5 == 4 {
                (Action::Reopen, "现场核查未整改到位")
            } else {
                (Action::Verify, "现场核查属实，已整改")
            };
            let state = inspector.store.incident_step(
                &item.id,
                action,
                Role::Inspector.as_str(),
                note,
                None,
            )?;
            match state.stage {
                Stage::Verified => report.verified += 1,
                Stage::Handling => report.reopened += 1,
                _ => {}
            }
        }
        inspector.client.sync(&inspector.store, |_| {}).await?;
    }
    // The command centres close what was verified, urge what is still being
    // handled, and call the residents of closed cases back (回访): most satisfied,
    // some basically, one in eight not, one in eight not reached.
    const ANSWERS: [Satisfaction; 8] = [
        Satisfaction::Satisfied,
        Satisfaction::Satisfied,
        Satisfaction::Basic,
        Satisfaction::Satisfied,
        Satisfaction::Unreachable,
        Satisfaction::Satisfied,
        Satisfaction::Unsatisfied,
        Satisfaction::Satisfied,
    ];
    for sup in &centres {
        sup.client.sync(&sup.store, |_| {}).await?;
        let mut calls = 0;
        for item in open(sup)? {
            let step = |to: Action, note: &str| IncidentTransition {
                role: centre.into(),
                to: to.as_str().into(),
                note: note.into(),
                ..IncidentTransition::default()
            };
            if item.stage == Stage::Verified.as_str() {
                let state = sup
                    .store
                    .incident_transition(&item.id, step(Action::Close, "结案"))?;
                if state.stage != Stage::Closed {
                    continue;
                }
                report.closed += 1;
                let answer = ANSWERS[calls % ANSWERS.len()];
                calls += 1;
                sup.store.incident_transition(
                    &item.id,
                    IncidentTransition {
                        answer: Some(answer),
                        ..step(Action::Assess, "电话回访")
                    },
                )?;
                report.followed_up += 1;
            } else if item.stage == Stage::Handling.as_str()
                && let Some(unit) = &item.assignee
            {
                sup.store.incident_transition(
                    &item.id,
                    IncidentTransition {
                        urge: Some(Urge {
                            unit: unit.clone(),
                            method: UrgeMethod::Online,
                            promised: Some(now + 86_400),
                        }),
                        ..step(Action::Urge, "请加快处置进度")
                    },
                )?;
                report.urged += 1;
            }
        }
        sup.client.sync(&sup.store, |_| {}).await?;
    }
    Ok(())
}

/// Workers on patrol for the demo's big screen: `walkers` phones (the workers of
/// the first grids, each on a device of its own) walk a square inside their grid,
/// taking a fix and sending their live position every `every`, for as long as
/// the process runs. One more worker sets out at each tick, so the first moves
/// as soon as its phone is enrolled rather than after all of them (each first
/// sync brings the county's knowledge base). Returns only on an error.
pub async fn live_walkers(
    url: &str,
    admin: &str,
    dir: &Path,
    tree: &OrgTree,
    walkers: usize,
    every: std::time::Duration,
) -> Result<(), BoxError> {
    let dir = dir.join("live");
    std::fs::create_dir_all(&dir)?;
    let mut phones = Vec::new();
    let mut waiting = tree.grids.iter().take(walkers).enumerate();
    let mut step = 0usize;
    loop {
        if let Some((k, grid)) = waiting.next() {
            let phone = enrol(url, admin, &dir, &worker_of(&grid.code), 800 + k as u32).await?;
            phone.client.sync(&phone.store, |_| {}).await?;
            let patrol = phone
                .store
                .start_patrol(&grid.code, "日常巡查", TravelMode::Walking)?;
            let [w, s] = grid.boundary[0][0];
            phones.push((phone, patrol, (s + 0.0015, w + 0.0015)));
        }
        for (phone, patrol, origin) in &phones {
            // Round a 600 m square, 40 m a step.
            let along = (step * 40) % 2_400;
            let (east, north) = match along / 600 {
                0 => (along as f64, 0.0),
                1 => (600.0, (along - 600) as f64),
                2 => ((2_400 - along - 600) as f64, 600.0),
                _ => (0.0, (2_400 - along) as f64),
            };
            let (lat, lon) = offset(*origin, east, north);
            let fix = fieldgrid_core::patrol::Fix {
                time_ms: fieldgrid_core::time::now() * 1000,
                lat,
                lon,
                accuracy_m: 5.0,
                altitude_m: None,
                speed_mps: Some(1.3),
                bearing_deg: None,
                provider: fieldgrid_core::patrol::Provider::Gps,
                mock: false,
            };
            phone.store.ingest_fixes(patrol, &[fix])?;
            // A lost position is superseded by the next one.
            let _ = phone.client.send_position(&phone.store).await;
        }
        step += 1;
        tokio::time::sleep(every).await;
    }
}

/// How far to move a piece of today's simulated work that ends at `end_ms` so it
/// falls on today (China time) at `now_ms`: just after midnight, work that would
/// end yesterday is moved to end at midnight + 10 min, at the latest now, so
/// today's map and statistics show the day that was simulated. 0 otherwise.
pub fn shift_into_today(end_ms: i64, now_ms: i64) -> i64 {
    let today = fieldgrid_core::forms::date_at(now_ms.div_euclid(1000)).to_string();
    let Some(midnight) = fieldgrid_core::forms::day_start(&today) else {
        return 0;
    };
    let midnight_ms = midnight * 1000;
    if end_ms < midnight_ms {
        now_ms.min(midnight_ms + 600_000) - end_ms
    } else {
        0
    }
}

#[cfg(test)]
mod day_tests {
    use super::shift_into_today;

    /// 2026-12-08 00:00 in China (16:00 UTC the day before), in milliseconds.
    const MIDNIGHT_MS: i64 = 1_796_659_200_000;

    #[test]
    fn work_simulated_just_after_midnight_lands_on_today() {
        assert_eq!(
            fieldgrid_core::forms::date_at(MIDNIGHT_MS / 1000).to_string(),
            "2026-12-08"
        );
        // At 00:03 a patrol that ended 23:50 yesterday ends now instead.
        let now = MIDNIGHT_MS + 180_000;
        let end = MIDNIGHT_MS - 600_000;
        assert_eq!(end + shift_into_today(end, now), now);
        // At 01:00 it ends at 00:10: today, and in the past.
        let now = MIDNIGHT_MS + 3_600_000;
        assert_eq!(end + shift_into_today(end, now), MIDNIGHT_MS + 600_000);
        // In the afternoon nothing moves, nor does work already on today.
        assert_eq!(
            shift_into_today(MIDNIGHT_MS + 3_600_000, MIDNIGHT_MS + 50_000_000),
            0
        );
        assert_eq!(
            shift_into_today(MIDNIGHT_MS + 60_000, MIDNIGHT_MS + 180_000),
            0
        );
    }
}
