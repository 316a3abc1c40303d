//! Industry chain templates (产业链模板): nodes with stage, hierarchy, products, industry
//! codes and keywords, and the supply edges between them. Templates are data
//! (`data/chains/*.toml`, embedded in the binary) and are checked when loaded: unique node
//! ids, parents that exist, no cycle in the hierarchy, edges between existing leaf nodes.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

/// The templates shipped with Periclase, as (file name, text).
const EMBEDDED: &[(&str, &str)] = &[
    ("magnesia.toml", include_str!("../../../data/chains/magnesia.toml")),
    ("mg-metal.toml", include_str!("../../../data/chains/mg-metal.toml")),
    ("copper.toml", include_str!("../../../data/chains/copper.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Upstream,
    Midstream,
    Downstream,
    Supporting,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Upstream => "上游",
            Stage::Midstream => "中游",
            Stage::Downstream => "下游",
            Stage::Supporting => "配套",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// The upstream node's product is a raw material of the downstream node's.
    RawMaterial,
    /// The upstream node supplies parts or products to the downstream node.
    Supplies,
}

impl EdgeKind {
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::RawMaterial => "原料",
            EdgeKind::Supplies => "供应",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainNode {
    pub id: String,
    pub name: String,
    pub stage: Stage,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub products: Vec<String>,
    /// GB/T 4754 codes or prefixes.
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A customer industry drawn for context: never a gap, never a 招商 target.
    #[serde(default)]
    pub market: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// Units of the upstream product per unit of the downstream one, when known.
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// A plan's goal for one node in one region (e.g. a city's 2027 target for refractories):
/// where one exists, a node is weak when short of it rather than when its share trails the
/// benchmark region's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeTarget {
    /// GB/T 2260 prefix the goal is set for.
    pub region: String,
    pub node: String,
    /// Local revenue aimed at, 万元.
    #[serde(default)]
    pub revenue: Option<f64>,
    /// Local enterprises aimed at.
    #[serde(default)]
    pub enterprises: Option<u32>,
    pub year: i64,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub id: String,
    pub name: String,
    pub version: String,
    pub source: String,
    #[serde(rename = "node")]
    pub nodes: Vec<ChainNode>,
    #[serde(rename = "edge", default)]
    pub edges: Vec<ChainEdge>,
    #[serde(rename = "target", default)]
    pub targets: Vec<NodeTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("产业链模板 {file}：{message}")]
    Syntax { file: String, message: String },
    #[error("产业链模板 {file}：{message}")]
    Invalid { file: String, message: String },
}

impl Chain {
    /// Parses and checks one template; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Chain, ChainError> {
        let chain: Chain =
            toml::from_str(text).map_err(|e| ChainError::Syntax { file: file.to_string(), message: e.to_string() })?;
        chain.check().map_err(|message| ChainError::Invalid { file: file.to_string(), message })?;
        Ok(chain)
    }

    fn check(&self) -> Result<(), String> {
        if self.id.is_empty() || !self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(format!("产业链编号「{}」只能由小写字母、数字和 - 组成", self.id));
        }
        if self.nodes.is_empty() {
            return Err("没有任何节点".to_string());
        }
        let mut ids = HashSet::new();
        for n in &self.nodes {
            if n.id.is_empty() || n.id.contains('/') {
                return Err(format!("节点「{}」的编号「{}」不能为空或含 /", n.name, n.id));
            }
            if !ids.insert(n.id.as_str()) {
                return Err(format!("节点编号「{}」重复", n.id));
            }
            for code in &n.industries {
                crate::parse_industry(code).map_err(|e| format!("节点「{}」的行业代码「{code}」无效：{e}", n.name))?;
            }
        }
        for n in &self.nodes {
            if let Some(p) = &n.parent {
                if !ids.contains(p.as_str()) {
                    return Err(format!("节点「{}」的上级「{p}」不存在", n.id));
                }
            }
        }
        // Walking up from every node must end at a root within as many steps as there are nodes.
        let parent: HashMap<&str, &str> =
            self.nodes.iter().filter_map(|n| n.parent.as_deref().map(|p| (n.id.as_str(), p))).collect();
        for n in &self.nodes {
            let mut at = n.id.as_str();
            let mut path = vec![at];
            while let Some(&p) = parent.get(at) {
                if path.contains(&p) {
                    path.push(p);
                    return Err(format!("节点层级有环：{}", path.join(" → ")));
                }
                path.push(p);
                at = p;
            }
        }
        for e in &self.edges {
            for end in [&e.from, &e.to] {
                let Some(node) = self.node(end) else {
                    return Err(format!("连线 {} → {} 指向不存在的节点「{end}」", e.from, e.to));
                };
                if !self.is_leaf(&node.id) {
                    return Err(format!(
                        "连线 {} → {} 连到了环节组「{}」，应连到其下的具体节点",
                        e.from, e.to, node.name
                    ));
                }
            }
            if e.from == e.to {
                return Err(format!("连线 {} → {} 首尾相同", e.from, e.to));
            }
            if e.weight.is_some_and(|w| !(w.is_finite() && w > 0.0)) {
                return Err(format!("连线 {} → {} 的权重应为正数", e.from, e.to));
            }
        }
        for t in &self.targets {
            let Some(node) = self.node(&t.node) else {
                return Err(format!("目标指向不存在的节点「{}」", t.node));
            };
            if !self.is_leaf(&node.id) || node.market {
                return Err(format!("目标只能设在具体环节上，「{}」不是", node.name));
            }
            if !t.region.bytes().all(|b| b.is_ascii_digit()) || !(2..=6).contains(&t.region.len()) {
                return Err(format!("「{}」目标的地区「{}」应为2–6位行政区划代码前缀", node.name, t.region));
            }
            let positive = t.revenue.is_some_and(|r| r.is_finite() && r > 0.0) || t.enterprises.is_some_and(|n| n > 0);
            if !positive || t.revenue.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
                return Err(format!("「{}」目标应给出正的营收（revenue）或企业数（enterprises）", node.name));
            }
        }
        Ok(())
    }

    pub fn node(&self, id: &str) -> Option<&ChainNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// A node by id or by its Chinese name.
    pub fn find(&self, id_or_name: &str) -> Option<&ChainNode> {
        let t = id_or_name.trim();
        self.nodes.iter().find(|n| n.id == t).or_else(|| self.nodes.iter().find(|n| n.name == t))
    }

    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a ChainNode> + 'a {
        self.nodes.iter().filter(move |n| n.parent.as_deref() == Some(id))
    }

    /// Nodes without children: where enterprises sit.
    pub fn is_leaf(&self, id: &str) -> bool {
        self.children(id).next().is_none()
    }

    pub fn leaves(&self) -> impl Iterator<Item = &ChainNode> {
        self.nodes.iter().filter(|n| self.is_leaf(&n.id))
    }

    /// Edges leaving `id` (its customers) and entering it (its suppliers).
    pub fn downstream<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a ChainEdge> + 'a {
        self.edges.iter().filter(move |e| e.from == id)
    }

    pub fn upstream<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a ChainEdge> + 'a {
        self.edges.iter().filter(move |e| e.to == id)
    }
}

