//! `periclase chain list|show|gaps|leaders|targets|suggest`: the industry chain map from the
//! command line, as a table, JSON or an xlsx/csv file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use periclase_chain::report::{self, Table};
use periclase_chain::{analyse_prepared, leaders, suggest, targets, Area, EnterpriseText, Prepared};
use periclase_domain::registries::{CHAIN_MEMBERS, ENTERPRISES};
use periclase_domain::{ChainSet, ImportItem, ImportOptions, RowLocation, Value};
use periclase_io::Format;
use periclase_store::prelude::*;
use periclase_store::{Channel, ImportContext, ListQuery, SqliteStore};
use serde_json::json;

use crate::config::Config;
use crate::progress;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 列出产业链模板
    List,
    /// 各环节指标：企业数、营收、产能、梯度、项目、平台、集中度
    Show(Target),
    /// 缺口分析：缺链、弱链、断链风险、延链机会，附依据
    Gaps(Target),
    /// 链主候选企业及各项得分
    Leaders(Target),
    /// 各缺口的招商目标企业及推荐理由
    Targets(Target),
    /// 按主要产品、经营范围、行业代码为尚未上链的企业推荐环节；加 --apply 写入“待确认”
    Suggest {
        #[arg(long)]
        chain: String,
        /// 写入企业上链库，状态为“待确认”，由工作人员确认或否决
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct Target {
    /// 产业链编号或名称，如 magnesia、mg-metal、copper
    #[arg(long)]
    chain: String,
    /// 分析地区代码前缀，如 2103；默认全省（21）
    #[arg(long, default_value = "21")]
    region: String,
    /// 对比地区代码前缀；默认为所在省份（分析全省时为全部企业）
    #[arg(long)]
    benchmark: Option<String>,
    /// table、json、xlsx 或 csv
    #[arg(long, default_value = "table")]
    format: String,
    /// 输出文件（xlsx、csv 时必填）
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let chains = ChainSet::embedded();
    let find = |name: &str| {
        chains.get(name).ok_or_else(|| {
            let ids: Vec<String> = chains.chains.iter().map(|c| format!("{}（{}）", c.id, c.name)).collect();
            anyhow!("没有产业链「{name}」，可选：{}", ids.join("、"))
        })
    };
    let open = || super::open_store(config);
    match command {
        Command::List => {
            for c in &chains.chains {
                println!("{}\t{}\t{} 个环节\t版本 {}\t{}", c.id, c.name, c.leaves().count(), c.version, c.source);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Suggest { chain, apply } => {
            let chain = find(&chain)?;
            suggest_for(&open()?, chains, chain, apply)
        }
        Command::Show(t) => output(&open()?, chains, t, Part::Nodes),
        Command::Gaps(t) => output(&open()?, chains, t, Part::Findings),
        Command::Leaders(t) => output(&open()?, chains, t, Part::Leaders),
        Command::Targets(t) => output(&open()?, chains, t, Part::Targets),
    }
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Nodes,
    Findings,
    Leaders,
    Targets,
}

fn output(store: &SqliteStore, chains: &ChainSet, t: Target, part: Part) -> anyhow::Result<ExitCode> {
    let chain =
        chains.get(&t.chain).ok_or_else(|| anyhow!("没有产业链「{}」，可用 periclase chain list 查看", t.chain))?;
    let regions = periclase_domain::RegionTable::embedded();
    for r in std::iter::once(&t.region).chain(t.benchmark.as_ref()) {
        if !regions.is_known_prefix(r) {
            bail!("地区「{r}」应为2–6位行政区划代码前缀，如 21、2103、210381");
        }
    }
    let area = match &t.benchmark {
        Some(b) => Area::with_benchmark(&t.region, b),
        None => Area::new(&t.region),
    };
    let facts = store.chain_facts(&[chain.id.as_str()])?.remove(0);
    let prepared = Prepared::new(chain, &facts);
    let analysis = analyse_prepared(chain, &facts, &prepared, &area);
    let (table, value) = match part {
        Part::Nodes => (report::nodes(&chain.name, &analysis), json!(analysis.nodes)),
        Part::Findings => (report::findings(&chain.name, &analysis), json!(analysis.findings)),
        Part::Leaders => {
            let l = leaders(chain, &facts, &analysis, 20);
            (report::leaders(&chain.name, &l), json!(l))
        }
        Part::Targets => {
            let x = targets(chain, &facts, &prepared, &analysis);
            (report::targets(&chain.name, &x), json!(x))
        }
    };
    match t.format.as_str() {
        "table" => emit(&table_text(&table, &area, analysis.year))?,
        "json" => {
            let doc = json!({
                "chain": chain.id, "region": area.region, "benchmark": area.benchmark, "year": analysis.year, "rows": value,
            });
            emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        other => {
            let format: Format = other.parse().map_err(|e: String| anyhow!("{e}；或 table、json"))?;
            let out = t.out.ok_or_else(|| anyhow!("导出为 {other} 时请用 -o 指定输出文件"))?;
            let n = periclase_io::write_table(&out, format, &table.title, &table.header, &table.rows)?;
            println!("{}：{n} 行，已写入 {}", table.title, out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a closed pipe (`| head`) just ends the output.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The table, tab-separated, under a line naming the area and the data year.
fn table_text(table: &Table, area: &Area, year: Option<i64>) -> String {
    let bench = if area.benchmark.is_empty() { "全部企业".to_string() } else { area.benchmark.clone() };
    let year = year.map_or("—".to_string(), |y| y.to_string());
    let mut out = format!("{}（地区 {}，对比 {bench}，数据年度 {year}）\n", table.title, area.region);
    out.push_str(&table.header.join("\t"));
    out.push('\n');
    for row in &table.rows {
        let cells: Vec<String> =
            row.iter().map(|v| if *v == Value::Null { "—".to_string() } else { v.to_string() }).collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    if table.rows.is_empty() {
        out.push_str("（无）\n");
    }
    out
}

/// Suggests nodes of `chain` for enterprises not yet on it (nor rejected from a node of it).
fn suggest_for(
    store: &SqliteStore,
    chains: &ChainSet,
    chain: &periclase_domain::Chain,
    apply: bool,
) -> anyhow::Result<ExitCode> {
    let facts = store.chain_facts(&[chain.id.as_str()])?.remove(0);
    let on_chain: std::collections::HashSet<&str> = facts.enterprises.iter().map(|e| e.uscc.as_str()).collect();
    let one = ChainSet { chains: vec![chain.clone()] };
    let total = store.count(&ENTERPRISES, &ListQuery::default())?;
    let pb = progress::bar(Some(total), "推荐上链环节");
    let col = |k: &str| ENTERPRISES.index_of(k).expect("enterprise field");
    let (uscc, name, products, scope, industry) =
        (col("uscc"), col("name"), col("main_products"), col("business_scope"), col("industry"));
    let mut found: Vec<(String, String, String, String)> = Vec::new();
    let mut seen = 0u64;
    store.export(&ENTERPRISES, &ListQuery::default(), &mut |row| {
        seen += 1;
        if seen.is_multiple_of(4096) {
            pb.set_position(seen);
        }
        let key = row[uscc].to_string();
        if on_chain.contains(key.as_str()) {
            return Ok(());
        }
        let text = |i: usize| if let Value::Text(s) = &row[i] { s.as_str() } else { "" };
        let e = EnterpriseText {
            name: text(name),
            products: text(products),
            scope: text(scope),
            industry: row[industry].as_str(),
        };
        if let Some(best) = suggest(&one, &e).into_iter().next() {
            found.push((key, text(name).to_string(), best.node, best.reason));
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    if !apply {
        for (u, n, node, why) in &found {
            println!("{u}\t{n}\t{}\t{why}", chains.display(node));
        }
        println!("共 {} 家企业可推荐上「{}」；加 --apply 写入待确认", found.len(), chain.name);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<ImportItem> = found
        .iter()
        .enumerate()
        .map(|(i, (u, _, node, why))| ImportItem {
            location: RowLocation { sheet: None, row: i as u64 + 1 },
            row: Ok(vec![
                Value::Text(u.clone()),
                Value::Text(node.clone()),
                Value::Text("suggested".into()),
                Value::Text(why.clone()),
            ]),
        })
        .collect();
    let actor = crate::cli_actor(Channel::Cli);
    let ctx =
        ImportContext { opts: ImportOptions::default(), actor: &actor, scope: None, source: Some("chain suggest") };
    let mut issues = Vec::new();
    let outcome = store.import(&CHAIN_MEMBERS, &mut rows.into_iter(), &ctx, &mut |i| issues.push(i), &mut |_| {})?;
    if !outcome.committed {
        bail!("写入失败，未保存任何推荐：{}", issues.iter().map(|i| i.reason.clone()).collect::<Vec<_>>().join("；"));
    }
    println!("「{}」：新增待确认 {} 条，未变 {} 条", chain.name, outcome.inserted, outcome.unchanged);
    Ok(ExitCode::SUCCESS)
}
