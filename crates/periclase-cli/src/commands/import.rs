use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use periclase_domain::ImportOptions;
use periclase_io::{encoding_from_label, open_import, ErrorReport, ReadOptions};
use periclase_store::{Channel, ImportContext};

use crate::config::Config;
use crate::progress;

/// Problems printed on the terminal; the report file has all of them.
const SHOWN_ISSUES: u64 = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 库名，如 enterprises 或 企业库（periclase registries 可列出全部）
    registry: String,
    /// 要导入的 .xlsx / .xls / .ods / .csv 文件
    file: PathBuf,
    /// 只写入正确的行，错误行写入报告（默认：有任何错误则全部不写入）
    #[arg(long)]
    partial: bool,
    /// 只检查并统计将新增、更新多少行，不写入
    #[arg(long)]
    dry_run: bool,
    /// CSV 编码：utf-8、gbk、gb18030（默认自动识别）
    #[arg(long)]
    encoding: Option<String>,
    /// 工作表名称（默认第一个）
    #[arg(long)]
    sheet: Option<String>,
    /// 忽略不认识的列（默认报错，以免数据被悄悄丢掉）
    #[arg(long)]
    ignore_unknown_columns: bool,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let spec = super::registry(&args.registry)?;
    let encoding = args.encoding.as_deref().map(encoding_from_label).transpose()?;
    // The registries of either store: an SQLite file, or a PostgreSQL server.
    let store: Box<dyn periclase_store::Registries> = match super::postgres_params(config) {
        Some(params) => Box::new(super::open_postgres(params)?),
        None => Box::new(super::open_store(config)?),
    };
    let opts = ReadOptions { encoding, sheet: args.sheet.clone(), ignore_unknown_columns: args.ignore_unknown_columns };
    let mut source = open_import(&args.file, spec, opts)?;
    let mut report = ErrorReport::for_input(&args.file);
    let mut report_error = None;
    let pb = progress::bar(None, &format!("导入{}", spec.label));
    let outcome = store.import(
        spec,
        &mut source,
        &ImportContext {
            opts: ImportOptions { partial: args.partial, dry_run: args.dry_run },
            actor: &crate::cli_actor(Channel::Import),
            scope: None,
            source: args.file.file_name().and_then(|n| n.to_str()),
        },
        &mut |issue| {
            if report.count() < SHOWN_ISSUES {
                let sheet = issue.location.sheet.as_deref().map(|s| format!("工作表「{s}」")).unwrap_or_default();
                let column = issue.column.as_deref().map(|c| format!("「{c}」列")).unwrap_or_default();
                pb.suspend(|| eprintln!("  {sheet}第{}行{column}：{}", issue.location.row, issue.reason));
            }
            if let Err(e) = report.add(&issue) {
                report_error.get_or_insert(e);
            }
        },
        &mut |n| pb.set_position(n),
    )?;
    pb.finish_and_clear();
    let blank = source.blank_rows();
    let issues = report.count();
    let report_path = report.finish()?;
    if let Some(e) = report_error {
        return Err(e).context("错误报告写入失败");
    }
    let blank_note = if blank > 0 { format!("，跳过空行 {blank}") } else { String::new() };
    println!(
        "{}：读取 {} 行{blank_note}；新增 {}，更新 {}，未变 {}，拒绝 {}。",
        spec.label, outcome.read, outcome.inserted, outcome.updated, outcome.unchanged, outcome.rejected
    );
    if issues > SHOWN_ISSUES {
        eprintln!("  ……共 {issues} 个问题，以上只列出前 {SHOWN_ISSUES} 个。");
    }
    if let Some(p) = &report_path {
        println!("错误报告：{}", p.display());
    }
    if let Some(e) = source.fatal() {
        eprintln!("文件未能完整读取：{e}");
    }
    if args.dry_run {
        println!("试运行：没有写入任何数据。");
    } else if outcome.committed {
        println!("已写入数据库 {}。", config.db.display());
    } else {
        println!("因有 {} 行错误，没有写入任何数据（整份文件要么全部导入，要么全不导入；可改正后重新导入，或加 --partial 只导入正确的行）。", outcome.rejected);
    }
    Ok(if outcome.rejected == 0 && source.fatal().is_none() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
