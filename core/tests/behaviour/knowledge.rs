//! The knowledge base on the phone through the public API: a download taken page
//! by page and applied whole, search quality (two-character terms, department
//! names, mixed Han and digits, retired entries gone, title matches first),
//! browsing, guidance for an incident category, and the signed-in person's
//! grid tasks.

use fieldgrid_core::FieldStore;
use fieldgrid_core::knowledge::views::KnowledgeFilter;
use fieldgrid_core::knowledge::{Entry, EntryKind, Frequency, GridTask, Item, Revision};
use fieldgrid_core::org::Role;
use fieldgrid_core::org::demo::demo_county;
use fieldgrid_core::protocol::KnowledgePage;

fn entry(id: &str, title: &str, body: &str, department: &str) -> Entry {
    Entry {
        id: id.into(),
        kind: EntryKind::Guide,
        title: title.into(),
        body: body.into(),
        department: department.into(),
        tags: vec!["社会救助".into()],
        categories: vec![],
        valid_from: None,
        valid_to: None,
        retired: false,
    }
}

fn rev(version: u64, item: Item) -> Revision {
    Revision {
        version,
        author: "admin:test".into(),
        at: 1_764_000_000,
        item,
    }
}

/// Pages of `size` over `items` (sorted as the server sends them).
fn pages(since: u64, to: u64, mut items: Vec<Revision>, size: usize) -> Vec<KnowledgePage> {
    items.sort_by(|a, b| {
        (a.item.kind(), a.item.id().to_owned()).cmp(&(b.item.kind(), b.item.id().to_owned()))
    });
    let total = items.len() as u64;
    let chunks: Vec<Vec<Revision>> = items.chunks(size).map(<[Revision]>::to_vec).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, items)| KnowledgePage {
            since,
            to,
            next: (i + 1 < n).then(|| {
                let last = items.last().unwrap();
                KnowledgePage::cursor(last.item.kind(), last.item.id())
            }),
            items,
            total: if i == 0 { total } else { 0 },
        })
        .collect()
}

fn titles(store: &FieldStore, q: &str) -> Vec<String> {
    store
        .search_knowledge(q, &KnowledgeFilter::default(), 20)
        .unwrap()
        .into_iter()
        .map(|h| h.entry.title)
        .collect()
}

fn base_set() -> Vec<Revision> {
    let mut dibao = entry(
        "ZS1",
        "低保（最低生活保障）办理指南",
        "# 适用对象\n家庭人均收入低于当地低保标准的本县户籍家庭。\n# 所需材料\n- 户口簿\n- 身份证",
        "东海县民政局",
    );
    dibao.categories = vec!["service.assistance".into()];
    let mut elderly = entry(
        "ZS2",
        "高龄津贴办理指南",
        "年满80周岁的本县户籍老年人可以申领。申领后每月发放，低保家庭老人同样可以申领。",
        "东海县民政局",
    );
    elderly.kind = EntryKind::Faq;
    let mut group = entry(
        "ZS3",
        "13组道路维修",
        "山口村13组道路破损，已报县交通运输局。",
        "东海县交通运输局",
    );
    group.tags = vec!["农村公路".into()];
    let mut expired = entry(
        "ZS4",
        "2025年低保提标政策解读",
        "2025年低保标准提高。",
        "东海县民政局",
    );
    expired.valid_to = Some("2025-12-31".into());
    let guide_link = entry(
        "ZS5",
        "临时救助常见问题",
        "遇到突发困难可申请临时救助，不符合低保条件的也可以申请。详见[[ZS1|低保指南]]。",
        "东海县民政局",
    );
    let task = GridTask {
        id: "SX1".into(),
        name: "困难家庭走访".into(),
        department: "东海县民政局".into(),
        duty: "每月走访低保和特困家庭".into(),
        frequency: Frequency::Monthly,
        roles: vec![Role::FullTimeGridWorker],
        grid_kinds: vec![],
        forms: vec!["household".into()],
        categories: vec!["service.assistance".into()],
        basis: Some("ZS1".into()),
        retired: false,
    };
    let enterprise = GridTask {
        id: "SX2".into(),
        name: "企业安全巡查".into(),
        department: "东海县应急管理局".into(),
        duty: "巡查企业".into(),
        frequency: Frequency::Weekly,
        roles: vec![Role::FullTimeGridWorker],
        grid_kinds: vec![fieldgrid_core::org::GridKind::Enterprise],
        forms: vec![],
        categories: vec![],
        basis: None,
        retired: false,
    };
    [dibao, elderly, group, expired, guide_link]
        .into_iter()
        .map(|e| rev(1, Item::Entry(e)))
        .chain([task, enterprise].map(|t| rev(1, Item::Task(t))))
        .collect()
}

fn store() -> (tempfile::TempDir, FieldStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
    store.import_org_tree(&demo_county()).unwrap();
    store.sign_in("worker-320722104201001");
    (dir, store)
}

