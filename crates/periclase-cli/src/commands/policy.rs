//! `periclase policy list|check|test|run|runs|explain`: the policy engine from the command
//! line — the shipped policies or a directory of one's own, their YAML tests, batch runs
//! (免申即享 lists, the award ledger) and the explanation of a policy for one subject.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use periclase_app::policy_run::{run_policies, PolicyRun};
use periclase_domain::frame::FrameRequest;
use periclase_domain::policy_run::SavedRun;
use periclase_policy::run::{fields_of, list_rows, BatchSpec, LIST_HEADER};
use periclase_policy::set::{EMBEDDED, EMBEDDED_TESTS};
use periclase_policy::{apply_stacking, date, explain, render, testcase, Policy, PolicySet, Scalar, Schema, Subject};

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 列出政策：编号、名称、类别、对象、有效期
    List(Source),
    /// 解析并校验政策文件（条件、参数、金额公式），列出所有错误及其行列
    Check(Source),
    /// 运行政策测试用例（YAML）
    Test(Source),
    /// 批量运行（免申即享）：对全部或某地区的企业、项目逐项计算，生成名单并存档；
    /// 加 --grant 将一次性奖补登记入账（已入账的不会重复兑现）
    Run {
        #[command(flatten)]
        source: Source,
        /// 只运行这些政策（可重复）；默认运行全部在有效期内的非自测政策
        #[arg(long = "policy")]
        policies: Vec<String>,
        /// 地区代码前缀，如 2103；默认全部
        #[arg(long)]
        region: Option<String>,
        /// 只计算某条产业链上的企业和项目，如 magnesia
        #[arg(long)]
        chain: Option<String>,
        /// 评估日期（决定参数取值），默认今天
        #[arg(long)]
        date: Option<String>,
        /// 数据年度，默认为最近有填报的年度
        #[arg(long)]
        year: Option<i64>,
        /// 名单经审定：一次性奖补登记入账
        #[arg(long)]
        grant: bool,
        /// 名单导出为 xlsx 或 csv
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// 列出已存档的批量运行
    Runs,
    /// 政策沙盘：改参数或条件，与现行政策比较受益对象增减、资金需求，按地区和产业链环节分列；
    /// 可设预算，按比例分配或按金额排序截断
    Simulate {
        #[command(flatten)]
        source: Source,
        /// 政策编号
        #[arg(long)]
        policy: String,
        /// 改参数，如 --set rate=0.08（可重复）
        #[arg(long = "set", value_name = "参数=值")]
        set: Vec<String>,
        /// 改条件，如 --when 'investment=project.total_investment >= 3000'（可重复）
        #[arg(long = "when", value_name = "条件编号=表达式")]
        when: Vec<String>,
        /// 预算（万元）
        #[arg(long)]
        budget: Option<f64>,
        /// 超出预算时：prorate（按比例分配）或 rank（按金额从高到低，额满为止）；默认按政策规定
        #[arg(long)]
        budget_rule: Option<String>,
        /// 地区代码前缀；默认全部
        #[arg(long)]
        region: Option<String>,
        /// 评估日期，默认今天
        #[arg(long)]
        date: Option<String>,
        /// 数据年度，默认为最近有填报的年度
        #[arg(long)]
        year: Option<i64>,
        /// text 或 json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// 说明某项政策对某企业或项目是否适用：逐条条件、所用数值、缺少的数据及其来源部门
    Explain {
        #[command(flatten)]
        source: Source,
        /// 政策编号，如 magnesite-project-support；省略时逐项说明所有适用于该对象的政策
        #[arg(long)]
        policy: Option<String>,
        /// 企业统一社会信用代码
        #[arg(long, conflicts_with = "project")]
        enterprise: Option<String>,
        /// 项目编号
        #[arg(long, conflicts_with = "first_set")]
        project: Option<String>,
        /// 首台（套）保单号
        #[arg(long)]
        first_set: Option<String>,
        /// 评估日期（决定参数取值），默认今天，如 2025-06-30
        #[arg(long)]
        date: Option<String>,
        /// 数据年度，默认为最近有填报的年度
        #[arg(long)]
        year: Option<i64>,
        /// text 或 json
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct Source {
    /// 政策目录（*.toml，测试用例在其下 tests/*.yaml）；默认使用内置政策
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// (file name, text) pairs of `dir/*.{ext}`, sorted by name.
fn read_dir(dir: &Path, ext: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("无法读取目录 {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some(ext) {
            let text = std::fs::read_to_string(&path).with_context(|| format!("无法读取 {}", path.display()))?;
            files.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), text));
        }
    }
    files.sort();
    Ok(files)
}

