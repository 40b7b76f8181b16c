//! A county's knowledge base and grid task list, generated from the departments
//! of `sim/data/knowledge-seed.json`: each department's functions, its laws, and
//! for each service it offers a guide, the approval item and the questions
//! residents ask, with answers built from the service's facts (who may apply,
//! what to bring, how long, where) and links between them; the grid tasks come
//! from the same services, from each department, and from the county's own
//! grid work. Deterministic: the same sizes give the same set.

use fieldgrid_core::incident::default_catalogue;
use fieldgrid_core::knowledge::{Entry, EntryKind, Frequency, GridTask};
use fieldgrid_core::org::{GridKind, Role};
use serde::Deserialize;

/// The size of 灌南's knowledge base (更多 5,100 entries).
pub const ENTRIES: usize = 5_100;
/// The size of 灌南's grid task list (196 tasks).
pub const TASKS: usize = 196;

#[derive(Deserialize)]
struct Seed {
    departments: Vec<Department>,
    general_tasks: Vec<GeneralTask>,
    dept_tasks: Vec<DeptTask>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Department {
    name: String,
    short: String,
    window: String,
    function: String,
    laws: Vec<String>,
    topics: Vec<Topic>,
}

#[derive(Deserialize)]
struct Topic {
    name: String,
    who: String,
    materials: String,
    days: String,
    tags: String,
    category: String,
    duty: String,
    frequency: String,
    roles: String,
    forms: String,
}

#[derive(Deserialize)]
struct GeneralTask {
    department: String,
    name: String,
    duty: String,
    frequency: String,
    roles: String,
    forms: String,
    category: String,
    kinds: String,
}

#[derive(Deserialize)]
struct DeptTask {
    name: String,
    duty: String,
    frequency: String,
    forms: String,
}

#[derive(Deserialize)]
struct Question {
    title: String,
    body: String,
}

/// A generated knowledge base.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeSet {
    /// The entries.
    pub entries: Vec<Entry>,
    /// The grid tasks.
    pub tasks: Vec<GridTask>,
}

fn seed() -> Seed {
    serde_json::from_str(include_str!("../data/knowledge-seed.json"))
        .expect("sim/data/knowledge-seed.json is read by the knowledge tests")
}

