//! Full-text search over records finds Chinese names and addresses, including
//! two-character names, and follows every edit and merge.

use fieldgrid_core::records::{Household, Incident, Person, RecordKind};
use fieldgrid_core::{FieldStore, SearchFilter};

const G1: &str = "320722104201001";
const G2: &str = "320722104202001";

fn store(dir: &tempfile::TempDir, name: &str) -> FieldStore {
    let s = FieldStore::open(dir.path().join(name)).unwrap();
    s.sign_in("cadre-liu");
    s
}

fn titles(store: &FieldStore, q: &str, filter: &SearchFilter) -> Vec<String> {
    let mut t: Vec<_> = store
        .search(q, filter, 50)
        .unwrap()
        .into_iter()
        .map(|h| h.title)
        .collect();
    t.sort();
    t
}

#[test]
fn two_character_names_and_addresses_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "a.sqlite");
    for (head, addr, grid) in [
        ("刘凤", "安峰镇安峰村12号", G1),
        ("刘凤英", "安峰镇山口村3号", G2),
        ("王凤", "安峰镇安峰村14号", G1),
        ("刘建国", "安峰镇北芹村7号", G2),
        ("凤刘", "安峰镇东湖村1号", G1),
    ] {
        s.create(&Household::new(grid, addr, head)).unwrap();
    }
    let all = SearchFilter::default();
    assert_eq!(
        titles(&s, "刘凤", &all),
        ["刘凤 · 安峰镇安峰村12号", "刘凤英 · 安峰镇山口村3号"]
    );
    assert_eq!(titles(&s, "刘凤英", &all), ["刘凤英 · 安峰镇山口村3号"]);
    assert_eq!(titles(&s, "凤", &all).len(), 4);
    assert_eq!(titles(&s, "安峰村", &all).len(), 2);
    // Several words must all match, in any order.
    assert_eq!(titles(&s, "安峰村 12号", &all), ["刘凤 · 安峰镇安峰村12号"]);
    assert_eq!(titles(&s, "12号 刘凤", &all), ["刘凤 · 安峰镇安峰村12号"]);
    assert!(titles(&s, "刘凤 北芹村", &all).is_empty());
    // Grid scoping and kinds.
    let g1 = SearchFilter {
        grid_codes: vec![G1.into()],
        ..Default::default()
    };
    assert_eq!(titles(&s, "刘凤", &g1), ["刘凤 · 安峰镇安峰村12号"]);
    let persons = SearchFilter {
        kinds: vec![RecordKind::Person],
        ..Default::default()
    };
    assert!(titles(&s, "刘凤", &persons).is_empty());
    // Queries with nothing searchable, or FTS syntax, find nothing and do not fail.
    for q in ["", "   ", "\"", "*", "AND OR NOT", "(", "刘凤\"*"] {
        let r = s.search(q, &all, 10);
        assert!(r.is_ok(), "query {q:?} failed: {r:?}");
    }
    assert_eq!(titles(&s, "刘凤\"*", &all).len(), 2);
}

#[test]
fn the_index_follows_edits_merges_and_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let a = store(&dir, "a.sqlite");
    let b = store(&dir, "b.sqlite");
    let all = SearchFilter::default();
    let id = a.create(&Household::new(G1, "安峰村12号", "刘凤")).unwrap();
    a.update::<Household>(&id, |h| h.head_name = "孙磊".into())
        .unwrap();
    assert!(titles(&a, "刘凤", &all).is_empty());
    assert_eq!(titles(&a, "孙磊", &all).len(), 1);

    let mut p = Person::new(G1, "赵桂兰");
    p.id_number = Some("320722195803120027".into());
    let pid = a.create(&p).unwrap();
    assert_eq!(a.search("桂兰", &all, 5).unwrap()[0].id, pid);
    // ID-card numbers are personal data and are not indexed.
    assert!(a.search("320722195803120027", &all, 5).unwrap().is_empty());

    let incident = Incident {
        grid_code: G1.into(),
        category: "dispute.neighbour".into(),
        description: "两户村民因宅基地界线发生纠纷".into(),
        location: None,
        reporter_id: "worker-1".into(),
        reported_at: 1_760_000_000,
        urgency: Default::default(),
        transitions: vec![],
        resident_id: None,
        satisfaction: None,
        photos: Vec::new(),
        channel: Default::default(),
        contact: None,
        address: None,
        ticket: None,
    };
    let iid = a.create(&incident).unwrap();
    let hits = a.search("宅基地 纠纷", &all, 5).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].id.as_str(), hits[0].kind),
        (iid.as_str(), RecordKind::Incident)
    );
    assert_eq!(a.search("dispute", &all, 5).unwrap().len(), 1);

    // Records received from another device are searchable there.
    for doc in a.documents().unwrap() {
        let bytes = a.changes_since(&doc.id, &[]).unwrap();
        b.apply_changes(doc.kind, &doc.id, &bytes).unwrap();
    }
    assert_eq!(titles(&b, "孙磊", &all).len(), 1);
    assert_eq!(titles(&b, "宅基地", &all).len(), 1);
}

/// Digits and Latin letters are matched with the characters beside them: a query
/// finds only addresses where it stands as written, and full-width input is the
/// same as half-width.
#[test]
fn mixed_han_and_digit_addresses_match_only_real_substrings() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "a.sqlite");
    for (head, addr) in [
        ("张伟", "山口村3组12号"),
        ("李娜", "山口村5组3号"),
        ("王芳", "山口村13组8号"),
        ("赵磊", "东湖村3组1号"),
        ("孙丽", "ＡＦ小区２栋"),
    ] {
        s.create(&Household::new(G1, addr, head)).unwrap();
    }
    let all = SearchFilter::default();
    assert_eq!(
        titles(&s, "3组", &all),
        ["张伟 · 山口村3组12号", "赵磊 · 东湖村3组1号"]
    );
    assert_eq!(titles(&s, "山口村3组", &all), ["张伟 · 山口村3组12号"]);
    assert_eq!(titles(&s, "３组", &all), titles(&s, "3组", &all));
    assert_eq!(titles(&s, "山口村３组", &all), ["张伟 · 山口村3组12号"]);
    assert_eq!(titles(&s, "3号", &all), ["李娜 · 山口村5组3号"]);
    assert_eq!(titles(&s, "13组", &all), ["王芳 · 山口村13组8号"]);
    // Written full-width in the record, found half-width, and the other way.
    assert_eq!(titles(&s, "AF小区2栋", &all), ["孙丽 · ＡＦ小区２栋"]);
    assert_eq!(titles(&s, "af", &all), ["孙丽 · ＡＦ小区２栋"]);
}
