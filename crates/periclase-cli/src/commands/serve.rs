use std::process::ExitCode;

use anyhow::Context;
use periclase_demo::{Demo, DEFAULT_ENTERPRISES, DEFAULT_SEED};
use periclase_store::{Accounts, Declarations, Jobs, Store};

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 监听地址（默认 127.0.0.1:8080）
    #[arg(long, env = "PERICLASE_ADDR")]
    pub addr: Option<String>,
    /// 数据库为新建时也不生成示例数据
    #[arg(long)]
    no_demo: bool,
    /// 经 HTTPS 提供服务时打开：Cookie 带 Secure 标记，浏览器只经 HTTPS 发送会话
    /// （--secure-cookie 或 --secure-cookie=false；也可在配置文件中写 secure_cookie = true）
    #[arg(long, env = "PERICLASE_SECURE_COOKIE", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub secure_cookie: Option<bool>,
    /// 位于反向代理（如 nginx）之后时，代理服务器的 IP 地址（可重复，或用逗号分隔）：来自这些地址的请求
    /// 按 X-Forwarded-For 中代理追加的客户端地址计算登录限流；其他来源的该请求头一律不信任
    #[arg(long = "trusted-proxy", env = "PERICLASE_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(params) = super::postgres_params(config) {
        // The database is a server; the search index and uploads stay on this machine.
        let local =
            std::env::var_os("PERICLASE_DATA_DIR").map_or_else(|| "periclase-data".into(), std::path::PathBuf::from);
        std::fs::create_dir_all(&local).with_context(|| format!("无法创建本地数据目录 {}", local.display()))?;
        let store = super::open_postgres(params)?;
        if store.accounts()?.is_empty() {
            eprintln!(
                "提示：数据库中还没有账号，请先创建管理员：periclase --db <同一连接串> user add <用户名> --role admin"
            );
        }
        let paths =
            LocalPaths { index: local.join("index"), uploads: local.join("uploads"), shown: "PostgreSQL".into() };
        return serve(store, config, &args, paths);
    }
    let fresh = !config.db.exists();
    let store = super::open_store(config)?;
    if fresh && config.db_is_default && !args.no_demo {
        eprintln!("首次启动：在 {} 生成示例省份数据（{} 家示例企业）……", config.db.display(), DEFAULT_ENTERPRISES);
        crate::demo_load::load(&store, Demo::new(DEFAULT_SEED, DEFAULT_ENTERPRISES), &[])?;
        crate::demo_load::demo_accounts(&store)?;
    }
    if store.accounts()?.is_empty() {
        eprintln!(
            "提示：数据库中还没有账号，请先创建管理员：periclase --db {} user add <用户名> --role admin",
            config.db.display()
        );
    }
    // The index and uploads wait beside the database: `<db>.index`, `<db>.uploads`.
    let mut uploads = config.db.as_os_str().to_owned();
    uploads.push(".uploads");
    let paths =
        LocalPaths { index: config.index_dir(), uploads: uploads.into(), shown: config.db.display().to_string() };
    serve(store, config, &args, paths)
}

/// Where a server keeps what is not in the database, and how it names the database.
struct LocalPaths {
    index: std::path::PathBuf,
    uploads: std::path::PathBuf,
    shown: String,
}

fn serve<S: Store + Accounts + Declarations + Jobs + 'static>(
    store: S,
    config: &Config,
    args: &Args,
    paths: LocalPaths,
) -> anyhow::Result<ExitCode> {
    let state = periclase_web::AppState::new(store)
        .with_search_index(&paths.index)
        .with_context(|| format!("无法打开检索索引 {}", paths.index.display()))?
        .with_secure_cookies(args.secure_cookie.unwrap_or(config.secure_cookie))
        .with_trusted_proxies(args.trusted_proxies.clone())
        .with_upload_dir(paths.uploads);
    state.warm_chain_map();
    // Builds the index on first start, then applies every change within a second.
    state.start_search_indexer();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&config.addr).await.with_context(|| format!("无法监听 {}", config.addr))?;
        eprintln!("Periclase 已启动：http://{}  （数据库 {}，按 Ctrl+C 停止）", listener.local_addr()?, paths.shown);
        periclase_web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
