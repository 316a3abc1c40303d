//! The chain engine's facts on PostgreSQL: one repeatable-read snapshot, each table read
//! once for all the chains asked (members' cards and years by id array), assembled as on
//! SQLite (`sqlite/chain.rs::assemble`).

use std::sync::Arc;

use periclase_domain::{AchievementFacts, ChainFacts, EnterpriseFacts, PlatformFacts, ProjectFacts};

use super::PgStore;
use crate::sqlite::chain::{assemble, Member, Read};
use crate::{ChainStore, StoreError};

impl ChainStore for PgStore {
    fn chain_facts(&self, chains: &[&str]) -> Result<Vec<Arc<ChainFacts>>, StoreError> {
        self.with(|c| {
            let mut tx = c.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
            let year: Option<i64> = tx.query_one(&format!("SELECT {}", crate::sql::latest_figure_year()), &[])?.get(0);
            let mut members = Vec::new();
            for (chain, id) in chains.iter().enumerate() {
                let (lo, hi) = (format!("{id}/"), format!("{id}0"));
                for r in tx.query(
                    "SELECT enterprise_id, node, status, basis FROM chain_member
                     WHERE node >= $1 AND node < $2 AND status != 'rejected' ORDER BY node, status, enterprise_id, basis",
                    &[&lo, &hi],
                )? {
                    members.push(Member {
                        chain,
                        enterprise_id: r.get(0),
                        node: r.get(1),
                        confirmed: r.get::<_, String>(2) == "confirmed",
                        basis: r.get(3),
                    });
                }
            }
            let mut ids: Vec<i64> = members.iter().map(|m| m.enterprise_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut cards: Vec<EnterpriseFacts> =
                ids.iter().map(|&id| EnterpriseFacts { id, ..Default::default() }).collect();
            for r in tx.query(
                "SELECT id, region, tiers, coalesce(external, 0), uscc, name FROM enterprise WHERE id = ANY($1)",
                &[&ids],
            )? {
                let Ok(at) = ids.binary_search(&r.get(0)) else { continue };
                let card = &mut cards[at];
                card.region = r.get(1);
                card.tiers = r.get::<_, i64>(2) as u32;
                card.external = r.get::<_, i64>(3) != 0;
                card.uscc = r.get(4);
                card.name = r.get(5);
            }
            if let Some(year) = year {
                for r in tx.query(
                    "SELECT enterprise_id, year, revenue, employees, rd_spend, capacity, output FROM enterprise_year
                     WHERE year IN ($2::bigint - 1, $2::bigint) AND enterprise_id = ANY($1)",
                    &[&ids, &year],
                )? {
                    let Ok(at) = ids.binary_search(&r.get(0)) else { continue };
                    let card = &mut cards[at];
                    let y: i64 = r.get(1);
                    if y == year {
                        card.revenue = r.get(2);
                        card.employees = r.get(3);
                        card.rd_spend = r.get(4);
                        card.capacity = r.get(5);
                        card.output = r.get(6);
                    } else {
                        card.revenue_prev = r.get(2);
                    }
                }
            }
            let mut platforms = Vec::new();
            for r in tx.query("SELECT code, name, level, region, host_id FROM platform ORDER BY id", &[])? {
                let card = r.get::<_, Option<i64>>(4).and_then(|id| ids.binary_search(&id).ok());
                if let Some(at) = card {
                    cards[at].platforms += 1;
                }
                platforms.push((
                    PlatformFacts { code: r.get(0), name: r.get(1), level: r.get(2), region: r.get(3), host: None },
                    card,
                ));
            }
            let projects: Arc<Vec<ProjectFacts>> = tx
                .query(
                    "SELECT code, name, region, chain_node, total_investment, stage FROM project
                     WHERE chain_node IS NOT NULL ORDER BY id",
                    &[],
                )?
                .iter()
                .map(|r| ProjectFacts {
                    code: r.get(0),
                    name: r.get(1),
                    region: r.get(2),
                    chain_node: r.get(3),
                    investment: r.get(4),
                    stage: r.get(5),
                })
                .collect::<Vec<_>>()
                .into();
            let achievements: Arc<Vec<AchievementFacts>> = tx
                .query(
                    "SELECT code, title, coalesce(keywords, ''), coalesce(field, ''), region FROM achievement ORDER BY id",
                    &[],
                )?
                .iter()
                .map(|r| AchievementFacts {
                    code: r.get(0),
                    title: r.get(1),
                    keywords: r.get(2),
                    field: r.get(3),
                    region: r.get(4),
                })
                .collect::<Vec<_>>()
                .into();
            super::commit(tx)?;
            let read = Read { chains: chains.len(), year, members, ids, cards, platforms, projects, achievements };
            Ok(assemble(read).into_iter().map(Arc::new).collect())
        })
    }
}
