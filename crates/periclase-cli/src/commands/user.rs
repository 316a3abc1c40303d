//! `periclase user add|passwd|disable|enable|list`: accounts from the command line (the
//! first administrator is made here).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use periclase_auth::{password, Role, ROLES};
use periclase_domain::registries::{ENTERPRISES, TALENTS};
use periclase_domain::{RegionTable, Uscc};
use periclase_store::prelude::*;
use periclase_store::{NewAccount, SqliteStore};

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 新建账号（密码从标准输入读取）
    Add {
        username: String,
        /// admin（省级管理员）、official（市县工作人员）、enterprise、institute、expert
        #[arg(long)]
        role: String,
        /// 显示名称（默认同用户名）
        #[arg(long)]
        name: Option<String>,
        /// 市县工作人员：所辖地区代码前缀，如 2103 或 210381
        #[arg(long)]
        region: Option<String>,
        /// 企业用户：本企业统一社会信用代码
        #[arg(long)]
        enterprise: Option<String>,
        /// 高校院所用户：单位名称（与成果库“完成单位”一致）
        #[arg(long)]
        institution: Option<String>,
        /// 专家：人才库中的人员编号
        #[arg(long)]
        talent: Option<String>,
    },
    /// 修改密码（从标准输入读取新密码），并结束该账号的所有会话
    Passwd { username: String },
    /// 停用账号，并结束其所有会话
    Disable { username: String },
    /// 重新启用账号
    Enable { username: String },
    /// 列出账号
    List,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("请输入密码（至少{}位，含字母和数字）：", password::MIN_LENGTH);
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("无法读取密码")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    password::check_strength(&pw)?;
    Ok(pw)
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(params) = super::postgres_params(config) {
        return run_on(&super::open_postgres(params)?, args);
    }
    let store = SqliteStore::open(&config.db).with_context(|| format!("无法打开数据库 {}", config.db.display()))?;
    run_on(&store, args)
}

fn run_on(store: &(impl Registries + Accounts), args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Add { username, role, name, region, enterprise, institution, talent } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow!(
                    "没有角色「{role}」。可用：{}",
                    ROLES.map(|r| format!("{}（{}）", r.code(), r.label())).join("、")
                )
            })?;
            let missing = |what: &str, flag: &str| anyhow!("{}账号需要{what}：请加 {flag}", role.label());
            let region = match (role, region) {
                (Role::Official, None) => return Err(missing("所辖地区", "--region")),
                (Role::Official, Some(r)) => {
                    let r = r.trim().to_string();
                    if !(2..=6).contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_digit()) {
                        bail!("地区「{r}」应为2–6位行政区划代码前缀，如 2103");
                    }
                    let padded = format!("{r:0<6}");
                    if RegionTable::embedded().get(&padded).is_none() {
                        bail!("地区代码「{r}」不在 GB/T 2260 行政区划代码表中");
                    }
                    Some(r)
                }
                (_, _) => None,
            };
            let enterprise = match (role, enterprise) {
                (Role::Enterprise, None) => return Err(missing("本企业统一社会信用代码", "--enterprise")),
                (Role::Enterprise, Some(u)) => {
                    let u = Uscc::parse(&u)?.to_string();
                    if store.get(&ENTERPRISES, &u, None)?.is_none() {
                        bail!("企业库中没有统一社会信用代码为「{u}」的企业，请先导入该企业");
                    }
                    Some(u)
                }
                _ => None,
            };
            let institution = match (role, institution) {
                (Role::Institute, None) => return Err(missing("单位名称", "--institution")),
                (Role::Institute, i) => i,
                _ => None,
            };
            let talent = match (role, talent) {
                (Role::Expert, None) => return Err(missing("人员编号", "--talent")),
                (Role::Expert, Some(t)) => {
                    if store.get(&TALENTS, &t, None)?.is_none() {
                        bail!("人才库中没有人员编号为「{t}」的记录");
                    }
                    Some(t)
                }
                _ => None,
            };
            let password_hash = password::hash(&read_password()?)?;
            let account = NewAccount {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role: role.code().to_string(),
                region,
                enterprise,
                institution,
                talent,
                password_hash,
            };
            store.create_account(&account, &crate::cli_actor(periclase_store::Channel::Cli))?;
            println!("已创建{}账号「{}」。", role.label(), account.username);
        }
        Command::Passwd { username } => {
            let hash = password::hash(&read_password()?)?;
            if !store.set_password(&username, &hash, &crate::cli_actor(periclase_store::Channel::Cli))? {
                bail!("没有账号「{username}」");
            }
            println!("已修改「{username}」的密码，其已登录的会话均已结束。");
        }
        Command::Disable { username } => {
            if !store.set_disabled(&username, true, &crate::cli_actor(periclase_store::Channel::Cli))? {
                bail!("没有账号「{username}」");
            }
            println!("已停用账号「{username}」。");
        }
        Command::Enable { username } => {
            if !store.set_disabled(&username, false, &crate::cli_actor(periclase_store::Channel::Cli))? {
                bail!("没有账号「{username}」");
            }
            println!("已启用账号「{username}」。");
        }
        Command::List => {
            for a in store.accounts()? {
                let role = Role::parse(&a.role).map_or(a.role.as_str(), |r| r.label());
                let anchor = a.region.or(a.enterprise).or(a.institution).or(a.talent).unwrap_or_default();
                let state = if a.disabled { "（已停用）" } else { "" };
                println!("{}\t{}\t{role}\t{anchor}{state}", a.username, a.display_name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
