//! A demo county for tests, examples and the server's demo mode: 东海县 with 安峰镇,
//! modelled on the township the news reports describe (first- and second-level
//! grids, special grids for a school, a hospital, an enterprise and a park, and the
//! "one chief, four members" team in every grid). Names and boundaries are invented.

use super::OrgTree;

/// 东海县's administrative division code.
pub const COUNTY: &str = "320722000000";
/// 安峰镇's code.
pub const TOWN: &str = "320722104000";
/// The account id of the town's command-centre supervisor.
pub const TOWN_SUPERVISOR: &str = "sup-anfeng";
/// The account id of the county administrator.
pub const COUNTY_ADMIN: &str = "admin-donghai";

const SURNAMES: [&str; 12] = [
    "刘", "王", "张", "李", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "凤", "建国", "秀英", "海涛", "丽", "志强", "桂兰", "磊", "敏", "军", "芳", "伟",
];

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
/// four platforms). Shipped as data: `core/forms/demo-county.json`.
pub fn demo_county() -> OrgTree {
    serde_json::from_str(include_str!("../../forms/demo-county.json"))
        .expect("core/forms/demo-county.json is checked by the org tree tests")
}
