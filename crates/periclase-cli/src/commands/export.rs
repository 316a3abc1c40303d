use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use periclase_io::{Exporter, Format};
use periclase_store::prelude::*;
use periclase_store::{ListQuery, QualityIssue, Sort, StoreError};

use crate::config::Config;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 库名，如 enterprises 或 企业库
    registry: String,
    /// xlsx 或 csv
    #[arg(long, default_value = "xlsx")]
    format: Format,
    /// 输出文件（默认 <库名>.xlsx 或 .csv）
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// 关键词筛选
    #[arg(long)]
    q: Option<String>,
    /// 地区代码前缀，如 21、2103、210381
    #[arg(long)]
    region: Option<String>,
    /// 企业梯度，如 高新技术企业
    #[arg(long)]
    tier: Option<String>,
    /// 年度
    #[arg(long)]
    year: Option<i64>,
    /// 行业代码前缀（GB/T 4754），如 C30 或 C3089
    #[arg(long)]
    industry: Option<String>,
    /// 排序：字段名，前加 - 为倒序，如 name、-updated（最近变更在前）
    #[arg(long, allow_hyphen_values = true)]
    sort: Option<String>,
    /// 只导出有某类数据质量问题的记录：retired_region、missing_industry、stale_figures、overdue_demand
    #[arg(long)]
    issue: Option<String>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let spec = super::registry(&args.registry)?;
    let ext = match args.format {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("{}.{ext}", spec.name)));
    let store = super::open_store(config)?;
    let sort = args.sort.as_deref().map(|s| Sort::parse(spec, s)).transpose()?.unwrap_or_default();
    let issue = args
        .issue
        .as_deref()
        .map(|code| {
            QualityIssue::parse(code).ok_or_else(|| {
                let codes: Vec<String> =
                    QualityIssue::ALL.iter().map(|i| format!("{}（{}）", i.code(), i.label())).collect();
                anyhow::anyhow!("没有「{code}」这类数据质量问题，可选：{}", codes.join("、"))
            })
        })
        .transpose()?;
    let query = ListQuery {
        q: args.q,
        region: args.region,
        tier: args.tier,
        year: args.year,
        industry: args.industry,
        sort,
        issue,
        ..Default::default()
    };
    let total = store.count(spec, &query)?;
    let pb = progress::bar(Some(total), &format!("导出{}", spec.label));
    // Write to a temporary name first: a failed export never leaves a half-written file
    // under the name the user asked for.
    let partial = out.with_extension(format!("{ext}.part"));
    let mut exporter = Exporter::create(&partial, args.format, spec)?;
    let written = store.export(spec, &query, &mut |row| {
        exporter.write_row(row).map_err(|e| StoreError::Sink(e.to_string()))?;
        let n = exporter.rows();
        if n % 4096 == 0 {
            pb.set_position(n);
        }
        Ok(())
    });
    let written = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    pb.set_message("写入文件");
    exporter.finish()?;
    std::fs::rename(&partial, &out).with_context(|| format!("无法写入 {}", out.display()))?;
    pb.finish_and_clear();
    println!("{}：导出 {written} 行到 {}", spec.label, out.display());
    Ok(ExitCode::SUCCESS)
}
