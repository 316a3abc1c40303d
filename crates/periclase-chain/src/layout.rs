//! A layered layout of a chain: each leaf's column is the length of the longest supply path
//! reaching it (upstream left, downstream right); customer (market) nodes take the last
//! column; rows keep template order, so siblings stay together.

use std::collections::HashMap;

use periclase_domain::Chain;

#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub node: String,
    pub column: usize,
    pub row: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub columns: usize,
    pub rows: usize,
    pub nodes: Vec<Placed>,
}

pub fn layout(chain: &Chain) -> Layout {
    let leaves: Vec<&str> = chain.leaves().map(|n| n.id.as_str()).collect();
    let mut column: HashMap<&str, usize> = leaves.iter().map(|&n| (n, 0)).collect();
    // Longest path by relaxation; edges form a DAG in practice, and the cap stops a cycle.
    for _ in 0..leaves.len() {
        let mut changed = false;
        for e in &chain.edges {
            let from = column.get(e.from.as_str()).copied().unwrap_or(0);
            let to = column.entry(e.to.as_str()).or_insert(0);
            if *to < from + 1 {
                *to = from + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let last = column.values().copied().max().unwrap_or(0);
    for n in chain.leaves().filter(|n| n.market) {
        column.insert(n.id.as_str(), last.max(1));
    }
    let columns = column.values().copied().max().unwrap_or(0) + 1;
    let mut next_row = vec![0usize; columns];
    let mut nodes = Vec::new();
    for &n in &leaves {
        let c = column[n];
        nodes.push(Placed { node: n.to_string(), column: c, row: next_row[c] });
        next_row[c] += 1;
    }
    let rows = next_row.into_iter().max().unwrap_or(0);
    Layout { columns, rows, nodes }
}
