//! The SQLite store against the demo province and hand-made rows; the PostgreSQL store
//! beside it (`store/postgres.rs`).

#[path = "store/postgres.rs"]
mod postgres_store;

use periclase_demo::Demo;
use periclase_domain::registries::{DEMANDS, ENTERPRISES, ENTERPRISE_FIGURES, ENTERPRISE_HONOURS, POLICIES, PROJECTS};
use periclase_domain::{registries, ImportItem, ImportOptions, RegistrySpec, Row, RowIssue, RowLocation, Scope, Value};
use periclase_store::prelude::*;
use periclase_store::Store;
use periclase_store::{
    Actor, AuditQuery, Channel, ImportContext, ImportOutcome, ListQuery, QualityIssue, SaveMode, Sort, SqliteStore,
    StoreError,
};

fn items(rows: Vec<Row>) -> impl Iterator<Item = ImportItem> {
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| ImportItem { location: RowLocation { sheet: None, row: i as u64 + 2 }, row: Ok(r) })
}

fn import(
    store: &dyn Store,
    spec: &'static RegistrySpec,
    rows: Vec<Row>,
    opts: ImportOptions,
) -> (ImportOutcome, Vec<RowIssue>) {
    let mut issues = Vec::new();
    let actor = Actor::new("test", Channel::Cli);
    let ctx = ImportContext { opts, actor: &actor, scope: None, source: None };
    let out = store.import(spec, &mut items(rows), &ctx, &mut |i| issues.push(i), &mut |_| {}).unwrap();
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
    let demo = load_demo(&store, n);
    (dir, store, demo)
}

/// The demo province with `n` enterprises, every registry, loaded into `store`.
fn load_demo(store: &dyn Store, n: u64) -> Demo {
    let demo = Demo::new(11, n);
    for spec in periclase_domain::registries::ALL {
        let (out, issues) = import(store, spec, demo_rows(&demo, spec), ImportOptions::default());
        assert!(issues.is_empty() && out.committed, "{}: {issues:?}", spec.name);
    }
    demo
}

/// What both stores implement and these tests use.
trait BothStores: Store + periclase_store::Declarations {}

impl<T: Store + periclase_store::Declarations> BothStores for T {}

/// Runs `test` on a new, empty store of each kind: SQLite, then PostgreSQL (a database of
/// its own on the test server). The same test, the other store.
fn each_store(test: impl Fn(&dyn BothStores)) {
    let dir = tempfile::tempdir().unwrap();
    let lite = SqliteStore::open(dir.path().join("t.db")).unwrap();
    eprintln!("— on SQLite");
    test(&lite);
    let db = periclase_store::testing::PgDatabase::new();
    let pg = periclase_store::PgStore::open(&db.params).unwrap();
    eprintln!("— on PostgreSQL");
    test(&pg);
}

#[test]
fn upserts_count_new_updated_unchanged_and_reimport_is_idempotent() {
    each_store(|store| {
        let demo = load_demo(store, 60);
        let mut rows = demo_rows(&demo, &ENTERPRISES);
        let (out, _) = import(store, &ENTERPRISES, rows.clone(), ImportOptions::default());
        assert_eq!((out.inserted, out.updated, out.unchanged), (0, 0, 60));
        rows[3][1] = Value::Text("改名示例有限公司".into());
        let (out, _) = import(store, &ENTERPRISES, rows.clone(), ImportOptions::default());
        assert_eq!((out.inserted, out.updated, out.unchanged), (0, 1, 59));
        let key = rows[3][0].as_str().unwrap().to_lowercase();
        let got = store.get(&ENTERPRISES, &key, None).unwrap().expect("lower-case USCC finds the row");
        assert_eq!(got.row[1], Value::Text("改名示例有限公司".into()));
    });
}

#[test]
fn all_or_nothing_partial_and_dry_run() {
    each_store(|store| {
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
                .import(
                    &ENTERPRISES,
                    &mut with_bad.clone().into_iter(),
                    &ImportContext { opts, actor: &Actor::new("test", Channel::Cli), scope: None, source: None },
                    &mut |i| issues.push(i),
                    &mut |_| {},
                )
                .unwrap();
            (out, issues)
        };
        let (out, issues) = run(ImportOptions::default());
        assert!(!out.committed);
        assert_eq!(out.rejected, 1);
        assert_eq!(issues[0].location.row, 99);
        assert_eq!(issues[0].column.as_deref(), Some("统一社会信用代码"));
        assert_eq!(store.count(&ENTERPRISES, &ListQuery::default()).unwrap(), 0, "nothing written");

        let (out, _) = run(ImportOptions { dry_run: true, partial: true });
        assert_eq!((out.inserted, out.committed), (10, false));
        assert_eq!(store.count(&ENTERPRISES, &ListQuery::default()).unwrap(), 0, "a dry run writes nothing");

        let (out, _) = run(ImportOptions { partial: true, dry_run: false });
        assert!(out.committed);
        assert_eq!((out.inserted, out.rejected), (10, 1));
        assert_eq!(store.count(&ENTERPRISES, &ListQuery::default()).unwrap(), 10);
    });
}

#[test]
fn references_must_exist_and_duplicates_in_a_file_are_rejected() {
    each_store(|store| {
        let demo = load_demo(store, 20);
        let mut figs = demo_rows(&demo, &ENTERPRISE_FIGURES);
        figs.truncate(3);
        let orphan = periclase_domain::Uscc::complete("91210381999999990").unwrap().to_string();
        figs[1][0] = Value::Text(orphan.clone());
        figs.push(figs[0].clone());
        let (out, issues) = import(store, &ENTERPRISE_FIGURES, figs, ImportOptions::default());
        assert!(!out.committed);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert!(
            issues[0].reason.contains(&orphan) && issues[0].reason.contains("企业库中没有"),
            "{}",
            issues[0].reason
        );
        assert_eq!(issues[1].location.row, 5);
        assert!(issues[1].reason.contains("与本文件第2行"), "{}", issues[1].reason);
    });
}

#[test]
fn region_prefix_tier_keyword_and_year_filters() {
    each_store(|store| {
        let demo = load_demo(store, 300);
        let all = demo_rows(&demo, &ENTERPRISES);
        let count = |q: ListQuery| store.list(&ENTERPRISES, &q).unwrap().total;
        let expect = |prefix: &str| all.iter().filter(|r| r[2].as_str().unwrap().starts_with(prefix)).count() as u64;
        assert_eq!(count(ListQuery { region: Some("2103".into()), ..Default::default() }), expect("2103"));
        assert_eq!(count(ListQuery { region: Some("210300".into()), ..Default::default() }), expect("2103"));
        assert_eq!(count(ListQuery { region: Some("21".into()), ..Default::default() }), expect("21"));
        assert_eq!(count(ListQuery { region: Some("210381".into()), ..Default::default() }), expect("210381"));
        assert!(expect("2103") > 0 && expect("2103") < 300);

        let honours = demo_rows(&demo, &ENTERPRISE_HONOURS);
        let high_tech: std::collections::HashSet<&str> = honours
            .iter()
            .filter(|h| h[1] == Value::Text("high_tech".into()))
            .map(|h| h[0].as_str().unwrap())
            .collect();
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
        let by_year = store
            .list(&ENTERPRISE_FIGURES, &ListQuery { year: Some(2023), limit: Some(5), ..Default::default() })
            .unwrap();
        assert!(by_year.records.iter().all(|r| r.row[1] == Value::Int(2023)));

        assert!(matches!(
            store.list(&ENTERPRISES, &ListQuery { region: Some("鞍山".into()), ..Default::default() }),
            Err(StoreError::BadQuery(_))
        ));
        assert!(matches!(
            store.list(&POLICIES, &ListQuery { tier: Some("高新".into()), ..Default::default() }),
            Err(StoreError::BadQuery(_))
        ));
    });
}

#[test]
fn keyset_paging_visits_every_row_once() {
    each_store(|store| {
        load_demo(store, 250);
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
    });
}

#[test]
fn children_and_composite_keys() {
    each_store(|store| {
        let demo = load_demo(store, 40);
        let e = demo.enterprise(0);
        let rec = store.get(&ENTERPRISES, &e.uscc, None).unwrap().unwrap();
        let figures = store.children(&ENTERPRISES, rec.id, &ENTERPRISE_FIGURES).unwrap();
        assert!(!figures.is_empty());
        assert!(figures.iter().all(|f| f.row[0] == Value::Text(e.uscc.clone())));
        // Composite-key registries are fetched by row id.
        let one = store.get(&ENTERPRISE_FIGURES, &figures[0].id.to_string(), None).unwrap().unwrap();
        assert_eq!(one, figures[0]);
        assert!(store.get(&PROJECTS, "no-such-project", None).unwrap().is_none());
    });
}

#[test]
fn bulk_load_rebuilds_indexes_and_a_failed_one_leaves_them_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let before = store.index_names("enterprise").unwrap();
    assert_eq!(before, ["enterprise_industry", "enterprise_key", "enterprise_region_name", "enterprise_updated"]);
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    let triggers = || -> Vec<String> {
        let mut st = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let triggers_before = triggers();
    assert!(triggers_before.contains(&"enterprise_tally_insert".to_string()));
    let demo = Demo::new(9, 30);
    let mut rows = demo_rows(&demo, &ENTERPRISES);
    rows.push(rows[0].clone());
    let (out, issues) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert!(!out.committed && issues.len() == 1);
    assert_eq!(store.index_names("enterprise").unwrap(), before, "rollback restores dropped indexes");
    assert_eq!(triggers(), triggers_before, "and the tally trigger");
    rows.pop();
    let (out, _) = import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    assert!(out.committed);
    assert_eq!(store.index_names("enterprise").unwrap(), before, "bulk load rebuilds them");
    assert_eq!(triggers(), triggers_before, "and restores the tally trigger");
    assert_eq!(store.list(&ENTERPRISES, &ListQuery::default()).unwrap().total, 30, "counted by the bulk load");
    // The natural key is enforced again: the next import upserts instead of duplicating.
    let (out, _) = import(&store, &ENTERPRISES, rows, ImportOptions::default());
    assert_eq!((out.inserted, out.unchanged), (0, 30));
    assert_eq!(store.count(&ENTERPRISES, &ListQuery::default()).unwrap(), 30);
}

