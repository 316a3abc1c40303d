//! Export → import round trips, through CSV and xlsx, at the file level and through the
//! store.

use std::path::Path;

use periclase_domain::registries::{ENTERPRISES, ENTERPRISE_FIGURES};
use periclase_domain::{ImportOptions, RegistrySpec, Row, Uscc, Value};
use periclase_io::{open_import, Exporter, Format, ReadOptions};
use periclase_store::prelude::*;
use periclase_store::{Actor, Channel, ImportContext, ListQuery, SqliteStore};
use proptest::prelude::*;

const REGIONS: &[&str] = &["210381", "210882", "210804", "341702", "411282", "110105", "650102"];
const INDUSTRIES: &[&str] = &["C3089", "B1099", "C3217", "I6513"];

/// Text as users type it, already normalised: no surrounding space, no full-width letters
/// or digits; commas, quotes, newlines and Chinese punctuation included on purpose.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[示例镁砂耐火材料有限公司（）“”\",\n'a-zA-Z0-9#=+@ -]{{1,{max}}}"))
        .unwrap()
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn item() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[电熔镁砂轻烧氧化镁砖A-Z0-9]{1,8}").unwrap()
}

fn opt<T: std::fmt::Debug + Clone>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn enterprise() -> impl Strategy<Value = Row> {
    (
        "[0-9A-HJ-NP-RTUW-Y]{17}",
        text(40),
        proptest::sample::select(REGIONS),
        opt(text(60)),
        opt(proptest::sample::select(INDUSTRIES)),
        opt((1950i64..2030, 1i64..13, 1i64..29)),
        opt(proptest::collection::vec(item(), 1..4)),
        opt(text(300)),
        opt(any::<bool>()),
    )
        .prop_map(|(body, name, region, address, industry, founded, products, scope, external)| {
            let t = |s: Option<String>| s.map_or(Value::Null, Value::Text);
            vec![
                Value::Text(Uscc::complete(&body).unwrap().to_string()),
                Value::Text(name),
                Value::Text(region.to_string()),
                t(address),
                t(industry.map(str::to_string)),
                t(founded.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))),
                t(products.map(|p| p.join("；"))),
                t(scope),
                external.map_or(Value::Null, |b| Value::Int(i64::from(b))),
            ]
        })
}

fn figure() -> impl Strategy<Value = Row> {
    (
        "[0-9A-HJ-NP-RTUW-Y]{17}",
        2000i64..2030,
        proptest::sample::select(vec!["revenue", "employees", "debt_ratio", "rd_spend"]),
        prop_oneof![0.0f64..1.0, 0.0f64..1e6, 1e6f64..1e13, (0u32..1_000_000).prop_map(f64::from)],
        text(20),
    )
        .prop_map(|(body, year, metric, value, source)| {
            vec![
                Value::Text(Uscc::complete(&body).unwrap().to_string()),
                Value::Int(year),
                Value::Text(metric.to_string()),
                Value::Real(value),
                Value::Text(source),
                Value::Text(format!("{}-04-30", year + 1)),
            ]
        })
}

fn ctx() -> ImportContext<'static> {
    static ACTOR: std::sync::OnceLock<Actor> = std::sync::OnceLock::new();
    let actor = ACTOR.get_or_init(|| Actor::new("test", Channel::Cli));
    ImportContext { opts: ImportOptions::default(), actor, scope: None, source: None }
}

fn unique_by_key(spec: &RegistrySpec, rows: Vec<Row>) -> Vec<Row> {
    let mut seen = std::collections::HashSet::new();
    let keys = spec.key_indices();
    rows.into_iter().filter(|r| seen.insert(keys.iter().map(|&i| r[i].to_string()).collect::<Vec<_>>())).collect()
}

fn write(path: &Path, format: Format, spec: &'static RegistrySpec, rows: &[Row]) {
    let mut w = Exporter::create(path, format, spec).unwrap();
    for r in rows {
        w.write_row(r).unwrap();
    }
    assert_eq!(w.finish().unwrap(), rows.len() as u64);
}

