//! A demo county for tests, examples and the server's demo mode: 东海县 with 安峰镇,
//! modelled on the township the news reports describe (first- and second-level
//! grids, special grids for a school, a hospital, an enterprise and a park, and the
//! "one chief, four members" team in every grid). Names and boundaries are invented.

use super::{
    Grid, GridKind, OrgTree, OrgUnit, Role, RoleAssignment, Scope, StaffMember, UnitLevel,
};

/// 东海县's administrative division code.
pub const COUNTY: &str = "320722000000";
/// 安峰镇's code.
pub const TOWN: &str = "320722104000";
/// The account id of the town's command-centre supervisor.
pub const TOWN_SUPERVISOR: &str = "sup-anfeng";
/// The account id of the county administrator.
pub const COUNTY_ADMIN: &str = "admin-donghai";

const VILLAGES: [&str; 8] = [
    "安峰村",
    "山口村",
    "北芹村",
    "南芹村",
    "东湖村",
    "西湖村",
    "石埠村",
    "林场社区",
];
const SURNAMES: [&str; 12] = [
    "刘", "王", "张", "李", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "凤", "建国", "秀英", "海涛", "丽", "志强", "桂兰", "磊", "敏", "军", "芳", "伟",
];

/// West, south corner and size (degrees) of the town's demo area.
const WEST: f64 = 118.70;
const SOUTH: f64 = 34.50;
const VILLAGE_W: f64 = 0.03;
const VILLAGE_H: f64 = 0.05;

fn rect(west: f64, south: f64, east: f64, north: f64) -> Vec<Vec<[f64; 2]>> {
    vec![vec![
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
    ]]
}

/// A demo person's name, stable for a given number.
pub fn demo_name(n: usize) -> String {
    format!(
        "{}{}",
        SURNAMES[n % SURNAMES.len()],
        GIVEN[(n / SURNAMES.len() + n) % GIVEN.len()]
    )
}

/// The village code of demo village `i` (0-based).
pub fn village_code(i: usize) -> String {
    format!("320722104{:03}", 201 + i)
}

/// The demo county's org tree: 8 villages, 24 first-level grids, 16 second-level
/// grids, 4 special grids, and staff with every role (a handler for each of the
/// four platforms).
pub fn demo_county() -> OrgTree {
    let mut units = vec![
        OrgUnit {
            code: COUNTY.into(),
            name: "东海县".into(),
            level: UnitLevel::County,
            parent: None,
        },
        OrgUnit {
            code: TOWN.into(),
            name: "安峰镇".into(),
            level: UnitLevel::Town,
            parent: Some(COUNTY.into()),
        },
    ];
    let mut grids = Vec::new();
    let mut staff = Vec::new();
    let mut person = 0;
    let mut add_staff = |staff: &mut Vec<StaffMember>, id: String, role: Role, grid: &str| {
        person += 1;
        staff.push(StaffMember {
            id,
            name: demo_name(person),
            roles: vec![RoleAssignment {
                role,
                scope: Scope::Grid(grid.to_owned()),
            }],
        });
    };

    for (i, village) in VILLAGES.iter().enumerate() {
        let code = village_code(i);
        units.push(OrgUnit {
            code: code.clone(),
            name: (*village).into(),
            level: UnitLevel::Village,
            parent: Some(TOWN.into()),
        });
        let west = WEST + (i % 4) as f64 * VILLAGE_W;
        let south = SOUTH + (i / 4) as f64 * VILLAGE_H;
        let strip = VILLAGE_W / 3.0;
        for g in 0..3 {
            let gw = west + g as f64 * strip;
            let grid_code = format!("{code}{:03}", g + 1);
            grids.push(Grid {
                code: grid_code.clone(),
                name: format!("{village}第{}网格", ["一", "二", "三"][g]),
                level: 1,
                kind: GridKind::Regular,
                unit: code.clone(),
                parent_grid: None,
                boundary: rect(gw, south, gw + strip, south + VILLAGE_H),
            });
            add_staff(
                &mut staff,
                format!("chief-{grid_code}"),
                Role::GridChief,
                &grid_code,
            );
            add_staff(
                &mut staff,
                format!("worker-{grid_code}"),
                Role::FullTimeGridWorker,
                &grid_code,
            );
            add_staff(
                &mut staff,
                format!("inspector-{grid_code}"),
                Role::Inspector,
                &grid_code,
            );
            add_staff(
                &mut staff,
                format!("liaison-{grid_code}"),
                Role::Liaison,
                &grid_code,
            );
            add_staff(
                &mut staff,
                format!("patroller-{grid_code}"),
                Role::Patroller,
                &grid_code,
            );
            if g == 0 {
                // The village centre is split into two second-level grids.
                for half in 0..2 {
                    let hs = south + half as f64 * VILLAGE_H / 2.0;
                    let sub = format!("{code}{:03}", 101 + half);
                    grids.push(Grid {
                        code: sub.clone(),
                        name: format!("{village}第一网格{}片", ["南", "北"][half]),
                        level: 2,
                        kind: GridKind::Regular,
                        unit: code.clone(),
                        parent_grid: Some(grid_code.clone()),
                        boundary: rect(gw, hs, gw + strip, hs + VILLAGE_H / 2.0),
                    });
                    add_staff(
                        &mut staff,
                        format!("worker-{sub}"),
                        Role::PartTimeGridWorker,
                        &sub,
                    );
                }
            }
        }
    }

    let specials = [
        ("安峰中心小学", GridKind::School),
        ("安峰镇卫生院", GridKind::Hospital),
        ("东海硅材料有限公司", GridKind::Enterprise),
        ("安峰农业产业园", GridKind::Park),
    ];
    for (n, (name, kind)) in specials.into_iter().enumerate() {
        let code = format!("{TOWN}{:03}", 901 + n);
        let west = WEST + 0.005 + n as f64 * VILLAGE_W;
        let south = SOUTH + 0.01;
        grids.push(Grid {
            code: code.clone(),
            name: name.into(),
            level: 1,
            kind,
            unit: TOWN.into(),
            parent_grid: None,
            boundary: rect(west, south, west + 0.004, south + 0.004),
        });
        add_staff(&mut staff, format!("chief-{code}"), Role::GridChief, &code);
        add_staff(
            &mut staff,
            format!("volunteer-{code}"),
            Role::Volunteer,
            &code,
        );
    }
    let first_grid = grids[0].code.clone();
    add_staff(
        &mut staff,
        "instructor-anfeng".into(),
        Role::GridInstructor,
        &first_grid,
    );

    staff.push(StaffMember {
        id: TOWN_SUPERVISOR.into(),
        name: "综合指挥中心值班员".into(),
        roles: vec![RoleAssignment {
            role: Role::TownSupervisor,
            scope: Scope::Unit(TOWN.into()),
        }],
    });
    for (id, name) in [
        ("handler-zongzhi", "综治工作平台"),
        ("handler-shichang", "市场监管平台"),
        ("handler-zhifa", "综合执法平台"),
        ("handler-bianmin", "便民服务平台"),
    ] {
        staff.push(StaffMember {
            id: id.into(),
            name: format!("{name}承办人"),
            roles: vec![RoleAssignment {
                role: Role::DepartmentHandler,
                scope: Scope::Unit(TOWN.into()),
            }],
        });
    }
    staff.push(StaffMember {
        id: COUNTY_ADMIN.into(),
        name: "县综治中心管理员".into(),
        roles: vec![RoleAssignment {
            role: Role::CountyAdministrator,
            scope: Scope::Unit(COUNTY.into()),
        }],
    });

    OrgTree {
        version: 1,
        units,
        grids,
        staff,
    }
}