fn official() -> periclase_domain::Scope {
    periclase_domain::Scope::Region("210381".into())
}

#[test]
fn single_record_writes_are_scoped_and_audited() {
    each_store(|store| {
        use periclase_domain::Scope;
        use periclase_store::{AuditQuery, SaveMode, SaveOutcome};
        let demo = load_demo(store, 200);
        let actor = Actor::new("haicheng", Channel::Api);
        let mine = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
        let theirs = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();

        let rec = store.get(&ENTERPRISES, &mine.uscc, None).unwrap().unwrap();
        let update = SaveMode::Update { id: rec.id };
        let mut row = rec.row;
        assert_eq!(store.save(&ENTERPRISES, &row, update, &actor, &official()).unwrap(), SaveOutcome::Unchanged);
        row[3] = Value::Text("辽宁省鞍山市海城市示例新路1号".into());
        assert_eq!(store.save(&ENTERPRISES, &row, update, &actor, &official()).unwrap(), SaveOutcome::Updated);
        assert!(matches!(
            store.save(&ENTERPRISES, &row, SaveMode::Create, &actor, &official()),
            Err(StoreError::Conflict(_))
        ));

        // Moving one's own enterprise out of one's county is refused, and nothing changes.
        let mut moved = row.clone();
        moved[2] = Value::Text("210882".into());
        assert!(matches!(store.save(&ENTERPRISES, &moved, update, &actor, &official()), Err(StoreError::Forbidden(_))));
        assert_eq!(store.get(&ENTERPRISES, &mine.uscc, None).unwrap().unwrap().row, row);

        // Another county's enterprise looks absent.
        let other = store.get(&ENTERPRISES, &theirs.uscc, None).unwrap().unwrap();
        let their_update = SaveMode::Update { id: other.id };
        assert!(matches!(
            store.save(&ENTERPRISES, &other.row, their_update, &actor, &official()),
            Err(StoreError::NotFound(_))
        ));
        // Renaming one's record to another record's key is a conflict.
        let mut clash = row.clone();
        clash[0] = other.row[0].clone();
        assert!(matches!(store.save(&ENTERPRISES, &clash, update, &actor, &official()), Err(StoreError::Conflict(_))));
        assert!(!store.delete(&ENTERPRISES, &theirs.uscc, &actor, &official()).unwrap());

        // A child row needs its parent.
        let orphan = vec![
            Value::Text(periclase_domain::Uscc::complete("91210381999999990").unwrap().to_string()),
            Value::Int(2024),
            Value::Text("revenue".into()),
            Value::Real(1.0),
            Value::Text("统计局".into()),
            Value::Text("2025-04-30".into()),
        ];
        assert!(matches!(
            store.save(&ENTERPRISE_FIGURES, &orphan, SaveMode::Create, &actor, &Scope::All),
            Err(StoreError::Invalid(_))
        ));

        let trail = store.audit(&AuditQuery { record_key: Some(mine.uscc.clone()), ..Default::default() }).unwrap();
        assert_eq!(trail.len(), 1, "unchanged saves and refused ones leave no entry: {trail:?}");
        assert_eq!(
            (trail[0].actor.as_str(), trail[0].channel.as_str(), trail[0].action.as_str()),
            ("haicheng", "api", "update")
        );
        assert!(trail[0].before.as_ref().unwrap().contains("示例工业园"));
        assert!(trail[0].after.as_ref().unwrap().contains("示例新路1号"));

        assert!(store.delete(&ENTERPRISES, &mine.uscc, &actor, &official()).unwrap());
        assert!(store.get(&ENTERPRISES, &mine.uscc, None).unwrap().is_none());
        let trail = store.audit(&AuditQuery { record_key: Some(mine.uscc.clone()), ..Default::default() }).unwrap();
        assert_eq!(trail[0].action, "delete");
        assert!(trail[0].before.as_ref().unwrap().contains("示例新路1号") && trail[0].after.is_none());
    });
}

#[test]
fn audit_rows_cannot_be_changed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    let demo = Demo::new(2, 5);
    import(&store, &ENTERPRISES, demo_rows(&demo, &ENTERPRISES), ImportOptions::default());
    let raw = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = raw.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert!(n >= 1);
    let e = raw.execute("UPDATE audit_log SET actor = 'someone else'", []).unwrap_err();
    assert!(e.to_string().contains("审计记录不可修改"), "{e}");
    let e = raw.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(e.to_string().contains("审计记录不可删除"), "{e}");
}

#[test]
fn imports_are_audited_row_by_row_unless_loading_an_empty_table() {
    use periclase_store::AuditQuery;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let demo = Demo::new(4, 12);
    let mut rows = demo_rows(&demo, &ENTERPRISES);
    import(&store, &ENTERPRISES, rows[..10].to_vec(), ImportOptions::default());
    let first = store.audit(&AuditQuery::default()).unwrap();
    assert_eq!(first.len(), 1, "a bulk load into an empty table is one entry");
    assert!(first[0].note.as_ref().unwrap().contains("新增 10"), "{:?}", first[0].note);
    rows[0][1] = Value::Text("改名示例有限公司".into());
    import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    let trail = store.audit(&AuditQuery { registry: Some("enterprises".into()), ..Default::default() }).unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "insert").count(), 2);
    assert_eq!(actions.iter().filter(|a| **a == "update").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "import").count(), 2);
    let update = trail.iter().find(|e| e.action == "update").unwrap();
    assert!(update.after.as_ref().unwrap().contains("改名示例有限公司"));
}

#[test]
fn scoped_imports_touch_only_the_importers_rows() {
    each_store(|store| {
        let demo = load_demo(store, 120);
        let scope = official();
        let mut rows = demo_rows(&demo, &ENTERPRISES);
        let mine = rows.iter().position(|r| r[2] == Value::Text("210381".into())).unwrap();
        let theirs = rows.iter().position(|r| r[2] == Value::Text("210882".into())).unwrap();
        rows[mine][1] = Value::Text("海城改名示例有限公司".into());
        rows[theirs][1] = Value::Text("越权改名示例有限公司".into());
        let subset = vec![rows[mine].clone(), rows[theirs].clone()];
        let actor = Actor::new("haicheng", Channel::Ui);
        let run = |partial: bool| {
            let ctx = ImportContext {
                opts: ImportOptions { partial, dry_run: false },
                actor: &actor,
                scope: Some(&scope),
                source: None,
            };
            let mut issues = Vec::new();
            let out = store
                .import(&ENTERPRISES, &mut items(subset.clone()), &ctx, &mut |i| issues.push(i), &mut |_| {})
                .unwrap();
            (out, issues)
        };
        let (out, issues) = run(false);
        assert!(!out.committed);
        assert!(issues[0].reason.contains("不在本账号可修改的范围内"), "{issues:?}");
        let (out, _) = run(true);
        assert_eq!((out.updated, out.rejected, out.committed), (1, 1, true));
        let name =
            |i: usize| store.get(&ENTERPRISES, rows[i][0].as_str().unwrap(), None).unwrap().unwrap().row[1].clone();
        assert_eq!(name(mine), Value::Text("海城改名示例有限公司".into()));
        assert_ne!(name(theirs), Value::Text("越权改名示例有限公司".into()));
    });
}

#[test]
fn monitored_measures_follow_the_registries() {
    use periclase_domain::Measure;
    let (_dir, store, demo) = demo_store(300);
    let revenue = Measure::FigureSum { metric: "revenue".into(), industries: vec!["C3217".into()], divisor: 10000.0 };
    let series = store.measure_series(&revenue, "34").unwrap();
    let expected_2023: f64 = (0..300)
        .map(|i| demo.enterprise(i))
        .filter(|e| e.region().starts_with("34") && e.node.industry == "C3217")
        .map(|e| e.revenue_in(2023))
        .sum::<f64>();
    let got_2023 = series.iter().find(|(y, _)| *y == 2023).map(|(_, v)| *v * 10000.0).unwrap_or(0.0);
    // Some figures are deliberately unreported in the demo: the sum can only be lower.
    assert!(got_2023 > 0.0 && got_2023 <= expected_2023 + 1e-6, "{got_2023} vs {expected_2023}");

    let honours = Measure::HonourCount { honours: vec!["high_tech".into()] };
    let counts = store.measure_series(&honours, "21").unwrap();
    assert!(
        counts.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].0 == w[0].0 + 1),
        "cumulative by consecutive year: {counts:?}"
    );
    let listed = store
        .list(
            &ENTERPRISES,
            &ListQuery { region: Some("21".into()), tier: Some("high_tech".into()), ..Default::default() },
        )
        .unwrap()
        .total as f64;
    assert_eq!(counts.last().unwrap().1, listed);
}