fn read(path: &Path, spec: &'static RegistrySpec) -> Vec<Row> {
    open_import(path, spec, ReadOptions::default())
        .unwrap()
        .map(|item| item.row.unwrap_or_else(|e| panic!("row {}: {e:?}", item.location.row)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn enterprise_files_round_trip(rows in proptest::collection::vec(enterprise(), 1..30), xlsx in any::<bool>()) {
        let rows = unique_by_key(&ENTERPRISES, rows);
        let dir = tempfile::tempdir().unwrap();
        let (format, name) = if xlsx { (Format::Xlsx, "e.xlsx") } else { (Format::Csv, "e.csv") };
        let path = dir.path().join(name);
        write(&path, format, &ENTERPRISES, &rows);
        prop_assert_eq!(read(&path, &ENTERPRISES), rows);
    }

    #[test]
    fn figure_files_round_trip_decimals_exactly(rows in proptest::collection::vec(figure(), 1..30), xlsx in any::<bool>()) {
        let rows = unique_by_key(&ENTERPRISE_FIGURES, rows);
        let dir = tempfile::tempdir().unwrap();
        let (format, name) = if xlsx { (Format::Xlsx, "f.xlsx") } else { (Format::Csv, "f.csv") };
        let path = dir.path().join(name);
        write(&path, format, &ENTERPRISE_FIGURES, &rows);
        prop_assert_eq!(read(&path, &ENTERPRISE_FIGURES), rows);
    }

    #[test]
    fn store_export_import_round_trips(rows in proptest::collection::vec(enterprise(), 1..30), xlsx in any::<bool>()) {
        let rows = unique_by_key(&ENTERPRISES, rows);
        let dir = tempfile::tempdir().unwrap();
        let first = SqliteStore::open(dir.path().join("a.db")).unwrap();
        let items = rows.iter().enumerate().map(|(i, r)| periclase_domain::ImportItem {
            location: periclase_domain::RowLocation { sheet: None, row: i as u64 + 2 },
            row: Ok(r.clone()),
        });
        let out = first.import(&ENTERPRISES, &mut items.into_iter(), &ctx(), &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap();
        prop_assert!(out.committed);

        let (format, name) = if xlsx { (Format::Xlsx, "x.xlsx") } else { (Format::Csv, "x.csv") };
        let path = dir.path().join(name);
        let mut w = Exporter::create(&path, format, &ENTERPRISES).unwrap();
        first.export(&ENTERPRISES, &ListQuery::default(), &mut |r| { w.write_row(r).unwrap(); Ok(()) }).unwrap();
        w.finish().unwrap();

        let second = SqliteStore::open(dir.path().join("b.db")).unwrap();
        let mut source = open_import(&path, &ENTERPRISES, ReadOptions::default()).unwrap();
        let out = second.import(&ENTERPRISES, &mut source, &ctx(), &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap();
        prop_assert_eq!(out.inserted, rows.len() as u64);

        let dump = |s: &SqliteStore| {
            let mut all = Vec::new();
            s.export(&ENTERPRISES, &ListQuery::default(), &mut |r| { all.push(r.clone()); Ok(()) }).unwrap();
            all
        };
        prop_assert_eq!(dump(&second), dump(&first));
        prop_assert_eq!(dump(&first), rows);
    }
}

#[test]
fn exports_past_excels_row_limit_continue_on_a_second_sheet_and_read_back() {
    // Writing 1,048,576+ rows takes a while; the rollover logic is the same at any size, so
    // this test checks the reader side: continuation sheets named "<name>(2)" are read on.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for (sheet, serial) in [("企业库", 1u32), ("企业库(2)", 2)] {
        let ws = book.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (c, h) in ["统一社会信用代码", "企业名称", "所属地区"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let uscc = Uscc::complete(&format!("91210381{serial:08}X")).unwrap().to_string();
        ws.write_string(1, 0, &uscc).unwrap();
        ws.write_string(1, 1, "示例公司").unwrap();
        ws.write_string(1, 2, "210381").unwrap();
    }
    book.save(&path).unwrap();
    let items: Vec<_> = open_import(&path, &ENTERPRISES, ReadOptions::default()).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].location.sheet.as_deref(), Some("企业库(2)"));
    assert_eq!(items[1].location.row, 2);
}