fn policies(source: &Source, schema: &Schema) -> anyhow::Result<PolicySet> {
    let loaded = match &source.dir {
        None => PolicySet::load(EMBEDDED, schema),
        Some(dir) => {
            let files = read_dir(dir, "toml")?;
            if files.is_empty() {
                bail!("目录 {} 中没有政策文件（*.toml）", dir.display());
            }
            let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            PolicySet::load(&borrowed, schema)
        }
    };
    loaded.map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        anyhow!("政策文件有 {} 处错误：\n{}", errors.len(), lines.join("\n"))
    })
}

fn eval_day(text: Option<String>) -> anyhow::Result<i32> {
    match text {
        Some(d) => date::parse(&d).ok_or_else(|| anyhow!("日期「{d}」无效，应写作 2025-06-30")),
        None => Ok(date::today()),
    }
}

fn policy_line(p: &Policy) -> String {
    let to = p.valid_to.map_or_else(|| "长期".to_string(), date::format);
    let subject = p.subject.label();
    let marks = [(p.once, "一次性"), (p.self_assessment, "自测"), (p.exclusive_group.is_some(), "不重复享受")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, m)| *m)
        .collect::<Vec<_>>()
        .join("、");
    format!(
        "{}\t{}\t{}\t{subject}\t{} 至 {to}\t{}",
        p.id,
        p.title,
        p.category.label(),
        date::format(p.valid_from),
        marks
    )
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let schema = Schema::standard();
    // Written with `?` so that a closed pipe (`| head`) ends the command instead of a panic.
    let mut out = std::io::stdout().lock();
    match command {
        Command::List(source) => {
            for p in &policies(&source, &schema)?.policies {
                writeln!(out, "{}", policy_line(p))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(source) => {
            let set = policies(&source, &schema)?;
            let conditions: usize = set.policies.iter().map(|p| p.conditions.len()).sum();
            writeln!(out, "{} 项政策、{conditions} 个条件全部通过校验", set.policies.len())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Test(source) => {
            let set = policies(&source, &schema)?;
            let files: Vec<(String, String)> = match &source.dir {
                None => EMBEDDED_TESTS.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
                Some(dir) => read_dir(&dir.join("tests"), "yaml")?,
            };
            let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            let report = testcase::run(&set, &schema, &borrowed);
            for f in &report.failures {
                writeln!(out, "✘ {} · {} · {}：{}", f.file, f.policy, f.case, f.message)?;
            }
            writeln!(out, "{} 个用例通过，{} 个失败", report.passed, report.failures.len())?;
            Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Run { source, policies: ids, region, chain, date: day, year, grant, out: file } => {
            let chain = chain
                .map(|c| {
                    periclase_domain::ChainSet::embedded().get(&c).map(|c| c.id.clone()).ok_or_else(|| {
                        let ids: Vec<&str> =
                            periclase_domain::ChainSet::embedded().chains.iter().map(|c| c.id.as_str()).collect();
                        anyhow!("没有产业链「{c}」，可选：{}", ids.join("、"))
                    })
                })
                .transpose()?;
            let set = policies(&source, &schema)?;
            let day = eval_day(day)?;
            let chosen: Vec<&Policy> = if ids.is_empty() {
                set.policies.iter().filter(|p| !p.self_assessment && p.in_force(day)).collect()
            } else {
                ids.iter()
                    .map(|id| set.get(id).ok_or_else(|| anyhow!("没有政策「{id}」；用 periclase policy list 查看")))
                    .collect::<anyhow::Result<_>>()?
            };
            if let Some(r) = &region {
                if !periclase_domain::RegionTable::embedded().is_known_prefix(r) {
                    bail!("地区「{r}」应为2–6位行政区划代码前缀，如 21、2103、210381");
                }
            }
            let store = super::open_any(config)?;
            let spinner = crate::progress::bar(None, periclase_app::policy_run::STAGE_COMPUTE);
            let spec = BatchSpec { policies: chosen, region, chain, year, day, grant };
            let actor = crate::cli_actor(periclase_store::Channel::Cli);
            let PolicyRun { outcome, record, subjects: [enterprises, projects, first_sets], saved } =
                run_policies(store.as_ref(), &spec, &actor, None, &mut |stage| spinner.set_message(stage))?;
            spinner.finish_and_clear();
            writeln!(
                out,
                "评估日期 {}，数据年度 {}，{enterprises} 户企业、{projects} 个项目、{first_sets} 份首台（套）保单",
                record.eval_date,
                record.data_year.map_or_else(|| "无".into(), |y| y.to_string()),
            )?;
            for line in periclase_policy::run::summary_lines(&outcome.totals) {
                writeln!(out, "  {line}")?;
            }
            let total: f64 = outcome.totals.iter().map(|t| t.granted).sum();
            match saved {
                SavedRun::New(id) => writeln!(
                    out,
                    "已存档为第 {id} 次运行，名单 {} 条，合计兑现 {} 万元{}",
                    record.lines.len(),
                    periclase_policy::engine::show_money(total),
                    if grant {
                        "，一次性奖补已登记入账"
                    } else {
                        "（预览：未入账，审定后加 --grant 再运行）"
                    }
                )?,
                SavedRun::SameAs(id) => writeln!(out, "与第 {id} 次运行的政策、数据和结果完全相同，未重复存档")?,
            }
            if let Some(file) = file {
                let format: periclase_io::Format = file
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .parse()
                    .map_err(|e: String| anyhow!("{e}"))?;
                let rows = list_rows(&record.lines, &set);
                let n = periclase_io::write_table(&file, format, "免申即享名单", &LIST_HEADER, &rows)?;
                writeln!(out, "名单 {n} 行，已写入 {}", file.display())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate { source, policy, set: sets, when, budget, budget_rule, region, date: day, year, format } => {
            use periclase_policy::simulate::{apply, simulate, BudgetRule, Changes};
            let set = policies(&source, &schema)?;
            let day = eval_day(day)?;
            let base =
                set.get(&policy).ok_or_else(|| anyhow!("没有政策「{policy}」；用 periclase policy list 查看"))?;
            let mut changes = Changes::default();
            for item in &sets {
                let (name, value) = item.split_once('=').ok_or_else(|| anyhow!("--set「{item}」应写作 参数=值"))?;
                let param = base.params.iter().find(|p| p.name == name.trim());
                let value = match param.map(|p| p.ty) {
                    Some(periclase_policy::Ty::Num) => Scalar::Num(
                        value.trim().parse().map_err(|_| anyhow!("参数「{name}」应为数值，「{value}」不是"))?,
                    ),
                    Some(periclase_policy::Ty::Bool) => Scalar::Bool(matches!(value.trim(), "true" | "是" | "1")),
                    Some(periclase_policy::Ty::List) => {
                        Scalar::List(value.split([',', '，', '、']).map(|v| v.trim().to_string()).collect())
                    }
                    _ => Scalar::Text(value.trim().to_string()),
                };
                changes.params.push((name.trim().to_string(), value));
            }
            for item in &when {
                let (id, expr) =
                    item.split_once('=').ok_or_else(|| anyhow!("--when「{item}」应写作 条件编号=表达式"))?;
                changes.conditions.push((id.trim().to_string(), expr.trim().to_string()));
            }
            let scenario = apply(base, &changes, &schema).map_err(|e| anyhow!(e))?;
            // The policy's own budget and rule unless the command gives others.
            let budget = budget.or(base.budget.and_then(|b| b.amount));
            let rule = match budget_rule.as_deref() {
                None => base.budget.map_or(BudgetRule::Prorate, |b| b.rule),
                Some("prorate") => BudgetRule::Prorate,
                Some("rank") => BudgetRule::Rank,
                Some(other) => bail!("预算规则「{other}」不支持，可选 prorate（按比例）、rank（按金额排序截断）"),
            };
            let kind = base.subject.kind();
            let mut paths = fields_of([base, &scenario].into_iter());
            let node = if base.subject == Subject::Project { "project.chain_node" } else { "enterprise.chain_nodes" };
            if !paths.iter().any(|p| p == node) {
                paths.push(node.into());
            }
            let store = super::open_any(config)?;
            let spinner = crate::progress::bar(None, "读取数据并计算");
            let subjects = store.subject_frame(&FrameRequest { subject: kind, paths, year, region, keys: None })?;
            let sim = simulate(base, &scenario, &subjects, day, budget.map(|b| (b, rule)));
            spinner.finish_and_clear();
            if format == "json" {
                writeln!(out, "{}", serde_json::to_string_pretty(&sim)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            let num = periclase_policy::engine::show_money;
            let signed = |x: f64| if x > 0.0 { format!("+{}", num(x)) } else { num(x) };
            writeln!(
                out,
                "《{}》政策沙盘：评估日期 {}，{} 个对象",
                base.title,
                date::format(day),
                subjects.keys.len()
            )?;
            for (name, value) in &changes.params {
                let p = base.params.iter().find(|p| &p.name == name).expect("checked by apply");
                let before = p.at(day).map_or_else(|| "（无）".into(), periclase_policy::engine::show_scalar);
                writeln!(out, "  参数「{}」：{before} → {}", p.label, periclase_policy::engine::show_scalar(value))?;
            }
            for (id, text) in &changes.conditions {
                let c = base.conditions.iter().find(|c| &c.id == id).expect("checked by apply");
                writeln!(out, "  条件「{}」：{} → {text}", c.label, c.text)?;
            }
            let row = |label: &str, g: &periclase_policy::simulate::Group| {
                format!(
                    "{label}	{}	{}	{:+}	{}	{}	{:+}",
                    g.baseline.eligible,
                    g.scenario.eligible,
                    g.scenario.eligible as i64 - g.baseline.eligible as i64,
                    num(g.baseline.cost),
                    num(g.scenario.cost),
                    signed(g.scenario.cost - g.baseline.cost)
                )
            };
            writeln!(
                out,
                "
范围	现行符合	方案符合	变化	现行资金（万元）	方案资金（万元）	变化"
            )?;
            writeln!(out, "{}", row("合计", &sim.total))?;
            if sim.total.scenario.unknown > 0 {
                writeln!(out, "（另有 {} 个对象待补充数据，未计入）", sim.total.scenario.unknown)?;
            }
            if let (Some(b), Some(raw)) = (budget, sim.unbudgeted_cost) {
                let how = if rule == BudgetRule::Prorate {
                    "按比例分配"
                } else {
                    "按金额从高到低，额满为止"
                };
                let funded = sim.funded.unwrap_or(0);
                writeln!(out, "预算 {} 万元低于需求 {} 万元：{how}，{funded} 个对象获兑现", num(b), num(raw))?;
            }
            let names = |keys: &[String]| {
                let shown: Vec<&str> = keys.iter().take(10).map(String::as_str).collect();
                format!(
                    "{}{}",
                    shown.join("、"),
                    if keys.len() > 10 { format!(" 等 {} 个", keys.len()) } else { String::new() }
                )
            };
            writeln!(out, "新增符合 {}：{}", sim.gaining.len(), names(&sim.gaining))?;
            writeln!(out, "不再符合 {}：{}", sim.losing.len(), names(&sim.losing))?;
            writeln!(
                out,
                "
按地区（市）"
            )?;
            for g in &sim.by_region {
                let name = periclase_domain::RegionTable::embedded().full_name(&format!("{}00", g.key));
                writeln!(out, "{}", row(&name.unwrap_or_else(|| g.key.clone()), g))?;
            }
            if !sim.by_node.is_empty() {
                writeln!(
                    out,
                    "
按产业链环节"
                )?;
                for g in &sim.by_node {
                    writeln!(out, "{}", row(&periclase_domain::ChainSet::embedded().display(&g.key), g))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs => {
            let store = super::open_any(config)?;
            for r in store.policy_runs(50)? {
                writeln!(
                    out,
                    "#{}	{}	{}	评估日期 {}	地区 {}	{}	名单 {} 条	{}",
                    r.id,
                    r.created_at,
                    r.actor,
                    r.eval_date,
                    if r.region.is_empty() { "全部".to_string() } else { r.region.clone() }
                        + &if r.chain.is_empty() { String::new() } else { format!("，产业链 {}", r.chain) },
                    r.policies,
                    r.lines,
                    if r.granted { "已入账" } else { "预览" }
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { source, policy, enterprise, project, first_set, date: day, year, format } => {
            let set = policies(&source, &schema)?;
            let (subject, key) = match (enterprise, project, first_set) {
                (Some(e), None, None) => (Subject::Enterprise, e),
                (None, Some(p), None) => (Subject::Project, p),
                (None, None, Some(f)) => (Subject::FirstSet, f),
                _ => bail!("请用 --enterprise 给出企业信用代码，或用 --project 给出项目编号，或用 --first-set 给出首台（套）保单号"),
            };
            let day = eval_day(day)?;
            let chosen: Vec<&Policy> = match &policy {
                Some(id) => {
                    let p = set.get(id).ok_or_else(|| anyhow!("没有政策「{id}」；用 periclase policy list 查看"))?;
                    if p.subject != subject {
                        bail!(
                            "政策「{}」的对象是{}",
                            p.title,
                            if p.subject == Subject::Project { "项目" } else { "企业" }
                        );
                    }
                    vec![p]
                }
                None => set.policies.iter().filter(|p| p.subject == subject && p.in_force(day)).collect(),
            };
            let paths = fields_of(chosen.iter().copied());
            let store = super::open_any(config)?;
            let request = FrameRequest { subject: subject.kind(), paths, year, region: None, keys: Some(vec![key]) };
            let subjects = store.subject_frame(&request)?;
            let mut explanations: Vec<_> =
                chosen.iter().map(|p| explain(p, &schema, &subjects.frame, 0, day)).collect();
            apply_stacking(&chosen, &mut explanations);
            if format == "json" {
                writeln!(out, "{}", serde_json::to_string_pretty(&explanations)?)?;
            } else if format == "text" {
                writeln!(
                    out,
                    "{}（{}），数据年度 {}，评估日期 {}",
                    subjects.names[0],
                    subjects.keys[0],
                    subjects.year.map_or_else(|| "无".to_string(), |y| y.to_string()),
                    date::format(day)
                )?;
                for x in &explanations {
                    writeln!(out)?;
                    write!(out, "{}", render(x))?;
                }
            } else {
                bail!("格式「{format}」不支持，可选 text、json");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