/// All templates, by id.
#[derive(Debug)]
pub struct ChainSet {
    pub chains: Vec<Chain>,
}

impl ChainSet {
    /// Loads templates; ids must be unique.
    pub fn load(files: &[(&str, &str)]) -> Result<ChainSet, ChainError> {
        let mut chains: Vec<Chain> = Vec::new();
        for (file, text) in files {
            let chain = Chain::parse(file, text)?;
            if chains.iter().any(|c| c.id == chain.id) {
                return Err(ChainError::Invalid {
                    file: file.to_string(),
                    message: format!("产业链编号「{}」与另一模板重复", chain.id),
                });
            }
            chains.push(chain);
        }
        Ok(ChainSet { chains })
    }

    /// The templates in `data/chains/`, checked by a unit test.
    pub fn embedded() -> &'static ChainSet {
        static SET: OnceLock<ChainSet> = OnceLock::new();
        SET.get_or_init(|| ChainSet::load(EMBEDDED).expect("embedded chain templates are valid (tested)"))
    }

    pub fn get(&self, id_or_name: &str) -> Option<&Chain> {
        let t = id_or_name.trim();
        self.chains.iter().find(|c| c.id == t || c.name == t)
    }

    /// Resolves what a user typed for a chain node — `magnesia/fused`, `菱镁产业链/电熔镁砂`,
    /// or a node name found in exactly one chain — to its canonical `chain/node` key.
    pub fn resolve(&self, text: &str) -> Result<String, String> {
        let t = text.trim();
        if let Some((c, n)) = t.split_once('/').or_else(|| t.split_once('／')) {
            let chain = self.get(c).ok_or_else(|| {
                let ids: Vec<String> = self.chains.iter().map(|c| format!("{}（{}）", c.id, c.name)).collect();
                format!("没有产业链「{c}」，可选：{}", ids.join("、"))
            })?;
            let node = chain.find(n).ok_or_else(|| format!("{}中没有环节「{n}」", chain.name))?;
            if !chain.is_leaf(&node.id) {
                return Err(format!("「{}」是环节组，请选择其下的具体环节", node.name));
            }
            return Ok(format!("{}/{}", chain.id, node.id));
        }
        let found: Vec<(&Chain, &ChainNode)> =
            self.chains.iter().filter_map(|c| c.find(t).filter(|n| c.is_leaf(&n.id)).map(|n| (c, n))).collect();
        match found.as_slice() {
            [(c, n)] => Ok(format!("{}/{}", c.id, n.id)),
            [] if self.chains.iter().any(|c| c.find(t).is_some()) => {
                Err(format!("「{t}」是环节组，请选择其下的具体环节"))
            }
            [] => Err(format!("没有名为「{t}」的产业链环节；可写成「产业链/环节」，如 magnesia/fused")),
            _ => Err(format!("「{t}」在多条产业链中都有，请写成「产业链/环节」")),
        }
    }

    /// The chain and node of a canonical `chain/node` key.
    pub fn lookup(&self, key: &str) -> Option<(&Chain, &ChainNode)> {
        let (c, n) = key.split_once('/')?;
        let chain = self.chains.iter().find(|x| x.id == c)?;
        Some((chain, chain.node(n)?))
    }

    /// `菱镁产业链 · 电熔镁砂` for a canonical key; the key itself if unknown.
    pub fn display(&self, key: &str) -> String {
        match self.lookup(key) {
            Some((c, n)) => format!("{} · {}", c.name, n.name),
            None => key.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
id = "t"
name = "测试链"
version = "1"
source = "测试"
[[node]]
id = "a"
name = "甲"
stage = "upstream"
[[node]]
id = "g"
name = "组"
stage = "midstream"
[[node]]
id = "b"
name = "乙"
stage = "midstream"
parent = "g"
[[edge]]
from = "a"
to = "b"
kind = "raw_material"
"#;

    #[test]
    fn embedded_templates_load() {
        let set = ChainSet::embedded();
        let ids: Vec<&str> = set.chains.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["magnesia", "mg-metal", "copper"]);
        assert_eq!(set.resolve("电熔镁砂").unwrap(), "magnesia/fused");
        assert_eq!(set.resolve("菱镁产业链/电熔镁砂").unwrap(), "magnesia/fused");
        assert_eq!(set.resolve("mg-metal/die-casting").unwrap(), "mg-metal/die-casting");
        assert!(set.resolve("镁砂").unwrap_err().contains("环节组"));
        assert!(set.resolve("不存在").is_err());
        assert_eq!(set.display("magnesia/fused"), "菱镁产业链 · 电熔镁砂");
    }

    #[test]
    fn a_small_template_parses() {
        let c = Chain::parse("t.toml", SMALL).unwrap();
        assert!(c.is_leaf("b") && !c.is_leaf("g"));
        assert_eq!(c.leaves().count(), 2);
    }

    #[test]
    fn template_errors_name_the_problem() {
        let err = |text: &str| Chain::parse("t.toml", text).unwrap_err().to_string();
        assert!(err(&SMALL.replace("parent = \"g\"", "parent = \"x\"")).contains("上级「x」不存在"));
        assert!(err(&SMALL.replace("to = \"b\"", "to = \"z\"")).contains("不存在的节点「z」"));
        assert!(err(&SMALL.replace("to = \"b\"", "to = \"g\"")).contains("环节组"));
        assert!(err(&SMALL.replace("id = \"b\"", "id = \"a\"")).contains("节点编号「a」重复"));
        assert!(err(&SMALL.replace("stage = \"upstream\"", "stage = \"top\"")).contains("t.toml"));
        let cycle = SMALL.replace("stage = \"midstream\"\n[[node]]", "stage = \"midstream\"\nparent = \"b\"\n[[node]]");
        assert!(err(&cycle).contains("有环"), "{}", err(&cycle));
        assert!(err(&SMALL.replace("to = \"b\"", "to = \"a\"")).contains("首尾相同"));
        assert!(err(&format!("{SMALL}weight = -1\n")).contains("权重"));
        let target = |node: &str, extra: &str| {
            format!("{SMALL}[[target]]\nregion = \"2103\"\nnode = \"{node}\"\nyear = 2027\nsource = \"规划\"\n{extra}")
        };
        assert!(Chain::parse("t.toml", &target("b", "revenue = 100\n")).is_ok());
        assert!(err(&target("g", "revenue = 100\n")).contains("具体环节"));
        assert!(err(&target("z", "revenue = 100\n")).contains("不存在的节点「z」"));
        assert!(err(&target("b", "")).contains("营收"));
    }
}
