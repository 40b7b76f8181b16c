//! The org tree: county → town → village → grids, and the people who work in them.
//! Versioned reference data sent by the server; the phone only reads it.

#[cfg(feature = "demo")]
pub mod demo;
mod grid_info;
mod scope;
pub(crate) mod validate;

use serde::{Deserialize, Serialize};

pub use grid_info::GridInfo;
pub use scope::StaffScope;
pub use work_units::{Handles, WorkUnit, WorkUnitKind};

mod work_units;

/// The level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// 县 (or district).
    County,
    /// 镇, 乡 or 街道.
    Town,
    /// 村 or 社区.
    Village,
}

impl UnitLevel {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::County => "county",
            UnitLevel::Town => "town",
            UnitLevel::Village => "village",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            UnitLevel::County => "县级",
            UnitLevel::Town => "镇级",
            UnitLevel::Village => "村级",
        }
    }
}

/// An administrative unit: county, town or village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUnit {
    /// The 12-digit administrative division code (统计用区划代码).
    pub code: String,
    /// Its name, e.g. 安峰镇.
    pub name: String,
    /// County, town or village.
    pub level: UnitLevel,
    /// The code of the unit above (none for the county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// What kind of territory a grid covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// An ordinary residential grid.
    Regular,
    /// A subdivision of an urban grid (微网格).
    Micro,
    /// Special grid (专属网格) for a school.
    School,
    /// Special grid for a hospital.
    Hospital,
    /// Special grid for an enterprise.
    Enterprise,
    /// Special grid for an industrial or business park.
    Park,
}

impl GridKind {
    /// Every kind.
    pub const ALL: [GridKind; 6] = [
        GridKind::Regular,
        GridKind::Micro,
        GridKind::School,
        GridKind::Hospital,
        GridKind::Enterprise,
        GridKind::Park,
    ];

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            GridKind::Regular => "综合网格",
            GridKind::Micro => "微网格",
            GridKind::School => "学校专属网格",
            GridKind::Hospital => "医院专属网格",
            GridKind::Enterprise => "企业专属网格",
            GridKind::Park => "园区专属网格",
        }
    }

    /// The kind with this code or Chinese name.
    pub fn parse(text: &str) -> Option<GridKind> {
        let text = text.trim();
        GridKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.name_zh() == text)
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            GridKind::Regular => "regular",
            GridKind::Micro => "micro",
            GridKind::School => "school",
            GridKind::Hospital => "hospital",
            GridKind::Enterprise => "enterprise",
            GridKind::Park => "park",
        }
    }

    /// Whether this is a special grid (专属网格).
    pub fn is_special(self) -> bool {
        matches!(
            self,
            GridKind::School | GridKind::Hospital | GridKind::Enterprise | GridKind::Park
        )
    }
}

/// A grid (网格).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The grid code: the 12-digit code of its unit followed by a 3-digit grid number.
    pub code: String,
    /// Its name, e.g. 安峰村第一网格.
    pub name: String,
    /// 1 for a first-level grid, 2 for a second-level grid inside one.
    pub level: u8,
    /// What it covers.
    pub kind: GridKind,
    /// The code of the town or village it belongs to.
    pub unit: String,
    /// For a second-level grid: the first-level grid it lies in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_grid: Option<String>,
    /// Its boundary in WGS-84 degrees: rings of `[lon, lat]`, exterior first, then
    /// holes. Rings may be given open or closed.
    pub boundary: Vec<Vec<[f64; 2]>>,
}

/// A role in the grid system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格长: leads a grid's team.
    GridChief,
    /// 专职网格员.
    FullTimeGridWorker,
    /// 兼职网格员.
    PartTimeGridWorker,
    /// 督查员.
    Inspector,
    /// 联络员.
    Liaison,
    /// 巡查员.
    Patroller,
    /// 网格指导员: official assigned to guide a grid.
    GridInstructor,
    /// 义务网格员.
    Volunteer,
    /// Works in a town's command centre; sees the whole town.
    TownSupervisor,
    /// Handles incidents dispatched to a platform or department of a town or the
    /// county. A member of a [`WorkUnit`] holds this role over the unit's area.
    DepartmentHandler,
    /// Administers the county's system; sees the whole county.
    CountyAdministrator,
    /// Works in the county's command centre (县指挥中心): acts on escalated cases.
    CountySupervisor,
    /// 村（社区）书记 or 主任: leads a village's grids (一级网格长).
    VillageLeader,
    /// 村（社区）干部: a village cadre who collects and verifies in its grids.
    VillageCadre,
}