#[test]
fn large_ranges_page_in_id_order_and_totals_follow_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let demo = Demo::new(21, 9000);
    let rows = demo_rows(&demo, &ENTERPRISES);
    import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    let in_21 = rows.iter().filter(|r| r[2].as_str().unwrap().starts_with("21")).count();
    assert!(in_21 > 5_000, "the province range is large enough to take the id-order plan: {in_21}");
    let mut seen = 0;
    let mut after = None;
    let mut last = 0;
    loop {
        let q = ListQuery { region: Some("21".into()), after, limit: Some(500), ..Default::default() };
        let page = store.list(&ENTERPRISES, &q).unwrap();
        assert_eq!(page.total, in_21 as u64);
        for r in &page.records {
            assert!(r.id > last && r.row[2].as_str().unwrap().starts_with("21"));
            last = r.id;
        }
        seen += page.records.len();
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, in_21);

    // Sorted by name over the province: counties' ordered runs merged, page after page.
    for text in ["name", "-name"] {
        let sort = Sort::parse(&ENTERPRISES, text).unwrap();
        let q = ListQuery { region: Some("21".into()), sort, ..Default::default() };
        let mut after = None;
        let mut got: Vec<(String, i64)> = Vec::new();
        loop {
            let page = store.list(&ENTERPRISES, &ListQuery { after, limit: Some(700), ..q.clone() }).unwrap();
            got.extend(page.records.iter().map(|r| (r.row[1].to_string(), r.id)));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut expected = got.clone();
        expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
        if text == "-name" {
            expected.reverse();
        }
        assert_eq!(got.len(), in_21, "{text}");
        assert!(got == expected, "{text}: merged pages are in order");
    }

    // A cached total is dropped by a write.
    let county = ListQuery { region: Some("210381".into()), ..Default::default() };
    let before = store.list(&ENTERPRISES, &county).unwrap().total;
    let mut new = rows[0].clone();
    new[0] = Value::Text(periclase_domain::Uscc::complete("91210381MA0000777").unwrap().to_string());
    new[2] = Value::Text("210381".into());
    let actor = Actor::new("t", Channel::Api);
    store.save(&ENTERPRISES, &new, periclase_store::SaveMode::Create, &actor, &periclase_domain::Scope::All).unwrap();
    assert_eq!(store.list(&ENTERPRISES, &county).unwrap().total, before + 1);
}

/// Every page of `query`, followed cursor by cursor.
fn all_pages(store: &dyn Store, spec: &'static RegistrySpec, query: ListQuery) -> Vec<periclase_store::Record> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(spec, &ListQuery { after, limit: Some(7), ..query.clone() }).unwrap();
        seen.extend(page.records);
        match page.next {
            Some(n) => after = Some(n),
            None => return seen,
        }
    }
}

#[test]
fn sorted_keyset_paging_keeps_order_and_visits_every_row_once_even_with_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let mut rows = demo_rows(&Demo::new(5, 45), &ENTERPRISES);
    let founded = ENTERPRISES.index_of("founded").unwrap();
    for (i, r) in rows.iter_mut().enumerate() {
        if i % 4 == 0 {
            r[founded] = Value::Null;
        }
        if i % 5 == 0 {
            r[1] = Value::Text("示例同名有限公司".into()); // ties on the sort value go by id
        }
    }
    import(&store, &ENTERPRISES, rows, ImportOptions::default());
    for text in ["name", "-name", "founded", "-founded", "-updated", "-id", "uscc"] {
        let sort = Sort::parse(&ENTERPRISES, text).unwrap();
        let got = all_pages(&store, &ENTERPRISES, ListQuery { sort, ..Default::default() });
        let mut expected = all_pages(&store, &ENTERPRISES, ListQuery::default());
        let key = |r: &periclase_store::Record| match text.trim_start_matches('-') {
            "id" | "updated" => (true, String::new()),
            k => {
                let v = &r.row[ENTERPRISES.index_of(k).unwrap()];
                (!v.is_null(), v.to_string())
            }
        };
        expected.sort_by(|a, b| key(a).cmp(&key(b)).then(a.id.cmp(&b.id)));
        if text.starts_with('-') {
            expected.reverse();
        }
        let ids = |v: &[periclase_store::Record]| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&expected), "sort {text}");
    }
    assert!(matches!(
        store.list(&ENTERPRISES, &ListQuery { after: Some("3.x".into()), ..Default::default() }),
        Err(StoreError::BadQuery(_))
    ));
}

