pub mod chain;
pub mod demo;
pub mod export;
pub mod import;
pub mod matching;
pub mod policy;
pub mod search;
pub mod serve;
pub mod uscc;
pub mod user;

use std::process::ExitCode;

use anyhow::anyhow;
use periclase_domain::{registries, RegistrySpec};

/// The configured database, opened (and migrated).
pub fn open_store(config: &crate::config::Config) -> anyhow::Result<periclase_store::SqliteStore> {
    use anyhow::Context;
    periclase_store::SqliteStore::open(&config.db).with_context(|| format!("无法打开数据库 {}", config.db.display()))
}

/// A registry by its English name (enterprises) or Chinese label (企业库).
pub fn registry(name: &str) -> anyhow::Result<&'static RegistrySpec> {
    registries::by_name(name).ok_or_else(|| {
        let names: Vec<String> = registries::ALL.iter().map(|s| format!("{}（{}）", s.name, s.label)).collect();
        anyhow!("没有名为「{name}」的库。可用：{}", names.join("、"))
    })
}

pub fn registries() -> anyhow::Result<ExitCode> {
    for s in registries::ALL {
        println!("{}\t{}", s.name, s.label);
        for f in s.fields {
            let mark = if f.required { "（必填）" } else { "" };
            println!("    {}\t{}{mark}", f.label, f.key);
        }
    }
    Ok(ExitCode::SUCCESS)
}
