//! The SQLite store against the demo province and hand-made rows.

use periclase_demo::Demo;
use periclase_domain::registries::{ENTERPRISES, ENTERPRISE_FIGURES, ENTERPRISE_HONOURS, POLICIES, PROJECTS};
use periclase_domain::{ImportItem, ImportOptions, RegistrySpec, Row, RowIssue, RowLocation, Value};
use periclase_store::{ImportOutcome, ListQuery, SqliteStore, Store, StoreError};

fn items(rows: Vec<Row>) -> impl Iterator<Item = ImportItem> {
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| ImportItem { location: RowLocation { sheet: None, row: i as u64 + 2 }, row: Ok(r) })
}

fn import(
    store: &SqliteStore,
    spec: &'static RegistrySpec,
    rows: Vec<Row>,
    opts: ImportOptions,
) -> (ImportOutcome, Vec<RowIssue>) {
    let mut issues = Vec::new();
    let out = store.import(spec, &mut items(rows), opts, &mut |i| issues.push(i), &mut |_| {}).unwrap();
    (out, issues)
}

fn demo_rows(demo: &Demo, spec: &RegistrySpec) -> Vec<Row> {
    let mut rows = Vec::new();
    demo.for_each(spec.id, &mut |r| rows.push(r));
    rows
}

fn demo_store(n: u64) -> (tempfile::TempDir, SqliteStore, Demo) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let demo = Demo::new(11, n);
    for spec in periclase_domain::registries::ALL {
        let (out, issues) = import(&store, spec, demo_rows(&demo, spec), ImportOptions::default());
        assert!(issues.is_empty() && out.committed, "{}: {issues:?}", spec.name);
    }
    (dir, store, demo)
}

#[test]
fn upserts_count_new_updated_unchanged_and_reimport_is_idempotent() {
    let (_dir, store, demo) = demo_store(60);
    let mut rows = demo_rows(&demo, &ENTERPRISES);
    let (out, _) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert_eq!((out.inserted, out.updated, out.unchanged), (0, 0, 60));
    rows[3][1] = Value::Text("改名示例有限公司".into());
    let (out, _) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert_eq!((out.inserted, out.updated, out.unchanged), (0, 1, 59));
    let key = rows[3][0].as_str().unwrap().to_lowercase();
    let got = store.get(&ENTERPRISES, &key, None).unwrap().expect("lower-case USCC finds the row");
    assert_eq!(got.row[1], Value::Text("改名示例有限公司".into()));
}

#[test]
fn all_or_nothing_partial_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let demo = Demo::new(3, 10);
    let good = demo_rows(&demo, &ENTERPRISES);
    let mut with_bad: Vec<ImportItem> = items(good.clone()).collect();
    with_bad.insert(
        4,
        ImportItem {
            location: RowLocation { sheet: Some("企业".into()), row: 99 },
            row: Err(vec![periclase_domain::FieldError::new(&ENTERPRISES.fields[0], "bad", "校验位错误")]),
        },
    );
    let run = |opts: ImportOptions| {
        let mut issues = Vec::new();
        let out = store
            .import(&ENTERPRISES, &mut with_bad.clone().into_iter(), opts, &mut |i| issues.push(i), &mut |_| {})
            .unwrap();
        (out, issues)
    };
    let (out, issues) = run(ImportOptions::default());
    assert!(!out.committed);
    assert_eq!(out.rejected, 1);
    assert_eq!(issues[0].location.row, 99);
    assert_eq!(issues[0].column.as_deref(), Some("统一社会信用代码"));
    assert_eq!(store.count(&ENTERPRISES).unwrap(), 0, "nothing written");

    let (out, _) = run(ImportOptions { dry_run: true, partial: true });
    assert_eq!((out.inserted, out.committed), (10, false));
    assert_eq!(store.count(&ENTERPRISES).unwrap(), 0, "a dry run writes nothing");

    let (out, _) = run(ImportOptions { partial: true, dry_run: false });
    assert!(out.committed);
    assert_eq!((out.inserted, out.rejected), (10, 1));
    assert_eq!(store.count(&ENTERPRISES).unwrap(), 10);
}

#[test]
fn references_must_exist_and_duplicates_in_a_file_are_rejected() {
    let (_dir, store, demo) = demo_store(20);
    let mut figs = demo_rows(&demo, &ENTERPRISE_FIGURES);
    figs.truncate(3);
    let orphan = periclase_domain::Uscc::complete("91210381999999990").unwrap().to_string();
    figs[1][0] = Value::Text(orphan.clone());
    figs.push(figs[0].clone());
    let (out, issues) = import(&store, &ENTERPRISE_FIGURES, figs, ImportOptions::default());
    assert!(!out.committed);
    assert_eq!(issues.len(), 2, "{issues:?}");
    assert!(issues[0].reason.contains(&orphan) && issues[0].reason.contains("企业库中没有"), "{}", issues[0].reason);
    assert_eq!(issues[1].location.row, 5);
    assert!(issues[1].reason.contains("与本文件第2行"), "{}", issues[1].reason);
}

