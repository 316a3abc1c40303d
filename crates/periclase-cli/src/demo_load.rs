//! Loading the demo province into a store: the generator runs on its own thread and hands
//! rows over through a bounded channel, so a million enterprises stream.

use std::process::ExitCode;
use std::sync::mpsc::sync_channel;

use anyhow::bail;
use periclase_demo::Demo;
use periclase_domain::{registries, ImportItem, ImportOptions, RowLocation};
use periclase_store::{Actor, Channel, ImportContext, Store};

use crate::progress;

pub fn load(
    store: &dyn Store,
    demo: Demo,
    only: &[&'static periclase_domain::RegistrySpec],
) -> anyhow::Result<ExitCode> {
    let actor = Actor::new("示例数据生成", Channel::Cli);
    let ctx = ImportContext { opts: ImportOptions::default(), actor: &actor, scope: None, source: None };
    let specs: Vec<_> = if only.is_empty() { registries::ALL.to_vec() } else { only.to_vec() };
    for spec in specs {
        let (tx, rx) = sync_channel::<Vec<periclase_domain::Row>>(8);
        let producer = std::thread::spawn(move || {
            let mut batch = Vec::with_capacity(512);
            demo.for_each(spec.id, &mut |row| {
                batch.push(row);
                if batch.len() == 512 {
                    let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(512)));
                }
            });
            let _ = tx.send(batch);
        });
        let mut n = 0u64;
        let mut items = rx.into_iter().flatten().map(|row| {
            n += 1;
            ImportItem { location: RowLocation { sheet: None, row: n + 1 }, row: Ok(row) }
        });
        let pb = progress::bar(Some(demo.estimated_rows(spec.id)), spec.label);
        let mut issues = Vec::new();
        let outcome = store.import(spec, &mut items, &ctx, &mut |i| issues.push(i), &mut |k| pb.set_position(k))?;
        pb.finish_and_clear();
        let _ = producer.join();
        if !issues.is_empty() || !outcome.committed {
            bail!("示例数据「{}」写入失败：{:?}", spec.label, issues.first());
        }
        eprintln!(
            "{}：{} 行（新增 {}，更新 {}，未变 {}）",
            spec.label, outcome.read, outcome.inserted, outcome.updated, outcome.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One demo account per role, listed in README.md. The passwords are public: they exist so a
/// visitor can try each role on the demo province, never on real data.
pub const DEMO_ACCOUNTS: [(&str, &str, &str); 5] = [
    ("admin", "省级管理员（示例）", "admin"),
    ("haicheng", "海城市工信局（示例）", "official"),
    ("qiye", "示例企业用户", "enterprise"),
    ("gaoxiao", "示例理工大学用户", "institute"),
    ("zhuanjia", "示例专家", "expert"),
];
pub const DEMO_PASSWORD: &str = "Periclase2024";

pub fn demo_accounts(store: &(impl periclase_store::Accounts + Store)) -> anyhow::Result<()> {
    let demo = Demo::new(periclase_demo::DEFAULT_SEED, periclase_demo::DEFAULT_ENTERPRISES);
    // The enterprise account belongs to the first in-province demo enterprise in 海城.
    let enterprise = (0..demo.enterprises)
        .map(|i| demo.enterprise(i))
        .find(|p| p.region() == "210381")
        .map(|p| p.uscc)
        .unwrap_or_else(|| demo.enterprise(0).uscc);
    // The expert account is the first talent who sits in the expert pool.
    let mut expert = None;
    demo.for_each(periclase_domain::RegistryId::Talents, &mut |row| {
        if expert.is_none() && row[7] == periclase_domain::Value::Int(1) {
            expert = row[0].as_str().map(str::to_string);
        }
    });
    let hash = periclase_auth::password::hash(DEMO_PASSWORD)?;
    for (username, name, role) in DEMO_ACCOUNTS {
        let account = periclase_store::NewAccount {
            username: username.to_string(),
            display_name: name.to_string(),
            role: role.to_string(),
            region: (role == "official").then(|| "210381".to_string()),
            enterprise: (role == "enterprise").then(|| enterprise.clone()),
            institution: (role == "institute").then(|| periclase_demo::places::INSTITUTES[0].0.to_string()),
            talent: if role == "expert" { expert.clone() } else { None },
            password_hash: hash.clone(),
        };
        store.create_account(&account, &periclase_store::Actor::new("示例数据生成", periclase_store::Channel::Cli))?;
    }
    eprintln!("示例账号（密码均为 {DEMO_PASSWORD}）：{}", DEMO_ACCOUNTS.map(|a| a.0).join("、"));
    Ok(())
}
