//! `periclase search` and `periclase index rebuild|status`: the full-text index from the
//! command line. The index lives beside the database (`<db>.index`). Every write leaves its
//! change in the store's outbox, so whoever reads the index next applies it first: the
//! server within a fraction of a second, a CLI search or match before it answers.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use periclase_app::search_sync::{self, SearchService, SyncError};
use periclase_domain::numbers::grouped;
use periclase_search::Marked;
use periclase_store::prelude::*;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// 检索词：中文、英文、化学式、编号均可，如 电熔镁砂、fused magnesia、AZ91D
    pub text: String,
    /// 只检索这些库（可重复），如 --registry achievements
    #[arg(long = "registry")]
    pub registries: Vec<String>,
    /// 地区代码前缀，如 2108
    #[arg(long)]
    pub region: Option<String>,
    /// 企业梯度或荣誉，如 specialized_sme 或 专精特新
    #[arg(long)]
    pub tier: Option<String>,
    /// 年度
    #[arg(long)]
    pub year: Option<i64>,
    /// 条数（默认 20）
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// 输出 JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum IndexCommand {
    /// 从数据库重建检索索引（清空后逐库读入）
    Rebuild,
    /// 索引中的记录数与待更新的变更数
    Status,
}

/// The configured database's index, brought up to date (rebuilt if new), with a bar.
pub fn open_current(
    config: &Config,
    store: &dyn periclase_store::Store,
) -> anyhow::Result<std::sync::Arc<SearchService>> {
    let service = SearchService::open(&config.index_dir())
        .with_context(|| format!("无法打开检索索引 {}", config.index_dir().display()))?;
    let pb = crate::progress::bar(None, "更新检索索引");
    let result = service.catch_up(store, &mut |done, total| {
        if pb.length() != Some(total) {
            pb.set_length(total);
        }
        pb.set_position(done);
    });
    pb.finish_and_clear();
    match result {
        Ok(s) if s.rebuilt => eprintln!("检索索引已建立：{} 条记录", s.indexed),
        Ok(_) => {}
        // A running server holds the writer and applies the changes itself.
        Err(SyncError::Search(periclase_search::SearchError::Busy)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(service)
}

pub fn search(config: &Config, a: SearchArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let service = open_current(config, &store)?;
    let q = periclase_app::search::SearchRequest {
        text: a.text,
        registries: a.registries,
        region: a.region.unwrap_or_default(),
        tier: a.tier.unwrap_or_default(),
        year: a.year.map(|y| y.to_string()).unwrap_or_default(),
        limit: a.limit,
        offset: 0,
    }
    .query(None)?;
    let found = service.index().search(&q)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &found)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "共 {} 条，显示前 {} 条", found.total, found.hits.len())?;
    for h in &found.hits {
        let label = periclase_domain::registries::by_name(&h.registry).map_or("", |s| s.label);
        writeln!(out, "[{label}] {}  {}", h.key, bracketed(&h.title))?;
        if !h.snippet.text.is_empty() {
            writeln!(out, "    {}", bracketed(&h.snippet))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Highlights as 【…】 for a terminal.
fn bracketed(m: &Marked) -> String {
    let mut s = String::new();
    let mut at = 0;
    for &(from, to) in &m.marks {
        if from < at || to > m.text.len() {
            continue;
        }
        s.push_str(&m.text[at..from]);
        s.push('【');
        s.push_str(&m.text[from..to]);
        s.push('】');
        at = to;
    }
    s.push_str(&m.text[at..]);
    s
}

pub fn index(config: &Config, command: IndexCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let dir = config.index_dir();
    match command {
        IndexCommand::Rebuild => {
            let started = std::time::Instant::now();
            let service = SearchService::open(&dir)?;
            let pb = crate::progress::bar(Some(0), "重建检索索引");
            let synced = service.rebuild(&store, &mut |done, total| {
                pb.set_length(total);
                pb.set_position(done);
            });
            pb.finish_and_clear();
            let synced = synced.map_err(|e| match e {
                SyncError::Search(periclase_search::SearchError::Busy) => {
                    anyhow::anyhow!("检索索引正由运行中的服务使用；服务会自动保持索引最新，如需重建请先停止服务")
                }
                e => e.into(),
            })?;
            let size = dir_size(&dir);
            eprintln!(
                "检索索引已重建：{} 条记录，用时 {:.1} 秒，占用 {:.1} MB（{}）",
                synced.indexed,
                started.elapsed().as_secs_f64(),
                size as f64 / 1e6,
                dir.display()
            );
        }
        IndexCommand::Status => {
            let service = SearchService::open(&dir)?;
            println!("索引目录：{}", dir.display());
            println!("已索引记录：{} 条", grouped(service.index().doc_count()));
            match store.search_pending(service.reader(), 1_000_000)? {
                Some(p) => {
                    println!("待更新：{} 条变更，{} 个库待整库读入", grouped(p.row_count() as u64), p.whole.len())
                }
                None => println!("本索引尚未在数据库登记：服务启动或重建时将从各库重新建立"),
            }
            let readers = store.search_readers()?;
            println!("跟随本数据库的检索索引（每个服务实例一个）：{} 个", readers.len());
            for r in readers {
                let mine = if r.name == service.reader() { "（本机）" } else { "" };
                println!(
                    "  {}{mine}  最近读取 {}（北京时间）  待更新 {} 条",
                    search_sync::host_of(&r.name),
                    periclase_domain::day::beijing(&r.seen_at),
                    grouped(r.backlog)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| it.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}
