use std::collections::{BTreeMap, HashSet};

use super::body::{BlockKind, Span, blocks, links};
use super::check::set_problems;
use super::sheet::{ENTRY_HEADERS, TASK_HEADERS, cells, read_sheet};
use super::*;

fn entry(id: &str, title: &str, body: &str) -> Entry {
    Entry {
        id: id.into(),
        kind: EntryKind::Guide,
        title: title.into(),
        body: body.into(),
        department: "东海县民政局".into(),
        tags: vec!["社会救助".into()],
        categories: vec!["service.assistance".into()],
        valid_from: None,
        valid_to: None,
        retired: false,
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn bodies_have_headings_items_and_links() {
    let b = blocks(
        "# 申请条件\n- 家庭人均收入低于当地低保标准\n详见[[ZS000002|所需材料]]和[[ZS000003]]。\n\n[[未闭合",
    );
    assert_eq!(b.len(), 4);
    assert_eq!(b[0].kind, BlockKind::Heading);
    assert_eq!(b[1].kind, BlockKind::Item);
    assert_eq!(
        b[2].spans,
        vec![
            Span::Text {
                text: "详见".into()
            },
            Span::Link {
                id: "ZS000002".into(),
                text: "所需材料".into()
            },
            Span::Text { text: "和".into() },
            Span::Link {
                id: "ZS000003".into(),
                text: String::new()
            },
            Span::Text { text: "。".into() },
        ]
    );
    assert_eq!(b[3].plain(), "[[未闭合");
    assert_eq!(links("[[A]] [[B|x]] [[A]]"), ["A", "B"]);
}

#[test]
fn a_sheet_lists_every_problem_by_row() {
    let mut sheet = vec![row(&ENTRY_HEADERS)];
    let big = "字".repeat(MAX_BODY_CHARS + 1);
    sheet.push(row(&[
        "ZS1",
        "低保申请",
        "办事指南",
        "县民政局",
        "",
        "",
        "",
        "",
        "",
        "正文",
    ]));
    sheet.push(row(&[
        "ZS1",
        "重复的编号",
        "办事指南",
        "县民政局",
        "",
        "",
        "",
        "",
        "",
        "正文",
    ]));
    sheet.push(row(&[
        "ZS2",
        "",
        "办事指南",
        "县民政局",
        "",
        "",
        "",
        "",
        "",
        "正文",
    ]));
    sheet.push(row(&[
        "ZS3",
        "太长",
        "办事指南",
        "县民政局",
        "",
        "",
        "",
        "",
        "",
        &big,
    ]));
    sheet.push(row(&[
        "ZS4",
        "类型错",
        "通知",
        "县民政局",
        "",
        "",
        "2026-13-01",
        "",
        "作废",
        "正文",
    ]));
    let problems: Vec<String> = read_sheet(ItemKind::Entry, &sheet)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    let joined = problems.join("\n");
    for want in [
        "知识条目第 3 行：编号 ZS1 与第 2 行重复",
        "知识条目第 4 行：缺少标题",
        "知识条目第 5 行：正文有 20001 字，超过 20000 字的上限",
        "知识条目第 6 行：状态“作废”应为“有效”或“废止”",
        "知识条目第 6 行：类型“通知”应为",
        "知识条目第 6 行：生效日期应为 YYYY-MM-DD 格式的日期",
    ] {
        assert!(joined.contains(want), "missing {want:?} in\n{joined}");
    }
    // A sheet without its key columns says which.
    let err = read_sheet(ItemKind::Entry, &[row(&["编号", "名称"])]).unwrap_err();
    assert!(
        err[0].to_string().contains("缺少列：标题、部门、正文"),
        "{}",
        err[0]
    );
}

#[test]
fn sheets_round_trip() {
    let task = GridTask {
        id: "SX001".into(),
        name: "独居老人走访".into(),
        department: "东海县民政局".into(),
        duty: "每月上门走访一次，了解身体和生活状况".into(),
        frequency: Frequency::Monthly,
        roles: vec![Role::FullTimeGridWorker, Role::GridChief],
        grid_kinds: vec![GridKind::Regular],
        forms: vec!["person".into()],
        categories: vec!["service.elderly".into()],
        basis: Some("ZS000001".into()),
        retired: false,
    };
    let e = entry(
        "ZS000001",
        "低保申请条件",
        "# 条件\n- 收入低于标准\n见[[ZS000002]]",
    );
    for (kind, headers, item) in [
        (ItemKind::Entry, &ENTRY_HEADERS[..], Item::Entry(e)),
        (ItemKind::Task, &TASK_HEADERS[..], Item::Task(task)),
    ] {
        let sheet = vec![row(headers), cells(&item)];
        assert_eq!(read_sheet(kind, &sheet).unwrap(), vec![item]);
    }
}

#[test]
fn a_set_refuses_links_to_missing_or_retired_entries() {
    let mut set = BTreeMap::new();
    let mut put = |item: Item| {
        set.insert((item.kind(), item.id().to_owned()), item);
    };
    put(Item::Entry(entry("A", "甲", "见[[B]]和[[C]]")));
    let mut b = entry("B", "乙", "正文");
    b.retired = true;
    put(Item::Entry(b));
    put(Item::Task(GridTask {
        id: "T1".into(),
        name: "巡查".into(),
        department: "县应急管理局".into(),
        duty: "巡查".into(),
        frequency: Frequency::Weekly,
        roles: vec![Role::Patroller],
        grid_kinds: vec![],
        forms: vec![],
        categories: vec![],
        basis: Some("Z".into()),
        retired: false,
    }));
    let problems: Vec<String> = set_problems(&set, None, None)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            "知识条目 A：正文链接到不存在或已废止的条目：B、C",
            "网格事项 T1：依据不存在或已废止的条目：Z"
        ]
    );
    // Only changed items are checked on their own; links always.
    let changed: HashSet<(ItemKind, String)> = HashSet::new();
    assert_eq!(set_problems(&set, Some(&changed), None).len(), 2);
}

#[test]
fn tasks_apply_by_role_and_grid_kind() {
    let mut t = GridTask {
        id: "T".into(),
        name: "企业安全巡查".into(),
        department: "县应急管理局".into(),
        duty: "查看".into(),
        frequency: Frequency::Weekly,
        roles: vec![Role::FullTimeGridWorker],
        grid_kinds: vec![GridKind::Enterprise],
        forms: vec![],
        categories: vec![],
        basis: None,
        retired: false,
    };
    assert!(t.applies_to(&[Role::FullTimeGridWorker], &[GridKind::Enterprise]));
    assert!(!t.applies_to(&[Role::FullTimeGridWorker], &[GridKind::Regular]));
    assert!(!t.applies_to(&[Role::Volunteer], &[GridKind::Enterprise]));
    t.grid_kinds.clear();
    assert!(t.applies_to(&[Role::FullTimeGridWorker], &[GridKind::Regular]));
    assert!(category_within("service.assistance.dibao", "service"));
    assert!(!category_within("services", "service"));
}
