//! `periclase match demand|achievement|expert|finance|eval`: 产需对接 from the command line —
//! a record's ranked matches with why, and the matcher measured on a labelled set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use periclase_domain::{registry, RegistryId};
use periclase_search::eval::{parse_records, parse_run, rank_demands, score, Qrels};
use periclase_search::{counterpart, MatchRequest, Weights};
use periclase_store::prelude::*;
use std::io::Write;

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 为一条需求找成果，如 periclase match demand XQ000001
    Demand(RecordArgs),
    /// 为一项成果找需求
    Achievement(RecordArgs),
    /// 为企业找适合的金融产品（按适用对象、规模、专利等逐项判断）
    Finance {
        /// 企业统一社会信用代码
        uscc: String,
        /// 输出 JSON
        #[arg(long)]
        json: bool,
    },
    /// 为课题或申报项目找专家（专家库成员）
    Expert {
        /// 课题名称或内容，如 "镁合金压铸件热裂控制"
        topic: String,
        #[command(flatten)]
        out: OutArgs,
    },
    /// 评测匹配质量：目录中需有 achievements.jsonl、demands.jsonl、qrels.tsv；
    /// 输出 nDCG@10、Recall@10、MRR
    Eval {
        /// 评测集目录
        #[arg(long)]
        data: PathBuf,
        /// 改为评测另一系统的排序结果（每行：需求编号 成果编号，按名次先后）
        #[arg(long)]
        run: Option<PathBuf>,
        /// 同时列出去掉各项特征后的得分（消融）
        #[arg(long)]
        ablate: bool,
        /// 把排序结果写入文件（每行：需求编号 成果编号 名次）
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// 编号
    pub code: String,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Debug, clap::Args)]
pub struct OutArgs {
    /// 条数（默认 10）
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// 输出 JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demand(a) => record(config, RegistryId::Demands, a),
        Command::Achievement(a) => record(config, RegistryId::Achievements, a),
        Command::Finance { uscc, json } => finance(config, &uscc, json),
        Command::Expert { topic, out } => {
            let req = MatchRequest {
                title: topic,
                target: registry(RegistryId::Talents).name.to_string(),
                tier: Some(periclase_search::doc::EXPERT.to_string()),
                limit: out.limit,
                ..MatchRequest::default()
            };
            matches(config, &req, &out)
        }
        Command::Eval { data, run, ablate, out } => eval(&data, run.as_deref(), ablate, out.as_deref()),
    }
}

fn record(config: &Config, id: RegistryId, a: RecordArgs) -> anyhow::Result<ExitCode> {
    let spec = registry(id);
    let store = super::open_store(config)?;
    let Some(rec) = store.get(spec, &a.code, None)? else {
        anyhow::bail!("{}中没有编号为「{}」的记录", spec.label, a.code);
    };
    let target = counterpart(spec).expect("demands and achievements have counterparts");
    let req = MatchRequest::from_row(spec, &rec.row, target.name, a.out.limit);
    matches(config, &req, &a.out)
}

fn finance(config: &Config, uscc: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let Some((rec, found)) = periclase_app::finance_match::for_enterprise(&store, uscc, None)? else {
        anyhow::bail!("企业库中没有统一社会信用代码为「{uscc}」的企业");
    };
    let mut w = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut w, &found)?;
        writeln!(w)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(w, "{}：{} 个金融产品可能适合", rec.row[1], found.len())?;
    for (i, m) in found.iter().enumerate() {
        let mark = if m.fits { "符合" } else { "待核实" };
        writeln!(w, "{:>2}. [{mark}] {}（{}，{}）{}", i + 1, m.name, m.institution, m.kind, m.terms)?;
        for r in &m.reasons {
            writeln!(w, "      · {r}")?;
        }
        for r in &m.to_confirm {
            writeln!(w, "      ? 需核实：{r}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn matches(config: &Config, req: &MatchRequest, out: &OutArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let service = super::search::open_current(config, &store)?;
    let found = service.index().matches(req, &Weights::default())?;
    let mut w = std::io::stdout().lock();
    if out.json {
        serde_json::to_writer_pretty(&mut w, &found)?;
        writeln!(w)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        writeln!(w, "没有找到匹配的记录")?;
    }
    for (i, m) in found.iter().enumerate() {
        writeln!(w, "{:>2}. {}  {}  （得分 {:.2}）", i + 1, m.key, m.title, m.score)?;
        for r in &m.reasons {
            writeln!(w, "      · {}", r.describe())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).with_context(|| format!("无法读取 {}", path.display()))
}

fn eval(dir: &Path, run: Option<&Path>, ablate: bool, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let qrels = Qrels::parse(&read(dir, "qrels.tsv")?, "qrels.tsv")?;
    if let Some(path) = run {
        let text = std::fs::read_to_string(path).with_context(|| format!("无法读取 {}", path.display()))?;
        println!("{}", score(&parse_run(&text, &path.display().to_string())?, &qrels));
        return Ok(ExitCode::SUCCESS);
    }
    let achievements =
        parse_records(registry(RegistryId::Achievements), &read(dir, "achievements.jsonl")?, "achievements.jsonl")?;
    let demands = parse_records(registry(RegistryId::Demands), &read(dir, "demands.jsonl")?, "demands.jsonl")?;
    let full = Weights::default();
    let runs = rank_demands(&achievements, &demands, &full, 100)?;
    println!("{}", score(&runs, &qrels));
    if let Some(path) = out {
        let mut text = String::new();
        for (q, ranked) in &runs {
            for (i, d) in ranked.iter().enumerate() {
                text.push_str(&format!("{q}\t{d}\t{}\n", i + 1));
            }
        }
        std::fs::write(path, text).with_context(|| format!("无法写入 {}", path.display()))?;
    }
    if ablate {
        let variants: [(&str, Weights); 4] = [
            ("不加领域一致", Weights { same_domain: 0.0, ..full }),
            ("不加成熟度", Weights { maturity: 0.0, ..full }),
            ("不加同城", Weights { same_city: 0.0, ..full }),
            ("仅 BM25（字段加权）", Weights { same_domain: 0.0, maturity: 0.0, same_city: 0.0, ..full }),
        ];
        for (name, w) in variants {
            let runs = rank_demands(&achievements, &demands, &w, 100)?;
            println!("{}  {name}", score(&runs, &qrels));
        }
    }
    Ok(ExitCode::SUCCESS)
}