#[test]
fn data_quality_issues_find_the_records_that_have_them() {
    let (dir, store, demo) = demo_store(30);
    let count = |spec: &'static RegistrySpec, issue| {
        store.list(spec, &ListQuery { issue: Some(issue), ..Default::default() }).unwrap().total
    };
    assert_eq!(count(&ENTERPRISES, QualityIssue::RetiredRegion), 0);
    assert_eq!(count(&ENTERPRISES, QualityIssue::MissingIndustry), 0);

    // An enterprise without industry code; another entered before its county was retired.
    let mut rows = demo_rows(&demo, &ENTERPRISES);
    rows[2][ENTERPRISES.index_of("industry").unwrap()] = Value::Null;
    import(&store, &ENTERPRISES, rows.clone(), ImportOptions::default());
    let retired = periclase_domain::RegionTable::embedded().retired_codes()[0].to_string();
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    raw.execute("UPDATE enterprise SET region = ?1 WHERE uscc = ?2", [&retired, rows[5][0].as_str().unwrap()]).unwrap();
    let missing =
        store.list(&ENTERPRISES, &ListQuery { issue: Some(QualityIssue::MissingIndustry), ..Default::default() });
    assert_eq!(missing.unwrap().records[0].row[0], rows[2][0]);
    let moved = store.list(&ENTERPRISES, &ListQuery { issue: Some(QualityIssue::RetiredRegion), ..Default::default() });
    assert_eq!(moved.unwrap().records[0].row[0], rows[5][0], "a write by another connection shows at once");

    // Stale: no figures for the latest reported year.
    let latest: i64 = raw.query_row("SELECT max(year) FROM enterprise_figure", [], |r| r.get(0)).unwrap();
    let with_latest: i64 = raw
        .query_row("SELECT count(DISTINCT enterprise_id) FROM enterprise_figure WHERE year = ?1", [latest], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(count(&ENTERPRISES, QualityIssue::StaleFigures), 30 - with_latest as u64);

    // Overdue: open demands whose deadline has passed.
    let overdue: i64 = raw
        .query_row("SELECT count(*) FROM demand WHERE status = 'open' AND deadline < date('now')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count(&DEMANDS, QualityIssue::OverdueDemand), overdue as u64);
    assert!(matches!(
        store.list(&POLICIES, &ListQuery { issue: Some(QualityIssue::MissingIndustry), ..Default::default() }),
        Err(StoreError::BadQuery(_))
    ));
}

#[test]
fn tier_filter_follows_every_honour_write() {
    use periclase_domain::Scope;
    use periclase_store::SaveMode;
    let (dir, store, demo) = demo_store(40);
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    // Every honour the domain knows has its bit (migration 0005), and no two share one.
    let bits: Vec<(String, i64)> = raw
        .prepare("SELECT honour, bit FROM tier_bit")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for option in periclase_domain::registries::HONOURS {
        assert!(bits.iter().any(|(code, _)| code == option.code), "no tier bit for {}", option.code);
    }
    assert!(bits.iter().all(|(_, b)| b.count_ones() == 1));
    // The chain engine reads bit i as HONOURS[i] (`EnterpriseFacts::tiers`).
    for (i, option) in periclase_domain::registries::HONOURS.iter().enumerate() {
        assert!(bits.contains(&(option.code.to_string(), 1 << i)), "{} is not bit {i}", option.code);
    }

    let tier = |code: &str| {
        let q = ListQuery { tier: Some(code.into()), limit: Some(1000), ..Default::default() };
        let page = store.list(&ENTERPRISES, &q).unwrap();
        assert_eq!(page.total as usize, page.records.len());
        page.records.into_iter().map(|r| r.row[0].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    // The demo's honours, as imported, are what the filter finds.
    let honours = demo_rows(&demo, &ENTERPRISE_HONOURS);
    let mut expected: Vec<String> = honours
        .iter()
        .filter(|h| h[1] == Value::Text("gazelle".into()))
        .map(|h| h[0].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    expected.dedup();
    let mut found = tier("gazelle");
    found.sort();
    assert_eq!(found, expected);

    let actor = Actor::new("test", Channel::Api);
    let uscc = demo.enterprise(7).uscc.clone();
    let honour = |code: &str, year: i64| {
        vec![
            Value::Text(uscc.clone()),
            Value::Text(code.into()),
            Value::Int(year),
            Value::Text("provincial".into()),
            Value::Null,
            Value::Null,
        ]
    };
    let save = |row: Vec<Value>, mode| store.save(&ENTERPRISE_HONOURS, &row, mode, &actor, &Scope::All).unwrap();
    save(honour("unicorn", 2022), SaveMode::Create);
    save(honour("unicorn", 2023), SaveMode::Create);
    assert_eq!(tier("unicorn"), vec![uscc.clone()]);
    // One year gone, the other still counts.
    let id: i64 = raw
        .query_row("SELECT id FROM enterprise_honour WHERE honour = 'unicorn' AND year = 2022", [], |r| r.get(0))
        .unwrap();
    assert!(store.delete(&ENTERPRISE_HONOURS, &id.to_string(), &actor, &Scope::All).unwrap());
    assert_eq!(tier("unicorn"), vec![uscc.clone()]);
    // Changing the honour moves the bit.
    raw.execute("UPDATE enterprise_honour SET honour = 'potential_unicorn' WHERE honour = 'unicorn'", []).unwrap();
    assert!(tier("unicorn").is_empty());
    assert!(tier("potential_unicorn").contains(&uscc));
    // Re-importing the enterprise keeps its tiers.
    import(&store, &ENTERPRISES, demo_rows(&demo, &ENTERPRISES), ImportOptions::default());
    assert!(tier("potential_unicorn").contains(&uscc));
    // The last one gone, no tier is left behind.
    raw.execute("DELETE FROM enterprise_honour WHERE honour = 'potential_unicorn' AND year = 2023", []).unwrap();
    assert!(!tier("potential_unicorn").contains(&uscc));
}

#[test]
fn region_and_tier_totals_match_a_full_count_after_writes() {
    use periclase_domain::Scope;
    use periclase_store::SaveMode;
    let (dir, store, demo) = demo_store(120);
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    let check = |when: &str| {
        for region in [None, Some("21"), Some("2103"), Some("210381"), Some("210882")] {
            for tier in [None, Some("high_tech"), Some("gazelle")] {
                let q = ListQuery { region: region.map(Into::into), tier: tier.map(Into::into), ..Default::default() };
                let p = region.unwrap_or("");
                let bit = tier.map_or("", |t| {
                    if t == "high_tech" {
                        " AND h.honour = 'high_tech'"
                    } else {
                        " AND h.honour = 'gazelle'"
                    }
                });
                let sql = format!(
                    "SELECT count(*) FROM enterprise t WHERE t.region LIKE '{p}%' AND ({} OR EXISTS \
                     (SELECT 1 FROM enterprise_honour h WHERE h.enterprise_id = t.id{bit}))",
                    tier.is_none()
                );
                let expected: i64 = raw.query_row(&sql, [], |r| r.get(0)).unwrap();
                assert_eq!(store.list(&ENTERPRISES, &q).unwrap().total, expected as u64, "{when}: {region:?} {tier:?}");
                let by_county: u64 = store.count_by_region(&ENTERPRISES, &q, 6).unwrap().iter().map(|(_, n)| n).sum();
                assert_eq!(by_county, expected as u64, "{when}: by county {region:?} {tier:?}");
            }
        }
    };
    check("after import");
    let actor = Actor::new("test", Channel::Api);
    // Move one enterprise to another county, delete another (its honours go with it).
    let moved = store.get(&ENTERPRISES, &demo.enterprise(3).uscc, None).unwrap().unwrap();
    let mut row = moved.row.clone();
    row[2] = Value::Text(if row[2] == Value::Text("210882".into()) { "210381" } else { "210882" }.into());
    store.save(&ENTERPRISES, &row, SaveMode::Update { id: moved.id }, &actor, &Scope::All).unwrap();
    let honoured: String = raw
        .query_row(
            "SELECT e.uscc FROM enterprise e JOIN enterprise_honour h ON h.enterprise_id = e.id \
             WHERE h.honour = 'high_tech' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(store.delete(&ENTERPRISES, &honoured, &actor, &Scope::All).unwrap());
    check("after a move and a delete");
    let counties = store.count_by_region(&ENTERPRISES, &ListQuery::default(), 6).unwrap();
    assert!(counties.iter().all(|(_, n)| *n > 0), "counties left empty are not listed");
}

/// `enterprise_year` (migration 0007) recomputed from the registries it summarises.
fn enterprise_year_drift(raw: &rusqlite::Connection) -> (Vec<String>, Vec<String>) {
    let rows = |sql: &str| -> Vec<String> {
        let mut st = raw.prepare(sql).unwrap();
        st.query_map([], |r| Ok((0..7).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let kept = rows(
        "SELECT enterprise_id, year, revenue, employees, rd_spend, capacity, output FROM enterprise_year
         WHERE coalesce(revenue, employees, rd_spend, capacity, output) IS NOT NULL ORDER BY 1, 2",
    );
    let recomputed = rows(
        "WITH f AS (SELECT enterprise_id, year,
                           max(CASE metric WHEN 'revenue' THEN value END) AS revenue,
                           max(CASE metric WHEN 'employees' THEN value END) AS employees,
                           max(CASE metric WHEN 'rd_spend' THEN value END) AS rd_spend
                    FROM enterprise_figure WHERE metric IN ('revenue', 'employees', 'rd_spend') GROUP BY 1, 2),
              k AS (SELECT enterprise_id, year, sum(capacity) AS capacity, sum(output) AS output
                    FROM enterprise_capacity GROUP BY 1, 2),
              keys AS (SELECT enterprise_id, year FROM f UNION SELECT enterprise_id, year FROM k)
         SELECT keys.enterprise_id, keys.year, f.revenue, f.employees, f.rd_spend, k.capacity, k.output
         FROM keys LEFT JOIN f USING (enterprise_id, year) LEFT JOIN k USING (enterprise_id, year)
         WHERE coalesce(f.revenue, f.employees, f.rd_spend, k.capacity, k.output) IS NOT NULL ORDER BY 1, 2",
    );
    (kept, recomputed)
}

#[test]
fn enterprise_year_follows_every_write_to_figures_and_capacity() {
    let (dir, store, demo) = demo_store(80);
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    raw.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let (kept, recomputed) = enterprise_year_drift(&raw);
    assert!(kept.len() > 100, "the bulk load summarised the demo's figures: {}", kept.len());
    assert_eq!(kept, recomputed, "after the bulk load");

    // An import that upserts (not a bulk load): changed values and a new year.
    let mut figures = demo_rows(&demo, &ENTERPRISE_FIGURES);
    for (i, row) in figures.iter_mut().enumerate().take(40) {
        if let Value::Real(v) = row[3] {
            row[3] = Value::Real(v + i as f64);
        }
    }
    let mut added = figures[0].clone();
    added[1] = Value::Int(2031);
    figures.push(added);
    let (out, issues) = import(&store, &ENTERPRISE_FIGURES, figures, ImportOptions::default());
    assert!(out.committed && out.inserted == 1 && out.updated > 0, "{out:?} {issues:?}");
    assert_eq!(enterprise_year_drift(&raw).0, enterprise_year_drift(&raw).1, "after an upserting import");

    // Direct writes: a figure moved to another metric, year and enterprise; figures and
    // capacity removed; capacity changed; a whole enterprise removed by cascade.
    raw.execute_batch(
        "UPDATE enterprise_figure SET metric = 'employees', year = year + 100
           WHERE id = (SELECT min(id) FROM enterprise_figure WHERE metric = 'revenue');
         UPDATE enterprise_figure SET metric = 'revenue', year = year + 200
           WHERE id = (SELECT min(id) FROM enterprise_figure WHERE metric NOT IN ('revenue', 'employees', 'rd_spend'));
         UPDATE enterprise_figure SET enterprise_id = (SELECT max(id) FROM enterprise)
           WHERE id = (SELECT max(id) FROM enterprise_figure WHERE metric = 'rd_spend')
             AND NOT EXISTS (SELECT 1 FROM enterprise_figure g WHERE g.enterprise_id = (SELECT max(id) FROM enterprise)
                             AND g.metric = 'rd_spend' AND g.year = enterprise_figure.year);
         DELETE FROM enterprise_figure WHERE id % 7 = 0;
         UPDATE enterprise_capacity SET capacity = capacity * 2, output = NULL WHERE id % 3 = 0;
         UPDATE enterprise_capacity SET year = year - 5 WHERE id % 5 = 0;
         DELETE FROM enterprise_capacity WHERE id % 4 = 0;
         DELETE FROM enterprise WHERE id IN (SELECT enterprise_id FROM enterprise_capacity LIMIT 3);",
    )
    .unwrap();
    let (kept, recomputed) = enterprise_year_drift(&raw);
    assert_eq!(kept, recomputed, "after direct writes");
    let orphans: i64 = raw
        .query_row(
            "SELECT count(*) FROM enterprise_year WHERE enterprise_id NOT IN (SELECT id FROM enterprise)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "a removed enterprise leaves no summary row");
}

#[test]
fn chain_facts_by_member_lookups_and_by_summary_scans_agree() {
    let (_dir, store, _demo) = demo_store(300);
    let ids = ["magnesia", "mg-metal", "copper"];
    let scanned = store.chain_facts_by(&ids, true).unwrap();
    let looked_up = store.chain_facts_by(&ids, false).unwrap();
    assert_eq!(scanned, looked_up);
    assert!(scanned.iter().all(|f| !f.members.is_empty()), "the demo puts enterprises on every chain");
    let magnesia = &scanned[0];
    assert!(magnesia.enterprises.iter().any(|e| e.revenue.is_some() && e.revenue_prev.is_some()));
    assert!(magnesia.enterprises.iter().any(|e| e.capacity.is_some() && e.employees.is_some()));
    assert!(magnesia.platforms.iter().any(|p| p.host.is_some()));
    // Read together or alone, a chain's facts are the same.
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(store.chain_facts_by(&[id], true).unwrap().remove(0), scanned[i], "{id}");
        assert_eq!(store.chain_facts(&[id]).unwrap()[0].as_ref(), &scanned[i], "{id}");
    }
}

#[test]
fn subject_frames_by_lookup_and_by_scan_agree_and_hold_the_registry_values() {
    use periclase_domain::frame::{Column, FrameRequest, SubjectKind};
    let (_dir, store, demo) = demo_store(120);
    let paths: Vec<String> = [
        "enterprise.region",
        "enterprise.founded",
        "enterprise.revenue",
        "enterprise.revenue_3y",
        "enterprise.rd_spend",
        "enterprise.honours",
        "enterprise.chain_nodes",
        "enterprise.external",
    ]
    .map(String::from)
    .to_vec();
    let req = FrameRequest { subject: SubjectKind::Enterprise, paths, year: None, region: None, keys: None };
    let scanned = store.subject_frame_by(&req, true).unwrap();
    let looked_up = store.subject_frame_by(&req, false).unwrap();
    assert_eq!(scanned.keys.len(), 120);
    assert_eq!(scanned.keys, looked_up.keys);
    assert_eq!(scanned.frame.columns, looked_up.frame.columns);
    let year = scanned.year.expect("the demo reports figures");
    // Spot-check one enterprise against its rows.
    let e = demo.enterprise(7);
    let row = scanned.keys.iter().position(|k| k == &e.uscc).unwrap();
    let rec = store.get(&ENTERPRISES, &e.uscc, None).unwrap().unwrap();
    let figures = store.children(&ENTERPRISES, rec.id, &ENTERPRISE_FIGURES).unwrap();
    let revenue = |y: i64| {
        figures.iter().find_map(|f| {
            (f.row[1] == Value::Int(y) && f.row[2] == Value::Text("revenue".into())).then(|| match f.row[3] {
                Value::Real(v) => v,
                Value::Int(v) => v as f64,
                _ => f64::NAN,
            })
        })
    };
    let Column::Num(rev) = &scanned.frame.columns["enterprise.revenue"] else { panic!() };
    assert_eq!(rev[row], revenue(year));
    let Column::Num(rev3) = &scanned.frame.columns["enterprise.revenue_3y"] else { panic!() };
    let three: Option<f64> = (year - 2..=year).map(revenue).sum();
    assert_eq!(rev3[row].map(|x| (x * 100.0).round()), three.map(|x| (x * 100.0).round()));
    let Column::List(honours) = &scanned.frame.columns["enterprise.honours"] else { panic!() };
    assert!(honours.iter().all(Option::is_some), "no honours listed is an empty list, not unknown");
    // Named subjects come back in the order asked; an unknown one is named in the error.
    let some = FrameRequest { keys: Some(vec![e.uscc.to_lowercase(), scanned.keys[0].clone()]), ..req.clone() };
    let two = store.subject_frame(&some).unwrap();
    assert_eq!(two.keys, [e.uscc.clone(), scanned.keys[0].clone()]);
    let bad = FrameRequest { keys: Some(vec!["91350100M000100Y43".into()]), ..req };
    assert!(store.subject_frame(&bad).unwrap_err().to_string().contains("91350100M000100Y43"));
}

#[test]
fn policy_runs_are_archived_and_the_ledger_never_pays_twice() {
    use periclase_domain::policy_run::{PolicyRunRecord, RunLineRecord, SavedRun};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let actor = Actor::new("official", Channel::Cli);
    let line = |key: &str, granted: f64| RunLineRecord {
        policy: "award".into(),
        key: key.into(),
        name: format!("{key}示例有限公司"),
        region: "210381".into(),
        result: periclase_domain::policy_run::LineResult::Eligible,
        amount: Some(30.0),
        granted: Some(granted),
        note: String::new(),
        once_only: true,
        basis: "专精特新=是".into(),
    };
    let preview = PolicyRunRecord {
        eval_date: "2025-06-30".into(),
        data_year: Some(2024),
        region: String::new(),
        chain: String::new(),
        policies: vec![("award".into(), 1)],
        totals: vec![periclase_domain::policy_run::RunTotals {
            policy: "award".into(),
            title: "示例奖励".into(),
            version: 1,
            eligible: 2,
            granted: 60.0,
            ..Default::default()
        }],
        lines: vec![line("A", 30.0), line("B", 30.0)],
        grant: false,
        job: None,
    };
    let SavedRun::New(first) = store.save_policy_run(&preview, &actor).unwrap() else { panic!("a new run") };
    assert_eq!(store.save_policy_run(&preview, &actor).unwrap(), SavedRun::SameAs(first), "an identical preview");
    let on_a_chain = PolicyRunRecord { chain: "magnesia".into(), ..preview.clone() };
    assert!(matches!(store.save_policy_run(&on_a_chain, &actor).unwrap(), SavedRun::New(_)), "another scope");
    assert!(store.granted_awards().unwrap().is_empty(), "a preview grants nothing");

    let grant = PolicyRunRecord { grant: true, ..preview.clone() };
    assert!(matches!(store.save_policy_run(&grant, &actor).unwrap(), SavedRun::New(_)));
    assert_eq!(store.granted_awards().unwrap().len(), 2);
    // Granting again what the ledger holds fails as a whole: no run, no line, no ledger row.
    let again = PolicyRunRecord { lines: vec![line("C", 30.0), line("A", 30.0)], ..grant.clone() };
    let err = store.save_policy_run(&again, &actor).unwrap_err();
    assert!(err.to_string().contains("「A」的一次性奖补《award》已入账"), "{err}");
    assert_eq!(store.granted_awards().unwrap().len(), 2);
    let runs = store.policy_runs(10).unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs[0].granted && !runs[1].granted && runs[0].lines == 2 && runs[1].chain == "magnesia");
    let granted_lines = store.policy_run_lines(runs[0].id).unwrap();
    assert_eq!(granted_lines[0].name, "A示例有限公司");
    // The ledger keeps the confirmed values that paid each award.
    assert_eq!(granted_lines[0].basis, "专精特新=是");
    assert_eq!(store.policy_run_lines(runs[1].id).unwrap()[0].basis, "", "a preview pays nothing");

    assert_eq!((runs[0].totals[0].eligible, runs[0].totals[0].granted), (2, 60.0), "totals are typed, as saved");

    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    // A run archived before `pending` existed still reads; a column that is not a list of
    // totals is an error, never an empty chart.
    raw.execute(
        "INSERT INTO policy_run (actor, eval_date, data_year, region, chain, policies, totals, granted, fingerprint)
         VALUES ('old', '2024-06-30', 2023, '', '', 'award@1',
                 '[{\"policy\":\"award\",\"title\":\"示例奖励\",\"version\":1,\"eligible\":3,\"unknown\":0,\"not_eligible\":5,\"granted\":90.0}]',
                 0, 'old-run')",
        [],
    )
    .unwrap();
    let old = &store.policy_runs(1).unwrap()[0];
    assert_eq!((old.totals[0].eligible, old.totals[0].pending), (3, 0.0));
    raw.execute("UPDATE policy_run SET totals = '{\"shape\":\"changed\"}' WHERE actor = 'old'", []).unwrap();
    assert!(store.policy_runs(1).is_err(), "a changed shape is an error, not an empty list");
    raw.execute("DELETE FROM policy_run WHERE actor = 'old'", []).unwrap();
    assert!(raw.execute("UPDATE award_ledger SET amount = 1", []).is_err());
    assert!(raw.execute("DELETE FROM award_ledger", []).is_err());
    let audit = store.audit(&periclase_store::AuditQuery::default()).unwrap();
    assert!(audit.iter().any(|a| a.note.as_deref().is_some_and(|n| n.contains("兑现入账 60 万元"))), "{audit:?}");
}

#[test]
fn the_search_outbox_queues_every_write_for_every_reader_and_a_bulk_load_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    assert!(store.search_pending("first", 10).unwrap().is_none(), "an unregistered index must be built");
    store.search_follow("first").unwrap();
    store.search_follow("second").unwrap();
    let demo = Demo::new(11, 60);
    for spec in periclase_domain::registries::ALL {
        let (out, issues) = import(&store, spec, demo_rows(&demo, spec), ImportOptions::default());
        assert!(issues.is_empty() && out.committed, "{}: {issues:?}", spec.name);
    }
    let pending = store.search_pending("first", 100_000).unwrap().unwrap();
    assert!(pending.rows.is_empty(), "a bulk load leaves whole-table entries only: {:?}", pending.rows.len());
    let names: Vec<&str> = pending.whole.iter().map(|s| s.name).collect();
    assert!(names.contains(&"enterprises") && names.contains(&"achievements"), "{names:?}");
    store.search_applied("first", pending.upto).unwrap();
    assert_eq!(store.search_pending("first", 10).unwrap().unwrap().upto, 0);
    // The other reader's queue is its own: untouched by the first one's progress.
    let second = store.search_pending("second", 100_000).unwrap().unwrap();
    assert_eq!(second.whole.len(), pending.whole.len());
    let backlog: Vec<(String, u64)> =
        store.search_readers().unwrap().into_iter().map(|r| (r.name, r.backlog)).collect();
    assert_eq!(backlog[0], ("first".to_string(), 0));
    assert!(backlog[1].0 == "second" && backlog[1].1 >= pending.whole.len() as u64, "{backlog:?}");
    // Registering again starts from an empty queue.
    store.search_follow("second").unwrap();
    assert_eq!(store.search_pending("second", 10).unwrap().unwrap().upto, 0);

    let actor = Actor::new("t", Channel::Cli);
    let mut achievement = None;
    store
        .search_rows(&registries::ACHIEVEMENTS, None, &mut |r| {
            achievement.get_or_insert((r.id, r.row.clone()));
            Ok(())
        })
        .unwrap();
    let (id, mut row) = achievement.unwrap();
    row[1] = Value::Text("改过的成果名称".into());
    store.save(&registries::ACHIEVEMENTS, &row, SaveMode::Update { id }, &actor, &Scope::All).unwrap();
    let pending = store.search_pending("first", 100).unwrap().unwrap();
    assert_eq!(pending.rows.len(), 1);
    let names = |p: &periclase_store::SearchPending| -> Vec<(&str, Vec<i64>)> {
        p.rows.iter().map(|(s, ids)| (s.name, ids.clone())).collect()
    };
    assert_eq!(names(&store.search_pending("second", 100).unwrap().unwrap()), names(&pending), "queued for both");
    assert_eq!((pending.rows[0].0.name, pending.rows[0].1.clone()), ("achievements", vec![id]));
    let mut seen = Vec::new();
    store
        .search_rows(&registries::ACHIEVEMENTS, Some(&[id, 999_999]), &mut |r| {
            seen.push((r.id, r.row[1].clone()));
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec![(id, Value::Text("改过的成果名称".into()))], "a missing id is simply absent");

    // A reader away for more than a week is forgotten with its queue when another registers.
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    raw.execute("UPDATE search_readers SET seen_at = '2026-01-01T00:00:00Z' WHERE name = 'second'", []).unwrap();
    store.search_follow("third").unwrap();
    assert!(store.search_pending("second", 10).unwrap().is_none(), "forgotten: it rebuilds when it comes back");
    let left: i64 =
        raw.query_row("SELECT count(*) FROM search_outbox WHERE reader = 'second'", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0, "its queue went with it");
    // A reader that polls is seen again within the hour.
    raw.execute("UPDATE search_readers SET seen_at = '2026-01-01T00:00:00Z' WHERE name = 'first'", []).unwrap();
    store.search_pending("first", 10).unwrap().unwrap();
    let seen: String =
        raw.query_row("SELECT seen_at FROM search_readers WHERE name = 'first'", [], |r| r.get(0)).unwrap();
    assert!(seen.as_str() > "2026-01-02", "{seen}");
}

#[test]
fn introductions_are_recorded_checked_and_audited() {
    each_store(|store| {
        load_demo(store, 60);
        let code = |spec: &'static periclase_domain::RegistrySpec| {
            let mut c = None;
            store
                .search_rows(spec, None, &mut |r| {
                    c.get_or_insert(r.row[0].to_string());
                    Ok(())
                })
                .unwrap();
            c.unwrap()
        };
        let (d, a) = (code(&registries::DEMANDS), code(&registries::ACHIEVEMENTS));
        let actor = Actor::new("official", Channel::Ui);
        let all = Scope::All;
        let made = store.introduce(&d, &a, "引荐", &actor, &all).unwrap();
        assert_eq!((made.outcome.as_str(), made.actor.as_str()), ("introduced", "official"));
        let e = store.introduce("XQ-none", &a, "", &actor, &all).unwrap_err();
        assert_eq!(e.to_string(), "没有编号为「XQ-none」的需求");
        let done = store.set_introduction_outcome(made.id, "signed", "签约", &actor, &all).unwrap().unwrap();
        assert_eq!((done.outcome.as_str(), done.note.as_str()), ("signed", "签约"));
        assert!(store.set_introduction_outcome(made.id, "won", "", &actor, &all).is_err());
        assert!(store.set_introduction_outcome(9999, "signed", "", &actor, &all).unwrap().is_none());
        assert_eq!(store.introductions(Some(&d), None, &all).unwrap(), vec![done.clone()]);
        assert_eq!(store.introductions(None, Some(&a), &all).unwrap(), vec![done]);
        let audit =
            store.audit(&AuditQuery { registry: Some("introductions".into()), ..AuditQuery::default() }).unwrap();
        assert_eq!(audit.len(), 2, "introduction and outcome are audited");
    });
}

/// Regression (probe): one achievement saved without a region made every achievement list
/// answer 500 ("Invalid column type Null" in the region breakdown).
#[test]
fn one_record_without_a_region_does_not_break_the_list_or_its_region_breakdown() {
    use periclase_domain::registries::ACHIEVEMENTS;
    let (_dir, store, demo) = demo_store(20);
    let mut row = demo_rows(&demo, &ACHIEVEMENTS).remove(0);
    let region = ACHIEVEMENTS.fields.iter().position(|f| f.key == "region").unwrap();
    row[0] = Value::Text("NO-REGION-1".into());
    row[region] = Value::Null;
    let actor = Actor::new("admin", Channel::Api);
    store.save(&ACHIEVEMENTS, &row, SaveMode::Create, &actor, &Scope::All).unwrap();
    let total = store.list(&ACHIEVEMENTS, &ListQuery::default()).unwrap().total;
    for len in [2, 4, 6] {
        let counts = store.count_by_region(&ACHIEVEMENTS, &ListQuery::default(), len).unwrap();
        assert!(counts.iter().all(|(p, n)| p.len() == len && *n > 0), "{counts:?}");
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), total - 1, "the row without a region is in none");
    }
    let rows = all_pages(&store, &ACHIEVEMENTS, ListQuery { limit: Some(7), ..Default::default() });
    assert_eq!(rows.len() as u64, total);
    assert!(rows.iter().any(|r| r.row[region].is_null()));
    // Sorted by region, the row without one comes first (NULLs sort first) and paging holds.
    let sort = periclase_store::Sort::parse(&ACHIEVEMENTS, "region").unwrap();
    let sorted = all_pages(&store, &ACHIEVEMENTS, ListQuery { sort, limit: Some(7), ..Default::default() });
    assert_eq!(sorted.len() as u64, total);
    assert!(sorted[0].row[region].is_null());
}

/// Regression (probe): during a long CLI import, API writes failed with "database is locked"
/// and answered 500. A write that cannot get the lock in time is `Busy` (the web answers 503
/// with Retry-After), and an import preview (a dry run) does not need the lock at all.
#[test]
fn writes_during_a_long_import_are_busy_and_a_preview_does_not_take_the_write_lock() {
    use periclase_domain::registries::ACHIEVEMENTS;
    let (dir, store, demo) = demo_store(20);
    let store = store.with_busy_timeout(std::time::Duration::from_millis(100)).unwrap();
    let mut row = demo_rows(&demo, &ACHIEVEMENTS).remove(0);
    row[0] = Value::Text("BUSY-1".into());
    let actor = Actor::new("admin", Channel::Api);
    // Another process's import: a write transaction held open on its own connection.
    let mut other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    tx.execute("UPDATE achievement SET title = title || '' WHERE id = 1", []).unwrap();
    let err = store.save(&ACHIEVEMENTS, &row, SaveMode::Create, &actor, &Scope::All).unwrap_err();
    assert!(err.is_busy(), "{err:?}");
    assert!(err.to_string().contains("数据库正忙"), "{err}");
    // The preview reads only: it runs beside the import.
    let rows = demo_rows(&demo, &ACHIEVEMENTS);
    let n = rows.len() as u64;
    let (out, issues) = import(&store, &ACHIEVEMENTS, rows, ImportOptions { partial: true, dry_run: true });
    assert!(issues.is_empty() && !out.committed && out.unchanged == n, "{out:?} {issues:?}");
    // Reads go on, and once the import commits the same write succeeds.
    assert!(store.list(&ACHIEVEMENTS, &ListQuery::default()).unwrap().total > 0);
    tx.commit().unwrap();
    store.save(&ACHIEVEMENTS, &row, SaveMode::Create, &actor, &Scope::All).unwrap();
}

/// Found building web imports as jobs: a job reporting its stage while an import held the
/// write lock waited the whole busy timeout at each report, and an import job reporting its
/// own progress from inside its transaction waited for itself. A stage never waits.
#[test]
fn a_job_stage_is_not_waited_for_while_another_writer_holds_the_database() {
    let (dir, store, _) = demo_store(1);
    let store = store.with_busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let job = store.create_job("import", "{}", 1).unwrap();
    assert!(store.start_job(job, "开始").unwrap());
    let mut other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let started = std::time::Instant::now();
    assert!(!store.set_job_stage(job, "已读取 4,096 行").unwrap(), "not recorded while the lock is held");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    tx.rollback().unwrap();
    assert!(store.set_job_stage(job, "已读取 8,192 行").unwrap());
    assert_eq!(store.job(job, 1).unwrap().unwrap().stage, "已读取 8,192 行");
    // The connection went back to the pool with its busy timeout: a write still waits.
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let waiter = std::thread::spawn(move || store.finish_job(job, "{}").unwrap());
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.commit().unwrap();
    assert!(waiter.join().unwrap(), "the finish waited for the lock and was recorded");
}

/// Regression (probe): re-creating an existing figure or talent link answered 500 instead of
/// 409: the key lookup compared the parent's natural key (a USCC) with the stored row id.
#[test]
fn recreating_an_existing_figure_or_talent_link_is_a_conflict() {
    each_store(|store| {
        use periclase_domain::registries::TALENT_LINKS;
        let demo = load_demo(store, 40);
        let actor = Actor::new("admin", Channel::Api);
        for spec in [&ENTERPRISE_FIGURES, &ENTERPRISE_HONOURS, &TALENT_LINKS] {
            let rows = demo_rows(&demo, spec);
            assert!(!rows.is_empty(), "{}", spec.name);
            let err = store.save(spec, &rows[0], SaveMode::Create, &actor, &Scope::All).unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", spec.name);
            if rows.len() < 2 {
                continue;
            }
            // Changing one record into another's key is a conflict too.
            let total = store.count(spec, &ListQuery::default()).unwrap();
            let all = all_pages(store, spec, ListQuery { limit: Some(1000), ..Default::default() });
            assert_eq!(all.len() as u64, total);
            let second = all.iter().find(|r| r.row == rows[1]).expect("stored as imported");
            let err = store.save(spec, &rows[0], SaveMode::Update { id: second.id }, &actor, &Scope::All).unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", spec.name);
            // An unchanged save of its own row is still fine.
            let same = store.save(spec, &rows[1], SaveMode::Update { id: second.id }, &actor, &Scope::All).unwrap();
            assert_eq!(same, periclase_store::SaveOutcome::Unchanged);
        }
    });
}

/// Regression (probe: 对接 across counties): another county's official neither sees, makes
/// nor updates 对接 records of a demand outside their region.
#[test]
fn introductions_across_counties_are_out_of_scope() {
    each_store(|store| {
        load_demo(store, 60);
        let mut first = None;
        store
            .search_rows(&registries::DEMANDS, None, &mut |r| {
                first.get_or_insert(r.row[0].to_string());
                Ok(())
            })
            .unwrap();
        let d = first.unwrap();
        let mut achievement = None;
        store
            .search_rows(&registries::ACHIEVEMENTS, None, &mut |r| {
                achievement.get_or_insert(r.row[0].to_string());
                Ok(())
            })
            .unwrap();
        let a = achievement.unwrap();
        let actor = Actor::new("official", Channel::Api);
        let made = store.introduce(&d, &a, "省里引荐", &actor, &Scope::All).unwrap();
        // Xinjiang holds none of the demo province's demands.
        let elsewhere = Scope::Region("6501".into());
        assert!(store.introductions(None, None, &elsewhere).unwrap().is_empty());
        assert!(store.introductions(Some(&d), None, &elsewhere).unwrap().is_empty());
        assert!(store.introduce(&d, &a, "", &actor, &elsewhere).is_err());
        assert!(store.set_introduction_outcome(made.id, "signed", "", &actor, &elsewhere).unwrap().is_none());
        assert_eq!(store.introductions(None, None, &Scope::All).unwrap().len(), 1);
    });
}

fn honours_of(store: &SqliteStore, uscc: &str) -> Option<Vec<String>> {
    use periclase_domain::frame::{Column, FrameRequest, SubjectKind};
    let f = store
        .subject_frame(&FrameRequest {
            subject: SubjectKind::Enterprise,
            paths: vec!["enterprise.honours".into()],
            year: None,
            region: None,
            keys: Some(vec![uscc.to_string()]),
        })
        .unwrap();
    match f.frame.columns.get("enterprise.honours") {
        Some(Column::List(v)) => v[0].clone(),
        other => panic!("{other:?}"),
    }
}

/// Regression (probe, High 1: an enterprise certifies itself and gets paid): what an
/// enterprise says of a department's fact is a declaration; the registry, and so every policy,
/// reads it only once the department confirms it, and until then the fact is unknown.
#[test]
fn an_enterprise_declares_and_its_department_confirms() {
    use periclase_store::{DeclarationQuery, DeclarationStatus, Declarations, DeclaredChange};
    let (dir, store, demo) = demo_store(200);
    let ent = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let other = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let own = Scope::Enterprise(ent.uscc.clone());
    let qiye = Actor::new("qiye", Channel::Api);
    let before = honours_of(&store, &ent.uscc).expect("the record of honours is known");
    let honour = |uscc: &str| {
        vec![
            Value::Text(uscc.to_string()),
            Value::Text("little_giant".into()),
            Value::Int(2024),
            Value::Text("national".into()),
            Value::Text("GX-2024-001".into()),
            Value::Null,
        ]
    };

    // Another enterprise's facts are not this one's to declare.
    let e = store.declare(&ENTERPRISE_HONOURS, &honour(&other.uscc), DeclaredChange::Upsert, "", &qiye, &own);
    assert!(matches!(e, Err(StoreError::Forbidden(_))), "{e:?}");
    // Only an enterprise declares.
    let e = store.declare(&ENTERPRISE_HONOURS, &honour(&ent.uscc), DeclaredChange::Upsert, "", &qiye, &official());
    assert!(matches!(e, Err(StoreError::Forbidden(_))), "{e:?}");

    let d = store
        .declare(&ENTERPRISE_HONOURS, &honour(&ent.uscc), DeclaredChange::Upsert, "工信部公告2024年第X号", &qiye, &own)
        .unwrap();
    assert_eq!((d.status, d.region.as_str()), (DeclarationStatus::Pending, "210381"));
    // Stored as declared, not as fact: the registry is unchanged and the honours are unknown.
    let listed = store.list(&ENTERPRISE_HONOURS, &ListQuery { scope: Some(own.clone()), ..Default::default() });
    assert!(!listed.unwrap().records.iter().any(|r| r.row[1] == Value::Text("little_giant".into())));
    assert_eq!(honours_of(&store, &ent.uscc), None, "declared-only makes the condition unknown");

    // A newer declaration of the same record supersedes the pending one.
    let d2 = store
        .declare(&ENTERPRISE_HONOURS, &honour(&ent.uscc), DeclaredChange::Upsert, "补充证书", &qiye, &own)
        .unwrap();
    assert_eq!(store.declaration(d.id, None).unwrap().unwrap().status, DeclarationStatus::Superseded);

    // Another county's official sees none of it and cannot decide it.
    let elsewhere = Scope::Region("210882".into());
    let q = |scope: Scope| DeclarationQuery { scope: Some(scope), ..Default::default() };
    assert!(store.declarations(&q(elsewhere.clone())).unwrap().is_empty());
    let haicheng = Actor::new("haicheng", Channel::Ui);
    assert!(matches!(store.decide(d2.id, true, "", &haicheng, &elsewhere), Err(StoreError::NotFound(_))));
    assert_eq!(store.declarations(&q(official())).unwrap().len(), 2);
    assert_eq!(store.declarations(&q(own.clone())).unwrap().len(), 2, "the enterprise sees its own");

    let done = store.decide(d2.id, true, "与公告核对无误", &haicheng, &official()).unwrap();
    assert_eq!((done.status, done.decided_by.as_deref()), (DeclarationStatus::Confirmed, Some("haicheng")));
    let mut after = before.clone();
    after.push("little_giant".into());
    assert_eq!(honours_of(&store, &ent.uscc), Some(after), "confirmed, it is fact");
    let trail = store.audit(&AuditQuery { registry: Some("enterprise-honours".into()), ..Default::default() }).unwrap();
    assert!(trail
        .iter()
        .any(|e| e.actor == "haicheng" && e.note.as_deref().unwrap_or("").contains(&format!("核验申报 #{}", d2.id))));
    assert!(matches!(store.decide(d2.id, false, "再退回", &haicheng, &official()), Err(StoreError::Conflict(_))));

    // A rejected declaration changes nothing, and a decided one is a record for good.
    let mut wrong = honour(&ent.uscc);
    wrong[2] = Value::Int(2023);
    let d3 = store.declare(&ENTERPRISE_HONOURS, &wrong, DeclaredChange::Upsert, "", &qiye, &own).unwrap();
    let rejected = store.decide(d3.id, false, "无此年度公告", &haicheng, &official()).unwrap();
    assert_eq!(rejected.status, DeclarationStatus::Rejected);
    assert!(!honours_of(&store, &ent.uscc).unwrap().is_empty());
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    assert!(raw.execute("DELETE FROM declaration", []).is_err());
    assert!(raw.execute("UPDATE declaration SET status = 'pending' WHERE id = ?1", [d3.id]).is_err());
}

/// Regression (probe: handing records across scopes): a county cannot give a project in its
/// region to another county's enterprise, nor edit one another county's enterprise owns.
#[test]
fn a_record_naming_another_countys_enterprise_is_out_of_scope() {
    each_store(|store| {
        let demo = load_demo(store, 200);
        let actor = Actor::new("haicheng", Channel::Api);
        let theirs = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
        let mut project: Row = PROJECTS.fields.iter().map(|_| Value::Null).collect();
        let at = |k: &str| PROJECTS.index_of(k).unwrap();
        project[at("code")] = Value::Text("XM-TEST-1".into());
        project[at("name")] = Value::Text("示例项目".into());
        project[at("region")] = Value::Text("210381".into());
        project[at("owner_uscc")] = Value::Text(theirs.uscc.clone());
        let e = store.save(&PROJECTS, &project, SaveMode::Create, &actor, &official());
        assert!(matches!(e, Err(StoreError::Forbidden(_))), "{e:?}");
        assert!(store.get(&PROJECTS, "XM-TEST-1", None).unwrap().is_none(), "nothing written");
        // Written by the province, the county may not edit or delete it either.
        store.save(&PROJECTS, &project, SaveMode::Create, &actor, &Scope::All).unwrap();
        let rec = store.get(&PROJECTS, "XM-TEST-1", None).unwrap().unwrap();
        let mut renamed = rec.row.clone();
        renamed[at("name")] = Value::Text("改名".into());
        let e = store.save(&PROJECTS, &renamed, SaveMode::Update { id: rec.id }, &actor, &official());
        assert!(matches!(e, Err(StoreError::Forbidden(_))), "{e:?}");
        assert!(store.delete(&PROJECTS, "XM-TEST-1", &actor, &official()).is_err());
    });
}

/// Review of the trust-boundary work: an import checks the enterprises a row names against the
/// importer's scope, as forms and the API do.
#[test]
fn a_scoped_import_naming_another_countys_enterprise_is_refused() {
    let (_dir, store, demo) = demo_store(200);
    let theirs = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let mut project: Row = PROJECTS.fields.iter().map(|_| Value::Null).collect();
    let at = |k: &str| PROJECTS.index_of(k).unwrap();
    project[at("code")] = Value::Text("XM-IMPORT-1".into());
    project[at("name")] = Value::Text("示例项目".into());
    project[at("region")] = Value::Text("210381".into());
    project[at("owner_uscc")] = Value::Text(theirs.uscc.clone());
    let actor = Actor::new("haicheng", Channel::Ui);
    let scope = official();
    for dry_run in [true, false] {
        let ctx = ImportContext {
            opts: ImportOptions { partial: true, dry_run },
            actor: &actor,
            scope: Some(&scope),
            source: None,
        };
        let mut issues = Vec::new();
        let out = store
            .import(&PROJECTS, &mut items(vec![project.clone()]), &ctx, &mut |i| issues.push(i), &mut |_| {})
            .unwrap();
        assert_eq!((out.inserted, out.rejected), (0, 1), "dry run {dry_run}");
        assert!(issues[0].reason.contains("业主单位信用代码"), "{issues:?}");
    }
    assert!(store.get(&PROJECTS, "XM-IMPORT-1", None).unwrap().is_none());
}

/// Review: one enterprise cannot cancel another's pending declaration by declaring the same
/// key, and confirming never touches a record that has changed hands since.
#[test]
fn declarations_never_reach_another_enterprises_record() {
    each_store(|store| {
        use periclase_store::{DeclarationStatus, DeclaredChange};
        let demo = load_demo(store, 200);
        let mut ours = (0..200).map(|i| demo.enterprise(i)).filter(|e| e.region() == "210381");
        let (x, y) = (ours.next().unwrap(), ours.next().unwrap());
        let project = |owner: &str| -> Row {
            let mut p: Row = PROJECTS.fields.iter().map(|_| Value::Null).collect();
            p[PROJECTS.index_of("code").unwrap()] = Value::Text("XM-DECL-1".into());
            p[PROJECTS.index_of("name").unwrap()] = Value::Text("示例扩产项目".into());
            p[PROJECTS.index_of("region").unwrap()] = Value::Text("210381".into());
            p[PROJECTS.index_of("owner_uscc").unwrap()] = Value::Text(owner.into());
            p
        };
        let qiye = Actor::new("qiye", Channel::Api);
        let dy = store
            .declare(
                &PROJECTS,
                &project(&y.uscc),
                DeclaredChange::Upsert,
                "",
                &qiye,
                &Scope::Enterprise(y.uscc.clone()),
            )
            .unwrap();
        let e = store.declare(
            &PROJECTS,
            &project(&x.uscc),
            DeclaredChange::Upsert,
            "",
            &qiye,
            &Scope::Enterprise(x.uscc.clone()),
        );
        assert!(matches!(e, Err(StoreError::Conflict(_))), "{e:?}");
        assert_eq!(store.declaration(dy.id, None).unwrap().unwrap().status, DeclarationStatus::Pending);
        // The county records the project for X meanwhile: Y's declaration can no longer be
        // confirmed onto it, and Y does not see X's record beside its declaration.
        let haicheng = Actor::new("haicheng", Channel::Ui);
        store.save(&PROJECTS, &project(&x.uscc), SaveMode::Create, &haicheng, &official()).unwrap();
        let listed = store
            .declarations(&periclase_store::DeclarationQuery {
                scope: Some(Scope::Enterprise(y.uscc.clone())),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(listed[0].current, None);
        let e = store.decide(dy.id, true, "", &haicheng, &official());
        assert!(matches!(e, Err(StoreError::Conflict(_))), "{e:?}");
        let rec = store.get(&PROJECTS, "XM-DECL-1", None).unwrap().unwrap();
        assert_eq!(
            rec.row[PROJECTS.index_of("owner_uscc").unwrap()],
            Value::Text(x.uscc.clone()),
            "X's record untouched"
        );
        assert_eq!(
            store.declaration(dy.id, None).unwrap().unwrap().status,
            DeclarationStatus::Pending,
            "nothing half-done"
        );
    });
}

/// Review: an enterprise's own rows lie in its registered county (a demand posted "in"
/// another county would be read and handled there).
#[test]
fn an_enterprise_posts_its_demands_in_its_own_county() {
    each_store(|store| {
        let demo = load_demo(store, 200);
        let ent = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
        let mut d: Row = DEMANDS.fields.iter().map(|_| Value::Null).collect();
        let at = |k: &str| DEMANDS.index_of(k).unwrap();
        d[at("code")] = Value::Text("XQ-OWN-1".into());
        d[at("title")] = Value::Text("高纯氧化镁提纯工艺".into());
        d[at("enterprise")] = Value::Text("示例企业".into());
        d[at("enterprise_uscc")] = Value::Text(ent.uscc.clone());
        d[at("description")] = Value::Text("需要提纯工艺".into());
        d[at("region")] = Value::Text("211302".into());
        let actor = Actor::new("qiye", Channel::Api);
        let own = Scope::Enterprise(ent.uscc.clone());
        let e = store.save(&DEMANDS, &d, SaveMode::Create, &actor, &own);
        assert!(matches!(e, Err(StoreError::Forbidden(_))), "{e:?}");
        d[at("region")] = Value::Text("210381".into());
        store.save(&DEMANDS, &d, SaveMode::Create, &actor, &own).unwrap();
    });
}

/// Account writes are audited (application-layer issue): creating an account, changing its
/// password, disabling and enabling it each leave an entry, and no entry holds the hash.
#[test]
fn account_writes_are_audited_without_the_hash() {
    use periclase_store::{Accounts, NewAccount};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let actor = Actor::new("cli:root", Channel::Cli);
    let account = NewAccount {
        username: "haicheng".into(),
        display_name: "海城市工信局".into(),
        role: "official".into(),
        region: Some("210381".into()),
        enterprise: None,
        institution: None,
        talent: None,
        password_hash: "$argon2id$v=19$secret-hash".into(),
    };
    store.create_account(&account, &actor).unwrap();
    assert!(store.set_password("haicheng", "$argon2id$v=19$another-hash", &actor).unwrap());
    assert!(store.set_disabled("haicheng", true, &actor).unwrap());
    assert!(store.set_disabled("haicheng", false, &actor).unwrap());
    assert!(!store.set_disabled("nobody", true, &actor).unwrap(), "no account, no entry");
    let trail = store.audit(&AuditQuery { registry: Some("accounts".into()), ..Default::default() }).unwrap();
    let notes: Vec<&str> = trail.iter().rev().map(|e| e.note.as_deref().unwrap_or("")).collect();
    assert_eq!(notes, ["新建账号", "修改密码（原会话均已结束）", "停用账号（原会话均已结束）", "启用账号"]);
    assert!(trail.iter().all(|e| e.actor == "cli:root" && e.record_key.as_deref() == Some("haicheng")));
    assert!(trail[3].after.as_deref().unwrap().contains("210381"));
    for e in &trail {
        let all = format!("{:?}{:?}", e.before, e.after);
        assert!(!all.contains("hash"), "{all}");
    }
}

/// Every field the policy engine's schema offers is served by the frame reader, for every
/// subject it can be read for (application-layer issue: a gap used to show only at run time).
#[test]
fn every_policy_schema_path_is_served_by_the_frame_reader() {
    use periclase_domain::frame::{FrameRequest, SubjectKind};
    let (_dir, store, _) = demo_store(60);
    let schema = periclase_policy::schema::Schema::standard();
    let paths = |prefixes: &[&str]| -> Vec<String> {
        schema
            .fields()
            .iter()
            .filter(|f| prefixes.iter().any(|p| f.path.starts_with(&format!("{p}."))))
            .map(|f| f.path.clone())
            .collect()
    };
    for (subject, prefixes) in [
        (SubjectKind::Enterprise, &["enterprise"][..]),
        (SubjectKind::Project, &["enterprise", "project"][..]),
        (SubjectKind::FirstSet, &["enterprise", "first_set"][..]),
    ] {
        let wanted = paths(prefixes);
        assert!(!wanted.is_empty());
        let frame = store
            .subject_frame(&FrameRequest { subject, paths: wanted.clone(), year: None, region: None, keys: None })
            .unwrap_or_else(|e| panic!("{subject:?}: {e}"));
        for p in &wanted {
            assert!(frame.frame.columns.contains_key(p), "{subject:?} lacks {p}");
        }
    }
    let covered: usize = ["enterprise", "project", "first_set"].iter().map(|p| paths(&[p]).len()).sum();
    assert_eq!(covered, schema.fields().len(), "every schema field belongs to a subject");
}

/// A job's row says what happened to it after its process died: reopened, the store (as the
/// next server does at its start) marks what was left queued or running interrupted, and
/// leaves ended jobs alone. A job is visible only to the account that started it.
#[test]
fn jobs_left_open_by_a_killed_process_read_as_interrupted_and_only_their_account_sees_them() {
    use periclase_store::{JobState, Jobs};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (queued, running, done, failed) = {
        let store = SqliteStore::open(&path).unwrap();
        let ids: Vec<i64> =
            (0..4).map(|i| store.create_job("policy_run", &format!("{{\"n\":{i}}}"), 7).unwrap()).collect();
        assert_eq!(store.job(ids[0], 7).unwrap().unwrap().state, JobState::Queued);
        assert!(store.start_job(ids[1], "计算").unwrap());
        assert!(store.set_job_stage(ids[1], "存档").unwrap());
        assert!(store.start_job(ids[2], "计算").unwrap());
        assert!(store.finish_job(ids[2], "{\"run\":1}").unwrap());
        assert!(!store.start_job(ids[2], "计算").unwrap(), "a done job does not start again");
        assert!(store.fail_job(ids[3], "出错了").unwrap());
        let running = store.job(ids[1], 7).unwrap().unwrap();
        assert_eq!((running.state, running.stage.as_str()), (JobState::Running, "存档"));
        assert!(running.started_at.is_some() && running.elapsed_secs.is_some());
        // Another account sees none of them, by id or in its list.
        assert_eq!(store.job(ids[1], 8).unwrap(), None);
        assert!(store.jobs(8, 10).unwrap().is_empty());
        assert_eq!(store.jobs(7, 10).unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), {
            let mut newest_first = ids.clone();
            newest_first.reverse();
            newest_first
        });
        (ids[0], ids[1], ids[2], ids[3])
        // The process "dies" here: nothing more is written to those two jobs.
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.interrupt_unfinished_jobs("服务重启").unwrap(), 2);
    for id in [queued, running] {
        let job = store.job(id, 7).unwrap().unwrap();
        assert_eq!(job.state, JobState::Interrupted, "job {id}");
        assert_eq!(job.error.as_deref(), Some("服务重启"));
        assert!(job.finished_at.is_some());
        assert!(!store.finish_job(id, "{}").unwrap(), "an interrupted job cannot be finished late");
    }
    assert_eq!(store.job(done, 7).unwrap().unwrap().result.as_deref(), Some("{\"run\":1}"));
    assert_eq!(store.job(failed, 7).unwrap().unwrap().state, JobState::Failed);
    assert_eq!(store.job(failed, 8).unwrap(), None);
    assert_eq!(store.interrupt_unfinished_jobs("again").unwrap(), 0);
    // Hostile parameters cost bounded space.
    assert!(store.create_job("policy_run", &"x".repeat(5000), 7).is_err());
}

/// A run saved for a job marks the job done in the same transaction: a kill between the two
/// can no longer leave a saved run under a job that reads 已中断.
#[test]
fn a_run_and_its_job_are_done_together() {
    use periclase_domain::policy_run::{PolicyRunRecord, SavedRun};
    use periclase_store::JobState;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let job = store.create_job("policy_run", "{}", 7).unwrap();
    assert!(store.start_job(job, "计算").unwrap());
    let run = PolicyRunRecord {
        eval_date: "2025-06-30".into(),
        data_year: Some(2024),
        region: "210381".into(),
        chain: String::new(),
        policies: vec![("award".into(), 1)],
        totals: vec![],
        lines: vec![],
        grant: false,
        job: Some(job),
    };
    let SavedRun::New(id) = store.save_policy_run(&run, &Actor::new("haicheng", Channel::Ui)).unwrap() else {
        panic!("a new run")
    };
    let done = store.job(job, 7).unwrap().unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.result.as_deref(), Some(format!("{{\"run\":{id},\"same_as_earlier\":false}}").as_str()));
    assert_eq!(store.interrupt_unfinished_jobs("服务重启").unwrap(), 0, "nothing is left open to interrupt");
}
