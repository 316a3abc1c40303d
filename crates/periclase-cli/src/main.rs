//! `periclase`: the Periclase platform's one binary.

mod commands;
mod config;
mod demo_load;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: imports allocate on a reader thread and free on the writer thread, where
/// glibc's allocator spends much of its time in arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "periclase", version, about = "Periclase 产业大脑：企业库、项目库、人才库……的导入导出与服务")]
struct Cli {
    /// SQLite 数据库文件（默认 periclase.db）
    #[arg(long, global = true, env = "PERICLASE_DB")]
    db: Option<PathBuf>,
    /// TOML 配置文件（可含 db、addr、log）
    #[arg(long, global = true, env = "PERICLASE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 启动服务（首次启动且未指定数据库时，自动生成示例省份数据）
    Serve(commands::serve::Args),
    /// 从 xlsx/csv 导入某个库
    Import(commands::import::Args),
    /// 导出某个库为 xlsx/csv
    Export(commands::export::Args),
    /// 生成示例省份：写入数据库，或用 --out 写成文件
    Demo(commands::demo::Args),
    /// 账号管理：add、passwd、disable、enable、list
    User(commands::user::Args),
    /// 整库复制：SQLite 文件与 PostgreSQL 之间（任一方向），复制后逐表核对
    Migrate(commands::migrate::Args),
    /// 产业链图谱：list、show、gaps、leaders、targets、suggest
    Chain {
        #[command(subcommand)]
        command: commands::chain::Command,
    },
    /// 政策计算：list、check、test、explain
    Policy {
        #[command(subcommand)]
        command: commands::policy::Command,
    },
    /// 全文检索：一次检索所有库（企业、项目、人才、平台、成果、需求、政策、金融产品……）
    Search(commands::search::SearchArgs),
    /// 检索索引：rebuild（重建）、status（状态）
    Index {
        #[command(subcommand)]
        command: commands::search::IndexCommand,
    },
    /// 产需对接：为需求找成果、为成果找需求、为企业找金融产品、为课题找专家；评测匹配质量
    Match {
        #[command(subcommand)]
        command: commands::matching::Command,
    },
    /// 校验统一社会信用代码
    ValidateUscc(commands::uscc::Args),
    /// 列出所有库及其列名
    Registries,
}

/// Writes from the command line are audited under the system user who ran them.
pub fn cli_actor(channel: periclase_store::Channel) -> periclase_store::Actor {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    periclase_store::Actor::new(format!("cli:{user}"), channel)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let addr = match &cli.command {
        Command::Serve(a) => a.addr.clone(),
        _ => None,
    };
    let config = match config::Config::resolve(cli.config.as_deref(), cli.db.clone(), addr) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("错误：{e:#}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(a) => commands::serve::run(&config, a),
        Command::Import(a) => commands::import::run(&config, a),
        Command::Export(a) => commands::export::run(&config, a),
        Command::Demo(a) => commands::demo::run(&config, a),
        Command::ValidateUscc(a) => commands::uscc::run(a),
        Command::User(a) => commands::user::run(&config, a),
        Command::Migrate(a) => commands::migrate::run(a),
        Command::Chain { command } => commands::chain::run(&config, command),
        Command::Policy { command } => commands::policy::run(&config, command),
        Command::Search(a) => commands::search::search(&config, a),
        Command::Index { command } => commands::search::index(&config, command),
        Command::Match { command } => commands::matching::run(&config, command),
        Command::Registries => commands::registries(),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): nothing left to say to it.
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}
