//! The facts the chain engine needs about one chain: its members with their latest figures,
//! and the projects, platforms and achievements that may belong to its nodes. Each is one
//! statement read in order, joined here by enterprise id.

use std::collections::HashMap;

use periclase_domain::{AchievementFacts, ChainFacts, EnterpriseFacts, Membership, PlatformFacts, ProjectFacts};
use rusqlite::Connection;

use crate::StoreError;

pub(crate) fn facts(c: &Connection, chain: &str) -> Result<ChainFacts, StoreError> {
    let (lo, hi) = (format!("{chain}/"), format!("{chain}0"));
    let year: Option<i64> = c.query_row(&format!("SELECT {}", super::sql::latest_figure_year()), [], |r| r.get(0))?;
    let mut out = ChainFacts { year, ..Default::default() };
    let mut index: HashMap<i64, usize> = HashMap::new();

    let mut st = c.prepare_cached(
        "SELECT e.id, e.uscc, e.name, e.region, coalesce(e.external, 0), e.tiers, m.node, m.status, m.basis
         FROM chain_member m JOIN enterprise e ON e.id = m.enterprise_id
         WHERE m.node >= ?1 AND m.node < ?2 AND m.status != 'rejected'",
    )?;
    let mut rows = st.query([&lo, &hi])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let at = match index.get(&id) {
            Some(&at) => at,
            None => {
                out.enterprises.push(EnterpriseFacts {
                    id,
                    uscc: r.get(1)?,
                    name: r.get(2)?,
                    region: r.get(3)?,
                    external: r.get::<_, i64>(4)? != 0,
                    tiers: r.get::<_, i64>(5)? as u32,
                    ..Default::default()
                });
                index.insert(id, out.enterprises.len() - 1);
                out.enterprises.len() - 1
            }
        };
        out.members.push(Membership {
            enterprise: at,
            node: r.get(6)?,
            confirmed: r.get::<_, String>(7)? == "confirmed",
            basis: r.get(8)?,
        });
    }
    drop(rows);

    if let Some(year) = year {
        let mut st = c.prepare_cached(
            // CROSS JOIN keeps members as the outer loop: left to itself, SQLite walked every
            // figure of the year by metric (3 million rows at provincial scale) first.
            "SELECT f.enterprise_id, f.year, f.metric, f.value
             FROM chain_member m CROSS JOIN enterprise_figure f ON f.enterprise_id = m.enterprise_id
             WHERE m.node >= ?1 AND m.node < ?2 AND m.status != 'rejected'
               AND f.year >= ?3 - 1 AND f.metric IN ('revenue', 'employees', 'rd_spend')",
        )?;
        let mut rows = st.query(rusqlite::params![lo, hi, year])?;
        while let Some(r) = rows.next()? {
            let Some(&at) = index.get(&r.get::<_, i64>(0)?) else { continue };
            let e = &mut out.enterprises[at];
            let (y, metric, value): (i64, String, f64) = (r.get(1)?, r.get(2)?, r.get(3)?);
            match (y == year, metric.as_str()) {
                (true, "revenue") => e.revenue = Some(value),
                (false, "revenue") => e.revenue_prev = Some(value),
                (true, "employees") => e.employees = Some(value),
                (true, "rd_spend") => e.rd_spend = Some(value),
                _ => {}
            }
        }
        drop(rows);
        let mut st = c.prepare_cached(
            "SELECT k.enterprise_id, sum(k.capacity), sum(k.output)
             FROM chain_member m CROSS JOIN enterprise_capacity k ON k.enterprise_id = m.enterprise_id
             WHERE m.node >= ?1 AND m.node < ?2 AND m.status != 'rejected' AND k.year = ?3
             GROUP BY m.id",
        )?;
        let mut rows = st.query(rusqlite::params![lo, hi, year])?;
        while let Some(r) = rows.next()? {
            let Some(&at) = index.get(&r.get::<_, i64>(0)?) else { continue };
            let e = &mut out.enterprises[at];
            e.capacity = r.get(1)?;
            e.output = r.get(2)?;
        }
    }

    let mut st = c.prepare_cached("SELECT code, name, level, region, host_id FROM platform")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let host = r.get::<_, Option<i64>>(4)?.and_then(|id| index.get(&id).copied());
        if let Some(h) = host {
            out.enterprises[h].platforms += 1;
        }
        out.platforms.push(PlatformFacts {
            code: r.get(0)?,
            name: r.get(1)?,
            level: r.get(2)?,
            region: r.get(3)?,
            host,
        });
    }
    drop(rows);
    let mut st = c.prepare_cached(
        "SELECT code, name, region, chain_node, total_investment, stage FROM project WHERE chain_node IS NOT NULL",
    )?;
    out.projects = st
        .query_map([], |r| {
            Ok(ProjectFacts {
                code: r.get(0)?,
                name: r.get(1)?,
                region: r.get(2)?,
                chain_node: r.get(3)?,
                investment: r.get(4)?,
                stage: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut st =
        c.prepare_cached("SELECT code, title, coalesce(keywords, ''), coalesce(field, ''), region FROM achievement")?;
    out.achievements = st
        .query_map([], |r| {
            Ok(AchievementFacts {
                code: r.get(0)?,
                title: r.get(1)?,
                keywords: r.get(2)?,
                field: r.get(3)?,
                region: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
}
