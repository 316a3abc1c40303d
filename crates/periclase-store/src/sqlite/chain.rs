//! The facts the chain engine needs about industry chains: their members with their latest
//! figures, and the projects, platforms and achievements that may belong to their nodes.
//! Several chains are read in one pass and one snapshot: their members overlap, and the
//! enterprise columns and figures are read once for all of them.

use std::sync::Arc;

use periclase_domain::{AchievementFacts, ChainFacts, EnterpriseFacts, Membership, PlatformFacts, ProjectFacts};
use rusqlite::Connection;

use crate::StoreError;

/// Above this share of all enterprises, members' columns and figures are read by scanning
/// `enterprise` and `enterprise_year` in order rather than looked up one member at a time: a lookup
/// costs about as much as scanning ten rows (measured at a million enterprises).
pub(crate) const SCAN_SHARE: f64 = 0.1;

/// One chain membership as read, before the chains are assembled.
pub(crate) struct Member {
    pub chain: usize,
    pub enterprise_id: i64,
    pub node: String,
    pub confirmed: bool,
    pub basis: Option<String>,
}

pub(crate) fn facts(c: &Connection, chains: &[&str], scan_share: f64) -> Result<Vec<ChainFacts>, StoreError> {
    let tx = c.unchecked_transaction()?;
    let year: Option<i64> = tx.query_row(&format!("SELECT {}", crate::sql::latest_figure_year()), [], |r| r.get(0))?;

    // Members, each chain a range of the (node, status, enterprise_id, basis) index.
    let mut members = Vec::new();
    let mut st = tx.prepare_cached(
        "SELECT enterprise_id, node, status, basis FROM chain_member
         WHERE node >= ?1 AND node < ?2 AND status != 'rejected'",
    )?;
    for (chain, id) in chains.iter().enumerate() {
        let mut rows = st.query([format!("{id}/"), format!("{id}0")])?;
        while let Some(r) = rows.next()? {
            members.push(Member {
                chain,
                enterprise_id: r.get(0)?,
                node: r.get(1)?,
                confirmed: r.get::<_, String>(2)? == "confirmed",
                basis: r.get(3)?,
            });
        }
    }
    drop(st);

    // Every member enterprise once, in id order, with its columns and figures.
    let mut ids: Vec<i64> = members.iter().map(|m| m.enterprise_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut cards: Vec<EnterpriseFacts> = ids.iter().map(|&id| EnterpriseFacts { id, ..Default::default() }).collect();
    let total: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM enterprise", [], |r| r.get(0))?;
    if ids.len() as f64 > scan_share * total as f64 {
        scan_cards(&tx, &ids, &mut cards, year)?;
    } else {
        look_up_cards(&tx, &mut cards, year)?;
    }

    let mut platforms = Vec::new();
    let mut st = tx.prepare_cached("SELECT code, name, level, region, host_id FROM platform")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let host_id: Option<i64> = r.get(4)?;
        let card = host_id.and_then(|id| ids.binary_search(&id).ok());
        if let Some(at) = card {
            cards[at].platforms += 1;
        }
        platforms.push((
            PlatformFacts { code: r.get(0)?, name: r.get(1)?, level: r.get(2)?, region: r.get(3)?, host: None },
            card,
        ));
    }
    drop(rows);
    drop(st);
    let mut st = tx.prepare_cached(
        "SELECT code, name, region, chain_node, total_investment, stage FROM project WHERE chain_node IS NOT NULL",
    )?;
    let projects: Arc<Vec<ProjectFacts>> = st
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
        .collect::<Result<Vec<_>, _>>()?
        .into();
    drop(st);
    let mut st =
        tx.prepare_cached("SELECT code, title, coalesce(keywords, ''), coalesce(field, ''), region FROM achievement")?;
    let achievements: Arc<Vec<AchievementFacts>> = st
        .query_map([], |r| {
            Ok(AchievementFacts {
                code: r.get(0)?,
                title: r.get(1)?,
                keywords: r.get(2)?,
                field: r.get(3)?,
                region: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into();
    drop(st);
    tx.finish()?;

    Ok(assemble(Read { chains: chains.len(), year, members, ids, cards, platforms, projects, achievements }))
}

/// What one snapshot read for a set of chains, before each chain gets its own facts.
pub(crate) struct Read {
    pub chains: usize,
    pub year: Option<i64>,
    pub members: Vec<Member>,
    /// Member enterprise ids, sorted, each once; `cards` in the same order.
    pub ids: Vec<i64>,
    pub cards: Vec<EnterpriseFacts>,
    /// Every platform, with the card of its host when the host is a member.
    pub platforms: Vec<(PlatformFacts, Option<usize>)>,
    pub projects: Arc<Vec<ProjectFacts>>,
    pub achievements: Arc<Vec<AchievementFacts>>,
}

/// Each chain gets its own members' cards, indexed in order of first appearance (both stores).
pub(crate) fn assemble(read: Read) -> Vec<ChainFacts> {
    let Read { chains, year, members, ids, cards, platforms, projects, achievements } = read;
    let mut out: Vec<ChainFacts> = (0..chains)
        .map(|_| ChainFacts {
            year,
            projects: projects.clone(),
            achievements: achievements.clone(),
            ..Default::default()
        })
        .collect();
    // Per chain, each card's index + 1 in that chain's enterprises (0: not yet there).
    let mut local: Vec<Vec<u32>> = vec![vec![0; cards.len()]; chains];
    for m in members {
        let card = ids.binary_search(&m.enterprise_id).expect("every member has a card");
        let facts = &mut out[m.chain];
        let slot = &mut local[m.chain][card];
        if *slot == 0 {
            facts.enterprises.push(cards[card].clone());
            *slot = facts.enterprises.len() as u32;
        }
        let at = *slot as usize - 1;
        facts.members.push(Membership { enterprise: at, node: m.node, confirmed: m.confirmed, basis: m.basis });
    }
    for (facts, local) in out.iter_mut().zip(&local) {
        facts.platforms = platforms
            .iter()
            .map(|(p, card)| PlatformFacts {
                host: card.map(|c| local[c]).filter(|&s| s > 0).map(|s| s as usize - 1),
                ..p.clone()
            })
            .collect();
    }
    out
}

const CARD_COLUMNS: &str = "region, tiers, coalesce(external, 0), uscc, name";
const YEAR_COLUMNS: &str = "year, revenue, employees, rd_spend, capacity, output";

fn fill_card(card: &mut EnterpriseFacts, r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<()> {
    card.region = r.get(from)?;
    card.tiers = r.get::<_, i64>(from + 1)? as u32;
    card.external = r.get::<_, i64>(from + 2)? != 0;
    card.uscc = r.get(from + 3)?;
    card.name = r.get(from + 4)?;
    Ok(())
}

fn fill_year(card: &mut EnterpriseFacts, r: &rusqlite::Row<'_>, from: usize, year: i64) -> rusqlite::Result<()> {
    let y: i64 = r.get(from)?;
    if y == year {
        card.revenue = r.get(from + 1)?;
        card.employees = r.get(from + 2)?;
        card.rd_spend = r.get(from + 3)?;
        card.capacity = r.get(from + 4)?;
        card.output = r.get(from + 5)?;
    } else if y == year - 1 {
        card.revenue_prev = r.get(from + 1)?;
    }
    Ok(())
}

/// One lookup per member in `enterprise` and `enterprise_year`.
fn look_up_cards(c: &Connection, cards: &mut [EnterpriseFacts], year: Option<i64>) -> Result<(), StoreError> {
    let mut card_st = c.prepare_cached(&format!("SELECT {CARD_COLUMNS} FROM enterprise WHERE id = ?1"))?;
    let mut year_st = c.prepare_cached(&format!(
        "SELECT {YEAR_COLUMNS} FROM enterprise_year WHERE year IN (?2 - 1, ?2) AND enterprise_id = ?1"
    ))?;
    for card in cards.iter_mut() {
        let mut rows = card_st.query([card.id])?;
        if let Some(r) = rows.next()? {
            fill_card(card, r, 0)?;
        }
        if let Some(year) = year {
            let mut rows = year_st.query([card.id, year])?;
            while let Some(r) = rows.next()? {
                fill_year(card, r, 0, year)?;
            }
        }
    }
    Ok(())
}

/// `enterprise` and the two years of `enterprise_year` read whole, in order, keeping the
/// members' rows: sequential reads where lookups would touch a page per member.
fn scan_cards(c: &Connection, ids: &[i64], cards: &mut [EnterpriseFacts], year: Option<i64>) -> Result<(), StoreError> {
    let Some(&last) = ids.last() else { return Ok(()) };
    // Slot + 1 of each member id; 0 for enterprises that are not members.
    let mut slot = vec![0u32; last as usize + 1];
    for (i, &id) in ids.iter().enumerate() {
        slot[id as usize] = i as u32 + 1;
    }
    let slot_of = |id: i64| -> Option<usize> {
        usize::try_from(id).ok().and_then(|id| slot.get(id)).filter(|&&s| s > 0).map(|&s| s as usize - 1)
    };
    let mut st = c.prepare_cached(&format!("SELECT id, {CARD_COLUMNS} FROM enterprise WHERE id BETWEEN ?1 AND ?2"))?;
    let mut rows = st.query([ids[0], last])?;
    while let Some(r) = rows.next()? {
        if let Some(at) = slot_of(r.get(0)?) {
            fill_card(&mut cards[at], r, 1)?;
        }
    }
    drop(rows);
    if let Some(year) = year {
        let mut st = c.prepare_cached(&format!(
            "SELECT enterprise_id, {YEAR_COLUMNS} FROM enterprise_year
             WHERE year IN (?3 - 1, ?3) AND enterprise_id BETWEEN ?1 AND ?2"
        ))?;
        let mut rows = st.query([ids[0], last, year])?;
        while let Some(r) = rows.next()? {
            if let Some(at) = slot_of(r.get(0)?) {
                fill_year(&mut cards[at], r, 1, year)?;
            }
        }
    }
    Ok(())
}

/// The store's `ChainStore` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::*;

    impl crate::ChainStore for SqliteStore {
        fn chain_facts(&self, chains: &[&str]) -> Result<Vec<Arc<ChainFacts>>, StoreError> {
            // Not cached here: reading chains takes a second at provincial scale and would hold
            // `computing`, stalling every list total meanwhile; the web keeps its own copy.
            self.with(|c| Ok(chain::facts(c, chains, chain::SCAN_SHARE)?.into_iter().map(Arc::new).collect()))
        }
    }
}
