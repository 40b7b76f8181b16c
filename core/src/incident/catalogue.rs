//! The incident category catalogue: three levels, as townships classify what grid
//! workers report, with default deadlines per category. Versioned reference data
//! sent by the server (`/v1/reference/catalogue`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::deadlines::StageDeadlines;

/// One category, with its sub-categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Dotted code, e.g. `dispute.neighbour.boundary`.
    pub code: String,
    /// Chinese label shown in the apps.
    pub name: String,
    /// English label.
    pub name_en: String,
    /// Deadlines for this category and below (unless a child sets its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<StageDeadlines>,
    /// Sub-categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Category>,
}

/// One version of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Increases with every change the server publishes.
    pub version: u64,
    /// Deadlines of categories that set none.
    pub default_deadlines: StageDeadlines,
    /// First-level categories.
    pub categories: Vec<Category>,
}

impl Catalogue {
    /// The category with this code, if any.
    pub fn find(&self, code: &str) -> Option<&Category> {
        let mut level = &self.categories;
        let mut found = None;
        let parts: Vec<&str> = code.split('.').collect();
        for i in 1..=parts.len() {
            let prefix = parts[..i].join(".");
            found = level.iter().find(|c| c.code == prefix);
            level = &found?.children;
        }
        found
    }

    /// The deadlines for a category: its own, or its nearest parent's, or the
    /// default.
    pub fn deadlines_for(&self, code: &str) -> StageDeadlines {
        let parts: Vec<&str> = code.split('.').collect();
        (1..=parts.len())
            .rev()
            .filter_map(|i| self.find(&parts[..i].join(".")).and_then(|c| c.deadlines))
            .next()
            .unwrap_or(self.default_deadlines)
    }

    /// Every rule the catalogue breaks: codes unique, dotted under their parent, at
    /// most three levels, deadlines of at least a day.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        fn walk(
            c: &Category,
            parent: Option<&str>,
            depth: usize,
            seen: &mut HashSet<String>,
            out: &mut Vec<String>,
        ) {
            if depth > 3 {
                out.push(format!("category {}: deeper than three levels", c.code));
            }
            if !seen.insert(c.code.clone()) {
                out.push(format!("category {}: code used twice", c.code));
            }
            let ok_code = match parent {
                None => !c.code.contains('.') && !c.code.is_empty(),
                Some(p) => c
                    .code
                    .strip_prefix(p)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| !r.is_empty() && !r.contains('.')),
            };
            if !ok_code {
                out.push(format!(
                    "category {}: code must extend its parent's by one segment",
                    c.code
                ));
            }
            if let Some(d) = c.deadlines
                && (d.dispatch_days == 0 || d.resolve_days == 0)
            {
                out.push(format!(
                    "category {}: deadlines must be at least a day",
                    c.code
                ));
            }
            for child in &c.children {
                walk(child, Some(&c.code), depth + 1, seen, out);
            }
        }
        for c in &self.categories {
            walk(c, None, 1, &mut seen, &mut out);
        }
        out
    }
}

fn leaf(code: &str, name: &str, name_en: &str) -> Category {
    Category {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        deadlines: None,
        children: vec![],
    }
}

fn node(
    code: &str,
    name: &str,
    name_en: &str,
    deadlines: Option<(u32, u32)>,
    children: Vec<Category>,
) -> Category {
    Category {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        deadlines: deadlines.map(|(dispatch_days, resolve_days)| StageDeadlines {
            dispatch_days,
            resolve_days,
        }),
        children,
    }
}