impl Role {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridChief => "grid_chief",
            Role::FullTimeGridWorker => "full_time_grid_worker",
            Role::PartTimeGridWorker => "part_time_grid_worker",
            Role::Inspector => "inspector",
            Role::Liaison => "liaison",
            Role::Patroller => "patroller",
            Role::GridInstructor => "grid_instructor",
            Role::Volunteer => "volunteer",
            Role::TownSupervisor => "town_supervisor",
            Role::DepartmentHandler => "department_handler",
            Role::CountyAdministrator => "county_administrator",
            Role::CountySupervisor => "county_supervisor",
            Role::VillageLeader => "village_leader",
            Role::VillageCadre => "village_cadre",
        }
    }

    /// Every role.
    pub const ALL: [Role; 14] = [
        Role::GridChief,
        Role::FullTimeGridWorker,
        Role::PartTimeGridWorker,
        Role::Inspector,
        Role::Liaison,
        Role::Patroller,
        Role::GridInstructor,
        Role::Volunteer,
        Role::TownSupervisor,
        Role::DepartmentHandler,
        Role::CountyAdministrator,
        Role::CountySupervisor,
        Role::VillageLeader,
        Role::VillageCadre,
    ];

    /// Reads a role code.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::GridChief => "网格长",
            Role::FullTimeGridWorker => "专职网格员",
            Role::PartTimeGridWorker => "兼职网格员",
            Role::Inspector => "督查员",
            Role::Liaison => "联络员",
            Role::Patroller => "巡查员",
            Role::GridInstructor => "网格指导员",
            Role::Volunteer => "义务网格员",
            Role::TownSupervisor => "镇指挥中心",
            Role::DepartmentHandler => "承办单位",
            Role::CountyAdministrator => "县级管理员",
            Role::CountySupervisor => "县指挥中心",
            Role::VillageLeader => "村（社区）书记",
            Role::VillageCadre => "村（社区）干部",
        }
    }

    /// The org-unit levels a role is held over (empty for roles held in a grid).
    pub fn unit_levels(self) -> &'static [UnitLevel] {
        match self {
            Role::TownSupervisor => &[UnitLevel::Town],
            Role::DepartmentHandler => &[UnitLevel::Town, UnitLevel::County],
            Role::CountyAdministrator | Role::CountySupervisor => &[UnitLevel::County],
            Role::VillageLeader | Role::VillageCadre => &[UnitLevel::Village],
            _ => &[],
        }
    }
}

/// Where a role applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A grid, by code (and the second-level grids inside it).
    Grid(String),
    /// An org unit, by code, and everything below it.
    Unit(String),
}

/// A role someone holds, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    /// The role.
    pub role: Role,
    /// Where it applies.
    pub scope: Scope,
}

/// A person who works in the grid system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    /// The account id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The roles held.
    pub roles: Vec<RoleAssignment>,
}

/// One version of the whole org tree of a county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgTree {
    /// Increases with every change the server publishes.
    pub version: u64,
    /// County, towns and villages.
    pub units: Vec<OrgUnit>,
    /// Every grid.
    pub grids: Vec<Grid>,
    /// Everyone with a role.
    pub staff: Vec<StaffMember>,
    /// The platforms and departments that handle incidents, at town and county
    /// level, with their members and the categories they handle (the routing
    /// rules). Absent in trees published before units existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub work_units: Vec<WorkUnit>,
}

impl Grid {
    /// The grid's boundary as a polygon (lon/lat), if its rings are valid.
    pub fn polygon(&self) -> Option<geo::Polygon<f64>> {
        validate::polygon(&self.boundary).ok()
    }
}

impl crate::ReferenceData for OrgTree {
    const KIND: crate::ReferenceKind = crate::ReferenceKind::OrgTree;

    fn version(&self) -> u64 {
        self.version
    }

    fn problems(&self) -> Vec<String> {
        OrgTree::problems(self)
    }
}

impl OrgTree {
    /// Every rule this tree breaks (empty when it may be imported), naming units,
    /// grids and staff by code or id only.
    pub fn problems(&self) -> Vec<String> {
        validate::problems(self)
    }
}

/// What importing an org tree did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The tree replaced the stored one.
    Imported,
    /// The same version was already stored; nothing changed.
    AlreadyCurrent,
}
