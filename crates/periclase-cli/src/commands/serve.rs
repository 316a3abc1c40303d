use std::process::ExitCode;

use anyhow::Context;
use periclase_demo::{Demo, DEFAULT_ENTERPRISES, DEFAULT_SEED};
use periclase_store::Accounts;

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
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
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
    let index_dir = config.index_dir();
    // Uploads wait for confirmation beside the database, `<db>.uploads` (private, expiring).
    let mut uploads = config.db.as_os_str().to_owned();
    uploads.push(".uploads");
    let state = periclase_web::AppState::new(store)
        .with_search_index(&index_dir)
        .with_context(|| format!("无法打开检索索引 {}", index_dir.display()))?
        .with_secure_cookies(args.secure_cookie.unwrap_or(config.secure_cookie))
        .with_upload_dir(uploads.into());
    state.warm_chain_map();
    // Builds the index on first start, then applies every change within a second.
    state.start_search_indexer();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&config.addr).await.with_context(|| format!("无法监听 {}", config.addr))?;
        eprintln!(
            "Periclase 已启动：http://{}  （数据库 {}，按 Ctrl+C 停止）",
            listener.local_addr()?,
            config.db.display()
        );
        periclase_web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
