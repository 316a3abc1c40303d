pub mod chain;
pub mod demo;
pub mod export;
pub mod import;
pub mod matching;
pub mod migrate;
pub mod policy;
pub mod search;
pub mod serve;
pub mod uscc;
pub mod user;

use std::process::ExitCode;

use anyhow::anyhow;
use periclase_domain::{registries, RegistrySpec};

/// The configured database, SQLite file or PostgreSQL server, opened (and migrated): for the
/// commands that need nothing but the store's capabilities.
pub fn open_any(config: &crate::config::Config) -> anyhow::Result<Box<dyn periclase_store::Store>> {
    Ok(match postgres_params(config) {
        Some(params) => Box::new(open_postgres(params)?),
        None => Box::new(open_store(config)?),
    })
}

/// The configured SQLite database, opened (and migrated). A PostgreSQL database is refused
/// by name: only `serve`, `user`, `demo`, `import`, `policy` and `migrate` run on one so far.
pub fn open_store(config: &crate::config::Config) -> anyhow::Result<periclase_store::SqliteStore> {
    use anyhow::Context;
    if postgres_params(config).is_some() {
        anyhow::bail!(
            "此命令目前只支持 SQLite 数据库文件；PostgreSQL 数据库上可用 serve、user、demo、import、policy 和 migrate 命令"
        );
    }
    periclase_store::SqliteStore::open(&config.db).with_context(|| format!("无法打开数据库 {}", config.db.display()))
}

/// The configured database as PostgreSQL connection parameters, when it names a server
/// (`postgres://…`, `postgresql://…`, or libpq's `host=… dbname=…`) rather than a file.
pub fn postgres_params(config: &crate::config::Config) -> Option<&str> {
    config.db.to_str().and_then(postgres_params_of)
}

/// `db` as PostgreSQL connection parameters, when it names a server.
pub fn postgres_params_of(db: &str) -> Option<&str> {
    (db.starts_with("postgres://") || db.starts_with("postgresql://") || db.contains("host=")).then_some(db)
}

/// The PostgreSQL database `params` names, opened (and migrated).
pub fn open_postgres(params: &str) -> anyhow::Result<periclase_store::PgStore> {
    use anyhow::Context;
    let connections = match std::env::var("PERICLASE_DB_CONNECTIONS") {
        Ok(n) => n.trim().parse::<usize>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            anyhow!("PERICLASE_DB_CONNECTIONS 应为 1 到 1000 之间的整数（每个实例的数据库连接数），现为「{n}」")
        })?,
        Err(_) => periclase_store::pg_default_connections(),
    };
    periclase_store::PgStore::open_with_connections(params, connections).context("无法连接 PostgreSQL 数据库")
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