#[test]
fn region_prefix_tier_keyword_and_year_filters() {
    let (_dir, store, demo) = demo_store(300);
    let all = demo_rows(&demo, &ENTERPRISES);
    let count = |q: ListQuery| store.list(&ENTERPRISES, &q).unwrap().total;
    let expect = |prefix: &str| all.iter().filter(|r| r[2].as_str().unwrap().starts_with(prefix)).count() as u64;
    assert_eq!(count(ListQuery { region: Some("2103".into()), ..Default::default() }), expect("2103"));
    assert_eq!(count(ListQuery { region: Some("210300".into()), ..Default::default() }), expect("2103"));
    assert_eq!(count(ListQuery { region: Some("21".into()), ..Default::default() }), expect("21"));
    assert_eq!(count(ListQuery { region: Some("210381".into()), ..Default::default() }), expect("210381"));
    assert!(expect("2103") > 0 && expect("2103") < 300);

    let honours = demo_rows(&demo, &ENTERPRISE_HONOURS);
    let high_tech: std::collections::HashSet<&str> =
        honours.iter().filter(|h| h[1] == Value::Text("high_tech".into())).map(|h| h[0].as_str().unwrap()).collect();
    assert!(!high_tech.is_empty());
    for tier in ["高新技术企业", "high_tech", "高新"] {
        assert_eq!(count(ListQuery { tier: Some(tier.into()), ..Default::default() }), high_tech.len() as u64);
    }
    let name_part = "示例";
    assert_eq!(count(ListQuery { q: Some(name_part.into()), ..Default::default() }), 300);
    assert_eq!(
        count(ListQuery { q: Some("100%_不存在".into()), ..Default::default() }),
        0,
        "LIKE wildcards are escaped"
    );
    let by_year =
        store.list(&ENTERPRISE_FIGURES, &ListQuery { year: Some(2023), limit: Some(5), ..Default::default() }).unwrap();
    assert!(by_year.records.iter().all(|r| r.row[1] == Value::Int(2023)));

    assert!(matches!(
        store.list(&ENTERPRISES, &ListQuery { region: Some("鞍山".into()), ..Default::default() }),
        Err(StoreError::BadQuery(_))
    ));
    assert!(matches!(
        store.list(&POLICIES, &ListQuery { tier: Some("高新".into()), ..Default::default() }),
        Err(StoreError::BadQuery(_))
    ));
}

#[test]
fn keyset_paging_visits_every_row_once() {
    let (_dir, store, _) = demo_store(250);
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(&ENTERPRISES, &ListQuery { after, limit: Some(40), ..Default::default() }).unwrap();
        assert_eq!(page.total, 250);
        seen.extend(page.records.iter().map(|r| r.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 250);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn children_and_composite_keys() {
    let (_dir, store, demo) = demo_store(40);
    let e = demo.enterprise(0);
    let rec = store.get(&ENTERPRISES, &e.uscc, None).unwrap().unwrap();
    let figures = store.children(&ENTERPRISES, rec.id, &ENTERPRISE_FIGURES).unwrap();
    assert!(!figures.is_empty());
    assert!(figures.iter().all(|f| f.row[0] == Value::Text(e.uscc.clone())));
    // Composite-key registries are fetched by row id.
    let one = store.get(&ENTERPRISE_FIGURES, &figures[0].id.to_string(), None).unwrap().unwrap();
    assert_eq!(one, figures[0]);
    assert!(store.get(&PROJECTS, "no-such-project", None).unwrap().is_none());
}

#[test]
fn bulk_load_rebuilds_indexes_and_a_failed_one_leaves_them_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let before = store.index_names("enterprise").unwrap();
    assert_eq!(before, ["enterprise_industry", "enterprise_key", "enterprise_region"]);
    let demo = Demo::new(9, 30);
    let mut rows = demo_rows(&demo, &ENTERPRISES);
    rows.push(rows[0].clone());
    let (out, issues) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert!(!out.committed && issues.len() == 1);
    assert_eq!(store.index_names("enterprise").unwrap(), before, "rollback restores dropped indexes");
    rows.pop();
    let (out, _) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert!(out.committed);
    assert_eq!(store.index_names("enterprise").unwrap(), before, "bulk load rebuilds them");
    // The natural key is enforced again: the next import upserts instead of duplicating.
    let (out, _) = import(&store, &ENTERPRISES, rows, ImportOptions::default());
    assert_eq!((out.inserted, out.unchanged), (0, 30));
    assert_eq!(store.count(&ENTERPRISES).unwrap(), 30);
}