/// The catalogue townships start from: 11 first-level categories with realistic
/// second and third levels. Urgent dangers get shorter deadlines.
pub fn default_catalogue() -> Catalogue {
    let c = |code: &str, name: &str, en: &str, d, kids| node(code, name, en, d, kids);
    Catalogue {
        version: 1,
        default_deadlines: StageDeadlines::default(),
        categories: vec![
            c(
                "dispute",
                "矛盾纠纷",
                "Disputes",
                Some((1, 5)),
                vec![
                    c(
                        "dispute.neighbour",
                        "邻里纠纷",
                        "Neighbour disputes",
                        None,
                        vec![
                            leaf(
                                "dispute.neighbour.boundary",
                                "宅基地界线",
                                "Plot boundaries",
                            ),
                            leaf("dispute.neighbour.noise", "噪音扰民", "Noise"),
                            leaf(
                                "dispute.neighbour.drainage",
                                "排水通行",
                                "Drainage and right of way",
                            ),
                        ],
                    ),
                    c(
                        "dispute.family",
                        "婚姻家庭纠纷",
                        "Family disputes",
                        None,
                        vec![
                            leaf("dispute.family.marriage", "婚姻纠纷", "Marriage"),
                            leaf(
                                "dispute.family.support",
                                "赡养抚养",
                                "Support of elders and children",
                            ),
                        ],
                    ),
                    c(
                        "dispute.land",
                        "土地山林纠纷",
                        "Land and forest disputes",
                        None,
                        vec![
                            leaf("dispute.land.contract", "土地承包", "Land contracts"),
                            leaf("dispute.land.forest", "山林权属", "Forest rights"),
                        ],
                    ),
                    c(
                        "dispute.labour",
                        "劳资纠纷",
                        "Labour disputes",
                        Some((1, 3)),
                        vec![
                            leaf("dispute.labour.wages", "拖欠工资", "Unpaid wages"),
                            leaf(
                                "dispute.labour.injury",
                                "工伤赔偿",
                                "Work injury compensation",
                            ),
                        ],
                    ),
                ],
            ),
            c(
                "security",
                "治安隐患",
                "Public security hazards",
                Some((1, 2)),
                vec![
                    c(
                        "security.order",
                        "治安秩序",
                        "Public order",
                        None,
                        vec![
                            leaf("security.order.gambling", "赌博", "Gambling"),
                            leaf("security.order.fight", "打架斗殴", "Fights"),
                        ],
                    ),
                    c(
                        "security.places",
                        "重点场所",
                        "Key places",
                        None,
                        vec![
                            leaf("security.places.rental", "出租房屋", "Rented housing"),
                            leaf(
                                "security.places.internet_cafe",
                                "网吧娱乐场所",
                                "Internet cafés and venues",
                            ),
                        ],
                    ),
                ],
            ),
            c(
                "work_safety",
                "安全生产",
                "Work safety",
                Some((1, 2)),
                vec![
                    c(
                        "work_safety.enterprise",
                        "企业安全",
                        "Enterprise safety",
                        None,
                        vec![
                            leaf(
                                "work_safety.enterprise.hazmat",
                                "危化品",
                                "Hazardous chemicals",
                            ),
                            leaf(
                                "work_safety.enterprise.equipment",
                                "特种设备",
                                "Special equipment",
                            ),
                        ],
                    ),
                    c(
                        "work_safety.construction",
                        "建筑施工",
                        "Construction sites",
                        None,
                        vec![
                            leaf("work_safety.construction.scaffold", "脚手架", "Scaffolding"),
                            leaf(
                                "work_safety.construction.protection",
                                "安全防护",
                                "Protective measures",
                            ),
                        ],
                    ),
                    c(
                        "work_safety.traffic",
                        "道路交通",
                        "Road traffic",
                        None,
                        vec![
                            leaf(
                                "work_safety.traffic.facility",
                                "交通设施损坏",
                                "Damaged traffic facilities",
                            ),
                            leaf(
                                "work_safety.traffic.overload",
                                "超载超限",
                                "Overloaded vehicles",
                            ),
                        ],
                    ),
                ],
            ),
            c(
                "fire",
                "消防安全",
                "Fire safety",
                Some((1, 1)),
                vec![
                    c(
                        "fire.passage",
                        "消防通道",
                        "Fire lanes",
                        None,
                        vec![
                            leaf("fire.passage.blocked", "通道堵塞", "Blocked lanes"),
                            leaf("fire.passage.exit_locked", "安全出口锁闭", "Locked exits"),
                        ],
                    ),
                    c(
                        "fire.electric",
                        "电气火灾隐患",
                        "Electrical fire hazards",
                        None,
                        vec![
                            leaf("fire.electric.wiring", "私拉乱接电线", "Improvised wiring"),
                            leaf(
                                "fire.electric.ebike",
                                "电动车违规充电",
                                "E-bikes charged indoors",
                            ),
                        ],
                    ),
                    c(
                        "fire.equipment",
                        "消防设施",
                        "Fire equipment",
                        None,
                        vec![leaf(
                            "fire.equipment.extinguisher",
                            "灭火器缺失过期",
                            "Missing or expired extinguishers",
                        )],
                    ),
                ],
            ),
            c(
                "environment",
                "环境卫生",
                "Environment and sanitation",
                None,
                vec![
                    c(
                        "environment.waste",
                        "垃圾处理",
                        "Waste",
                        None,
                        vec![
                            leaf("environment.waste.dumping", "乱堆乱倒", "Illegal dumping"),
                            leaf(
                                "environment.waste.burning",
                                "焚烧垃圾秸秆",
                                "Burning waste or straw",
                            ),
                        ],
                    ),
                    c(
                        "environment.water",
                        "水体污染",
                        "Water pollution",
                        Some((1, 2)),
                        vec![
                            leaf("environment.water.sewage", "污水直排", "Untreated sewage"),
                            leaf("environment.water.river", "河道漂浮物", "Rubbish in rivers"),
                        ],
                    ),
                    c(
                        "environment.air",
                        "大气污染",
                        "Air pollution",
                        None,
                        vec![leaf("environment.air.dust", "扬尘", "Dust")],
                    ),
                ],
            ),
            c(
                "urban",
                "城乡管理与违法建设",
                "Urban management and illegal building",
                None,
                vec![
                    c(
                        "urban.building",
                        "违法建设",
                        "Illegal building",
                        None,
                        vec![
                            leaf(
                                "urban.building.farmland",
                                "占用耕地建房",
                                "Building on farmland",
                            ),
                            leaf(
                                "urban.building.extension",
                                "违规加层扩建",
                                "Illegal extensions",
                            ),
                        ],
                    ),
                    c(
                        "urban.street",
                        "市容秩序",
                        "Street order",
                        None,
                        vec![
                            leaf("urban.street.stalls", "占道经营", "Street stalls"),
                            leaf("urban.street.ads", "乱贴乱画", "Illegal posters"),
                        ],
                    ),
                    c(
                        "urban.facility",
                        "市政设施",
                        "Public facilities",
                        None,
                        vec![
                            leaf(
                                "urban.facility.streetlight",
                                "路灯损坏",
                                "Broken street lights",
                            ),
                            leaf(
                                "urban.facility.manhole",
                                "井盖缺失",
                                "Missing manhole covers",
                            ),
                        ],
                    ),
                ],
            ),
            c(
                "market",
                "市场监管与食品安全",
                "Market and food safety",
                Some((1, 3)),
                vec![
                    c(
                        "market.food_safety",
                        "食品安全",
                        "Food safety",
                        Some((1, 2)),
                        vec![
                            leaf(
                                "market.food_safety.expired",
                                "过期变质食品",
                                "Expired or spoiled food",
                            ),
                            leaf(
                                "market.food_safety.unlicensed",
                                "无证经营",
                                "Unlicensed food business",
                            ),
                        ],
                    ),
                    c(
                        "market.pricing",
                        "价格与计量",
                        "Prices and measures",
                        None,
                        vec![
                            leaf("market.pricing.gouging", "哄抬价格", "Price gouging"),
                            leaf("market.pricing.scales", "缺斤短两", "Short weight"),
                        ],
                    ),
                    c(
                        "market.drugs",
                        "药品安全",
                        "Medicine safety",
                        Some((1, 2)),
                        vec![leaf(
                            "market.drugs.unlicensed",
                            "无证售药",
                            "Unlicensed sale of medicine",
                        )],
                    ),
                ],
            ),
            c(
                "service",
                "便民服务与群众诉求",
                "Public services and residents' requests",
                Some((1, 5)),
                vec![
                    c(
                        "service.social",
                        "社会保障",
                        "Social security",
                        None,
                        vec![
                            leaf("service.social.pension", "养老保险", "Pensions"),
                            leaf("service.social.medical", "医疗保险", "Medical insurance"),
                        ],
                    ),
                    c(
                        "service.assistance",
                        "社会救助",
                        "Social assistance",
                        None,
                        vec![
                            leaf(
                                "service.assistance.subsistence",
                                "低保申请",
                                "Subsistence allowance",
                            ),
                            leaf(
                                "service.assistance.hardship",
                                "临时救助",
                                "Temporary hardship aid",
                            ),
                        ],
                    ),
                    c(
                        "service.infrastructure",
                        "基础设施诉求",
                        "Infrastructure requests",
                        None,
                        vec![
                            leaf("service.infrastructure.water", "供水", "Water supply"),
                            leaf("service.infrastructure.road", "道路维修", "Road repair"),
                        ],
                    ),
                ],
            ),
            c(
                "epidemic",
                "卫生防疫",
                "Epidemic prevention",
                Some((1, 1)),
                vec![
                    c(
                        "epidemic.infectious",
                        "传染病防控",
                        "Infectious disease",
                        None,
                        vec![leaf(
                            "epidemic.infectious.report",
                            "疑似病例报告",
                            "Suspected cases",
                        )],
                    ),
                    c(
                        "epidemic.animal",
                        "动物防疫",
                        "Animal disease",
                        None,
                        vec![leaf("epidemic.animal.dead", "病死畜禽", "Dead livestock")],
                    ),
                ],
            ),
            c(
                "special_groups",
                "特殊人群",
                "Special groups",
                Some((1, 2)),
                vec![
                    c(
                        "special_groups.mental",
                        "严重精神障碍患者",
                        "Severe mental disorder",
                        None,
                        vec![leaf(
                            "special_groups.mental.episode",
                            "病情异常",
                            "Acute episode",
                        )],
                    ),
                    c(
                        "special_groups.community",
                        "社区矫正与安置帮教",
                        "Community correction and rehabilitation",
                        None,
                        vec![leaf(
                            "special_groups.community.absence",
                            "脱管漏管",
                            "Lost contact",
                        )],
                    ),
                    c(
                        "special_groups.care",
                        "留守与困境人员",
                        "Left-behind and vulnerable people",
                        None,
                        vec![
                            leaf(
                                "special_groups.care.elderly",
                                "留守老人",
                                "Left-behind elderly",
                            ),
                            leaf(
                                "special_groups.care.children",
                                "留守儿童",
                                "Left-behind children",
                            ),
                        ],
                    ),
                ],
            ),
            c(
                "other",
                "其他",
                "Other",
                None,
                vec![c(
                    "other.general",
                    "其他事项",
                    "Other matters",
                    None,
                    vec![],
                )],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalogue_is_valid_and_inherits_deadlines() {
        let c = default_catalogue();
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        assert!(c.categories.len() >= 10);
        assert!(c.categories.iter().all(|l1| !l1.children.is_empty()));
        assert_eq!(
            c.find("fire.electric.ebike").unwrap().name,
            "电动车违规充电"
        );
        assert!(c.find("fire.nothing").is_none());
        // Own, parent's, grandparent's, default.
        assert_eq!(
            c.deadlines_for("market.food_safety.expired").resolve_days,
            2
        );
        assert_eq!(c.deadlines_for("market.pricing.scales").resolve_days, 3);
        assert_eq!(c.deadlines_for("fire.passage.blocked").resolve_days, 1);
        assert_eq!(
            c.deadlines_for("urban.building.farmland"),
            StageDeadlines::default()
        );
        assert_eq!(c.deadlines_for("no.such.code"), StageDeadlines::default());
        let mut bad = c.clone();
        bad.categories[0].children[0].code = "disputeX.neighbour".into();
        bad.categories[1].code = "dispute".into();
        assert!(bad.problems().len() >= 2);
    }
}