#[test]
fn search_finds_chinese_terms_title_first_and_hides_what_is_not_in_force() {
    let (_dir, store) = store();
    for page in pages(0, 1, base_set(), 100) {
        store.take_knowledge_page(&page).unwrap();
    }
    // A two-character term: the title match first, then the bodies; the expired
    // policy is not shown.
    let found = titles(&store, "低保");
    assert_eq!(found[0], "低保（最低生活保障）办理指南");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(!found.iter().any(|t| t.starts_with("2025")));
    let hits = store
        .search_knowledge("低保", &KnowledgeFilter::default(), 20)
        .unwrap();
    assert!(hits[0].in_title && !hits[1].in_title);
    // The passage shows where the body matched, marked.
    let chars: Vec<char> = hits[1].passage.chars().collect();
    let [a, b] = hits[1].marks[0];
    assert_eq!(
        chars[a as usize..b as usize].iter().collect::<String>(),
        "低保"
    );
    // A department's name finds its entries.
    assert_eq!(titles(&store, "交通运输局"), ["13组道路维修"]);
    assert_eq!(titles(&store, "东海县民政局").len(), 3);
    // Han and digits together: 80周岁 is found; 3组 is not 13组.
    assert_eq!(titles(&store, "80周岁"), ["高龄津贴办理指南"]);
    assert_eq!(titles(&store, "13组"), ["13组道路维修"]);
    assert!(titles(&store, "3组").is_empty());
    // Full width is the same text; nothing searchable finds nothing.
    assert_eq!(titles(&store, "８０周岁"), ["高龄津贴办理指南"]);
    assert!(titles(&store, " *\"( ").is_empty());
    // Filters narrow.
    let faq = KnowledgeFilter {
        kind: Some(EntryKind::Faq),
        ..Default::default()
    };
    let hits = store.search_knowledge("低保", &faq, 20).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].entry.title, "高龄津贴办理指南");

    // Browse, guidance, tasks.
    let departments = store.knowledge_departments().unwrap();
    assert_eq!(
        departments
            .iter()
            .map(|d| (d.name.as_str(), d.count))
            .collect::<Vec<_>>(),
        [("东海县交通运输局", 1), ("东海县民政局", 3)]
    );
    let guidance = store
        .knowledge_guidance("service.assistance.dibao")
        .unwrap();
    assert_eq!(guidance[0].title, "低保（最低生活保障）办理指南");
    let view = store.knowledge_entry("ZS5").unwrap().unwrap();
    assert_eq!(
        view.links[0].title.as_deref(),
        Some("低保（最低生活保障）办理指南")
    );
    let view = store.knowledge_entry("ZS1").unwrap().unwrap();
    assert_eq!(view.tasks, [("SX1".to_owned(), "困难家庭走访".to_owned())]);
    assert_eq!(view.blocks.len(), 5);
    assert!(!store.knowledge_entry("ZS4").unwrap().unwrap().in_force);
    // The worker's regular grid: the enterprise grid's task is not theirs.
    let mine: Vec<String> = store
        .my_grid_tasks()
        .unwrap()
        .into_iter()
        .map(|t| t.task.id)
        .collect();
    assert_eq!(mine, ["SX1"]);
}

#[test]
fn a_download_is_applied_whole_and_resumes_where_it_stopped() {
    let (_dir, store) = store();
    for page in pages(0, 1, base_set(), 100) {
        assert!(store.take_knowledge_page(&page).unwrap());
    }
    assert_eq!(store.knowledge_version().unwrap(), Some(1));
    // Version 2 changes ZS1's title, retires ZS2 and ZS3, adds ZS6: three pages.
    let mut changed = match base_set().remove(0).item {
        Item::Entry(e) => e,
        Item::Task(_) => unreachable!(),
    };
    changed.title = "城乡低保办理指南".into();
    let mut retired = Vec::new();
    for r in base_set().into_iter().skip(1).take(2) {
        if let Item::Entry(mut e) = r.item {
            e.retired = true;
            retired.push(rev(2, Item::Entry(e)));
        }
    }
    let added = entry(
        "ZS6",
        "低保年审须知",
        "每年复核一次低保家庭。",
        "东海县民政局",
    );
    let mut delta = vec![rev(2, Item::Entry(changed)), rev(2, Item::Entry(added))];
    delta.extend(retired);
    let delta = pages(1, 2, delta, 2);
    assert_eq!(delta.len(), 2);
    assert!(!store.take_knowledge_page(&delta[0]).unwrap());
    // Half way: the phone still shows version 1 exactly.
    assert_eq!(titles(&store, "低保")[0], "低保（最低生活保障）办理指南");
    assert!(store.knowledge_entry("ZS2").unwrap().is_some());
    assert!(store.knowledge_entry("ZS6").unwrap().is_none());
    let status = store.knowledge_status().unwrap();
    assert_eq!(
        (
            status.version,
            status.downloading_to,
            status.download_fetched,
            status.download_total
        ),
        (Some(1), Some(2), 2, 4)
    );
    // A page of another download, or the same page again, is refused.
    let other = KnowledgePage {
        since: 1,
        to: 3,
        items: vec![],
        next: None,
        total: 0,
    };
    assert!(store.take_knowledge_page(&other).is_err());
    assert!(store.take_knowledge_page(&delta[0]).is_err());
    // The rest applies it all at once.
    assert!(store.take_knowledge_page(&delta[1]).unwrap());
    assert_eq!(store.knowledge_version().unwrap(), Some(2));
    let mut first: Vec<String> = titles(&store, "低保")[..2].to_vec();
    first.sort();
    assert_eq!(first, ["低保年审须知", "城乡低保办理指南"]);
    assert!(store.knowledge_entry("ZS2").unwrap().is_none());
    assert!(
        titles(&store, "13组").is_empty(),
        "retired entries are gone"
    );
    assert_eq!(store.knowledge_status().unwrap().downloading_to, None);
    assert!(store.integrity_check().unwrap().is_empty());
}
