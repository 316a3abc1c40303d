//! Loading the demo province into a store: the generator runs on its own thread and hands
//! rows over through a bounded channel, so a million enterprises stream.

use std::process::ExitCode;
use std::sync::mpsc::sync_channel;

use anyhow::bail;
use periclase_demo::Demo;
use periclase_domain::{registries, ImportItem, ImportOptions, RowLocation};
use periclase_store::Store;

use crate::progress;

pub fn load(
    store: &dyn Store,
    demo: Demo,
    only: &[&'static periclase_domain::RegistrySpec],
) -> anyhow::Result<ExitCode> {
    let specs: Vec<_> = if only.is_empty() {
        registries::ALL.to_vec()
    } else {
        only.to_vec()
    };
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
            ImportItem {
                location: RowLocation {
                    sheet: None,
                    row: n + 1,
                },
                row: Ok(row),
            }
        });
        let pb = progress::bar(Some(demo.estimated_rows(spec.id)), spec.label);
        let mut issues = Vec::new();
        let outcome = store.import(
            spec,
            &mut items,
            ImportOptions::default(),
            &mut |i| issues.push(i),
            &mut |k| pb.set_position(k),
        )?;
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
