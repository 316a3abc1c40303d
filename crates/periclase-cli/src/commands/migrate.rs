//! `periclase migrate --from <db> --to <db>`: a whole database copied between an SQLite file
//! and a PostgreSQL server (either way), then compared table by table.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use periclase_domain::numbers::grouped;
use periclase_store::transfer::{compare, copy, Tables};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 源数据库：SQLite 文件，或 PostgreSQL 连接串（postgres://… 或 host=… dbname=…）
    #[arg(long)]
    from: String,
    /// 目标数据库：新建的空库（SQLite 文件不存在时新建；PostgreSQL 库须已创建且为空）
    #[arg(long)]
    to: String,
}

fn open(db: &str) -> anyhow::Result<Box<dyn Tables>> {
    Ok(match super::postgres_params_of(db) {
        Some(params) => Box::new(super::open_postgres(params)?),
        None => Box::new(
            periclase_store::SqliteStore::open(PathBuf::from(db)).with_context(|| format!("无法打开数据库 {db}"))?,
        ),
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if super::postgres_params_of(&args.from).is_none() && !std::path::Path::new(&args.from).exists() {
        anyhow::bail!("源数据库文件 {} 不存在", args.from);
    }
    let from = open(&args.from)?;
    let to = open(&args.to)?;
    let pb = crate::progress::bar(Some(periclase_store::transfer::COPIED.len() as u64), "复制");
    let total = copy(&*from, &*to, &mut |table, n| {
        pb.inc(1);
        pb.println(format!("  {table}：{} 行", grouped(n)));
    })?;
    pb.finish_and_clear();
    eprintln!("已复制 {} 行，正在逐表核对……", grouped(total));
    match compare(&*from, &*to)? {
        Ok(n) => {
            eprintln!(
                "核对一致：{} 张表、{} 行与源数据库完全相同。",
                periclase_store::transfer::COPIED.len() + 3,
                grouped(n)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(difference) => {
            eprintln!("核对发现不一致：{difference}");
            Ok(ExitCode::from(1))
        }
    }
}
