use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use periclase_demo::{Demo, DEFAULT_ENTERPRISES, DEFAULT_SEED};
use periclase_domain::registries;
use periclase_io::{Exporter, Format};

use crate::config::Config;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 随机种子：同一种子生成同一个示例省份
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// 企业数量（基准测试用 1000000）
    #[arg(long, default_value_t = DEFAULT_ENTERPRISES)]
    enterprises: u64,
    /// 写成文件到此目录（每个库一个文件），而不是写入数据库
    #[arg(long)]
    out: Option<PathBuf>,
    /// 文件格式（配合 --out）
    #[arg(long, default_value = "csv")]
    format: Format,
    /// 只生成这些库（可重复），如 --only enterprises
    #[arg(long)]
    only: Vec<String>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let demo = Demo::new(args.seed, args.enterprises);
    let only = args.only.iter().map(|n| super::registry(n)).collect::<anyhow::Result<Vec<_>>>()?;
    let Some(dir) = args.out else {
        if let Some(params) = super::postgres_params(config) {
            return crate::demo_load::load(&super::open_postgres(params)?, demo, &only);
        }
        let store = super::open_store(config)?;
        return crate::demo_load::load(&store, demo, &only);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    let specs = if only.is_empty() { registries::ALL.to_vec() } else { only };
    let ext = if args.format == Format::Csv { "csv" } else { "xlsx" };
    for spec in specs {
        let path = dir.join(format!("{}.{ext}", spec.name));
        let mut out = Exporter::create(&path, args.format, spec)?;
        let pb = progress::bar(Some(demo.estimated_rows(spec.id)), spec.label);
        let mut failure = None;
        demo.for_each(spec.id, &mut |row| {
            if failure.is_none() {
                if let Err(e) = out.write_row(&row) {
                    failure = Some(e);
                }
                if out.rows() % 4096 == 0 {
                    pb.set_position(out.rows());
                }
            }
        });
        if let Some(e) = failure {
            return Err(e.into());
        }
        let n = out.finish()?;
        pb.finish_and_clear();
        eprintln!("{}：{n} 行 → {}", spec.label, path.display());
    }
    Ok(ExitCode::SUCCESS)
}