fn split(s: &str) -> Vec<String> {
    s.split('、')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn roles(s: &str) -> Vec<Role> {
    split(s).iter().filter_map(|r| Role::parse(r)).collect()
}

fn frequency(s: &str) -> Frequency {
    Frequency::parse(s).unwrap_or(Frequency::AsNeeded)
}

/// Fills `{name}`-style holes of a template.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Generates `entries` entries and `tasks` tasks (at most what the seed yields:
/// 5,106 and 201).
pub fn generate(entries: usize, tasks: usize) -> KnowledgeSet {
    let seed = seed();
    let catalogue = default_catalogue();
    let mut out: Vec<Entry> = Vec::new();
    let mut next = 0usize;
    let mut new_id = || {
        next += 1;
        format!("ZS{next:06}")
    };
    let entry = |id: String,
                 kind,
                 title: String,
                 body: String,
                 dept: &Department,
                 tags: Vec<String>,
                 categories: Vec<String>| Entry {
        id,
        kind,
        title,
        body,
        department: dept.name.clone(),
        tags,
        categories,
        valid_from: None,
        valid_to: None,
        retired: false,
    };
    // Ids fixed up front so entries can link to those generated later.
    let law_ids: Vec<Vec<[String; 3]>> = seed
        .departments
        .iter()
        .map(|d| {
            d.laws
                .iter()
                .map(|_| [new_id(), new_id(), new_id()])
                .collect()
        })
        .collect();
    let function_ids: Vec<String> = seed.departments.iter().map(|_| new_id()).collect();
    let topic_ids: Vec<Vec<[String; 2]>> = seed
        .departments
        .iter()
        .map(|d| d.topics.iter().map(|_| [new_id(), new_id()]).collect())
        .collect();
    for (di, d) in seed.departments.iter().enumerate() {
        let guides: Vec<String> = d
            .topics
            .iter()
            .enumerate()
            .map(|(ti, t)| format!("- [[{}|{}办理指南]]", topic_ids[di][ti][0], t.name))
            .collect();
        out.push(entry(
            function_ids[di].clone(),
            EntryKind::Function,
            format!("{}机构职能", d.name),
            format!(
                "# 主要职责\n{}\n# 服务事项\n{}\n# 办公地点\n{}。",
                d.function,
                guides.join("\n"),
                d.window
            ),
            d,
            vec![d.short.clone(), "机构职能".into()],
            vec![],
        ));
        for (li, law) in d.laws.iter().enumerate() {
            let [overview, articles, points] = &law_ids[di][li];
            let duties: Vec<String> = d
                .topics
                .iter()
                .map(|t| format!("- {}：{}。", t.name, t.duty))
                .collect();
            let mut e = entry(
                overview.clone(),
                EntryKind::Law,
                law.clone(),
                format!(
                    "# 概述\n{law}是{}领域的基本依据，由{}负责在本县组织实施。\n# 与网格工作相关的内容\n{}\n# 延伸阅读\n[[{articles}|{law}重点条款解读]]、[[{points}|{law}网格员学习要点]]",
                    d.short,
                    d.name,
                    duties.join("\n")
                ),
                d,
                vec![d.short.clone(), "法律法规".into()],
                d.topics
                    .iter()
                    .map(|t| t.category.clone())
                    .take(3)
                    .collect(),
            );
            e.valid_from = Some("2020-01-01".into());
            out.push(e);
            out.push(entry(
                articles.clone(),
                EntryKind::Law,
                format!("{law}重点条款解读"),
                format!(
                    "# 重点条款\n{law}明确了{}在{}等方面的职责。\n# 解读\n- 群众依法享有申请、知情和监督的权利。\n- 行政机关应当依法、公开、高效办理。\n返回[[{overview}|{law}]]。",
                    d.name,
                    d.topics.iter().map(|t| t.name.as_str()).take(3).collect::<Vec<_>>().join("、"),
                ),
                d,
                vec![d.short.clone(), "法律法规".into(), "条款解读".into()],
                vec![],
            ));
            out.push(entry(
                points.clone(),
                EntryKind::Law,
                format!("{law}网格员学习要点"),
                format!(
                    "# 学习要点\n- 熟悉{law}中与群众切身利益相关的规定。\n- 宣传时用群众听得懂的话讲政策。\n- 遇到政策解释不了的问题，记录后报{}答复。",
                    d.name
                ),
                d,
                vec![d.short.clone(), "法律法规".into(), "网格员学习".into()],
                vec![],
            ));
        }
    }
    let vars_of = |di: usize, ti: usize| -> Vec<(String, String)> {
        let d = &seed.departments[di];
        let t = &d.topics[ti];
        let li = ti % d.laws.len();
        let materials = split(&t.materials);
        let who_short: String = t.who.chars().take(24).collect();
        let category_name = catalogue
            .find(&t.category)
            .map_or_else(|| t.category.clone(), |c| c.name.clone());
        vec![
            ("name".into(), t.name.clone()),
            ("who".into(), t.who.clone()),
            ("who_short".into(), who_short),
            ("materials".into(), materials.join("、")),
            (
                "material_list".into(),
                materials
                    .iter()
                    .map(|m| format!("- {m}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ("days".into(), t.days.clone()),
            ("window".into(), d.window.clone()),
            ("dept".into(), d.name.clone()),
            ("short".into(), d.short.clone()),
            ("duty".into(), t.duty.clone()),
            ("law".into(), d.laws[li].clone()),
            ("law_id".into(), law_ids[di][li][0].clone()),
            ("guide".into(), topic_ids[di][ti][0].clone()),
            ("category_name".into(), category_name),
        ]
    };
    let topics: Vec<(usize, usize)> = seed
        .departments
        .iter()
        .enumerate()
        .flat_map(|(di, d)| (0..d.topics.len()).map(move |ti| (di, ti)))
        .collect();
    for &(di, ti) in &topics {
        let d = &seed.departments[di];
        let t = &d.topics[ti];
        let v = vars_of(di, ti);
        let v: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let mut tags = split(&t.tags);
        tags.push(d.short.clone());
        let [guide, service] = &topic_ids[di][ti];
        let mut e = entry(
            guide.clone(),
            EntryKind::Guide,
            format!("{}办理指南", t.name),
            fill(
                "# 适用对象\n{who}。\n# 所需材料\n{material_list}\n# 办理流程\n- 申请：本人或代办人到{window}提交材料，也可网上申请。\n- 受理审核：{dept}审核，必要时入户调查、公示。\n- 办结：{days}个工作日内告知结果。\n# 收费标准\n不收费。\n# 政策依据\n[[{law_id}|{law}]]\n# 网格员可以做什么\n{duty}。",
                &v,
            ),
            d,
            tags.clone(),
            vec![t.category.clone()],
        );
        e.valid_from = Some("2024-01-01".into());
        out.push(e);
        out.push(entry(
            service.clone(),
            EntryKind::Service,
            format!("{}（审批服务事项）", t.name),
            fill(
                "# 事项信息\n- 事项名称：{name}\n- 实施主体：{dept}\n- 法定办结时限：{days}个工作日\n- 办理地点：{window}\n- 是否收费：否\n# 办事指南\n[[{guide}|{name}办理指南]]",
                &v,
            ),
            d,
            tags,
            vec![t.category.clone()],
        ));
    }
    for (qi, q) in seed.questions.iter().enumerate() {
        for (k, &(di, ti)) in topics.iter().enumerate() {
            if out.len() >= entries {
                break;
            }
            let d = &seed.departments[di];
            let t = &d.topics[ti];
            let year = if (qi + k) % 2 == 0 { "2025" } else { "2026" };
            let mut v = vars_of(di, ti);
            v.push(("year".into(), year.into()));
            let v: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let mut tags = split(&t.tags);
            tags.push(d.short.clone());
            tags.push("热点问答".into());
            let mut e = entry(
                new_id(),
                EntryKind::Faq,
                fill(&q.title, &v),
                fill(&q.body, &v),
                d,
                tags,
                vec![t.category.clone()],
            );
            if q.title.contains("{year}") && year == "2025" {
                e.valid_to = Some("2025-12-31".into());
            }
            out.push(e);
        }
    }
    out.truncate(entries);
    KnowledgeSet {
        entries: out,
        tasks: generate_tasks(&seed, &topic_ids, tasks),
    }
}

fn generate_tasks(seed: &Seed, topic_ids: &[Vec<[String; 2]>], n: usize) -> Vec<GridTask> {
    let mut out: Vec<GridTask> = Vec::new();
    let mut push = |mut t: GridTask| {
        t.id = format!("SX{:03}", out.len() + 1);
        out.push(t);
    };
    for g in &seed.general_tasks {
        push(GridTask {
            id: String::new(),
            name: g.name.clone(),
            department: g.department.clone(),
            duty: g.duty.clone() + "。",
            frequency: frequency(&g.frequency),
            roles: roles(&g.roles),
            grid_kinds: split(&g.kinds)
                .iter()
                .filter_map(|k| GridKind::parse(k))
                .collect(),
            forms: split(&g.forms),
            categories: split(&g.category),
            basis: None,
            retired: false,
        });
    }
    for (di, d) in seed.departments.iter().enumerate() {
        for (ti, t) in d.topics.iter().enumerate() {
            push(GridTask {
                id: String::new(),
                name: format!("{}协办", t.name),
                department: d.name.clone(),
                duty: t.duty.clone() + "。",
                frequency: frequency(&t.frequency),
                roles: roles(&t.roles),
                grid_kinds: vec![],
                forms: split(&t.forms),
                categories: vec![t.category.clone()],
                basis: Some(topic_ids[di][ti][0].clone()),
                retired: false,
            });
        }
    }
    for d in &seed.departments {
        for t in &seed.dept_tasks {
            let v = [("short", d.short.as_str()), ("dept", d.name.as_str())];
            push(GridTask {
                id: String::new(),
                name: fill(&t.name, &v),
                department: d.name.clone(),
                duty: fill(&t.duty, &v) + "。",
                frequency: frequency(&t.frequency),
                roles: vec![Role::FullTimeGridWorker, Role::PartTimeGridWorker],
                grid_kinds: vec![],
                forms: split(&t.forms),
                categories: vec![],
                basis: None,
                retired: false,
            });
        }
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use fieldgrid_core::knowledge::Item;
    use fieldgrid_core::knowledge::check::set_problems;

    use super::*;

    #[test]
    fn the_generated_set_is_full_sized_and_publishable() {
        let set = generate(ENTRIES, TASKS);
        assert_eq!((set.entries.len(), set.tasks.len()), (ENTRIES, TASKS));
        let ids: HashSet<&str> = set.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), ENTRIES, "entry ids are unique");
        let titles: HashSet<&str> = set.entries.iter().map(|e| e.title.as_str()).collect();
        assert!(
            titles.len() > ENTRIES * 99 / 100,
            "titles are nearly all distinct"
        );
        let mut all = BTreeMap::new();
        for item in set
            .entries
            .iter()
            .cloned()
            .map(Item::Entry)
            .chain(set.tasks.iter().cloned().map(Item::Task))
        {
            all.insert((item.kind(), item.id().to_owned()), item);
        }
        let problems = set_problems(&all, None, Some(&default_catalogue()));
        assert!(
            problems.is_empty(),
            "{:?}",
            &problems[..problems.len().min(5)]
        );
        // Every department and every kind is there; no template hole is left.
        let departments: HashSet<&str> =
            set.entries.iter().map(|e| e.department.as_str()).collect();
        assert_eq!(departments.len(), 21);
        assert!(
            set.entries
                .iter()
                .all(|e| !e.body.contains('{') && !e.title.contains('{'))
        );
        assert!(
            set.tasks
                .iter()
                .all(|t| !t.roles.is_empty() && !t.duty.contains('{'))
        );
        assert_eq!(generate(ENTRIES, TASKS), set, "deterministic");
    }
}
