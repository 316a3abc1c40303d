//! One demo enterprise and the rows about it.

use periclase_domain::{ChainSet, RegionTable, Row, Uscc, Value};

use crate::places::{Node, Place, BRANDS, NODES, PLACES, PLANTED_HIGH_PURITY, PLANTED_REVENUE};
use crate::rng::{round, Rng};
use crate::YEARS;

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Everything the generator decides about enterprise `i`, from which its rows follow.
#[derive(Debug, Clone)]
pub struct Profile {
    pub index: u64,
    pub seed: u64,
    pub uscc: String,
    pub name: String,
    pub place: &'static Place,
    pub node: &'static Node,
    pub node_index: usize,
    pub founded_year: i64,
    /// 2024 revenue, 万元.
    pub revenue: f64,
    pub growth: f64,
    /// Share of revenue spent on R&D.
    pub rd_ratio: f64,
    /// Whether the latest year (2024) has been reported yet (stale data otherwise).
    pub reported_latest: bool,
}

impl Profile {
    pub fn generate(seed: u64, i: u64) -> Profile {
        let mut r = Rng::for_item(seed, "enterprise", i);
        let weights: Vec<u32> = PLACES.iter().map(|p| p.weight).collect();
        let mut place = &PLACES[r.weighted(&weights)];
        let mut node_index = *r.pick(place.nodes);
        if PLANTED_HIGH_PURITY.contains(&i) {
            place = PLACES.iter().find(|p| p.code == "210381").expect("海城");
            node_index = NODES.iter().position(|n| n.name == "高纯镁砂").expect("node");
        }
        let node = &NODES[node_index];
        // A bijection of i onto 8 digits: unique organisation codes for up to 10^8 enterprises.
        let serial = (i.wrapping_mul(48_271).wrapping_add(seed.wrapping_mul(7_919))) % 100_000_000;
        let org8 = format!("{serial:08}");
        let org_check = periclase_domain::org_check_char(org8.as_bytes()).expect("digits");
        let uscc = Uscc::complete(&format!("91{}{org8}{org_check}", place.code)).expect("valid alphabet").to_string();
        let name = format!("{}示例{}{}有限公司", place.short, r.pick(BRANDS), node.business);
        let founded_year = r.range(1985, 2021);
        let mut revenue = r.lognormal(node.revenue_median, 1.0).clamp(50.0, 5_000_000.0);
        if place.code.starts_with("2103") {
            if let Some((_, factor)) = PLANTED_REVENUE.iter().find(|(n, _)| *n == node.name) {
                revenue = (revenue * factor).max(50.0);
            }
        }
        let growth = 0.06 + 0.12 * r.normal();
        let tech_heavy = matches!(node.chain, "smart" | "mg-metal") || node.name.contains("新材料");
        let rd_ratio = (if tech_heavy { 0.045 } else { 0.025 } * r.lognormal(1.0, 0.6)).min(0.25);
        let reported_latest = r.chance(0.85);
        Profile {
            index: i,
            seed,
            uscc,
            name,
            place,
            node,
            node_index,
            founded_year,
            revenue,
            growth,
            rd_ratio,
            reported_latest,
        }
    }

    fn rng(&self, kind: &str) -> Rng {
        Rng::for_item(self.seed ^ self.index.rotate_left(17), kind, self.index)
    }

    pub fn region(&self) -> &'static str {
        self.place.code
    }

    pub fn row(&self) -> Row {
        let mut r = self.rng("profile");
        let region_name = RegionTable::embedded().full_name(self.place.code).unwrap_or_default().replace(' ', "");
        let n_products = r.range(1, self.node.products.len().min(3) as i64) as usize;
        let start = r.range(0, (self.node.products.len() - n_products) as i64) as usize;
        let products = self.node.products[start..start + n_products].join("；");
        let founded = format!("{:04}-{:02}-{:02}", self.founded_year, r.range(1, 12), r.range(1, 28));
        vec![
            text(&self.uscc),
            text(&self.name),
            text(self.place.code),
            text(format!("{region_name}示例工业园{}号", r.range(1, 399))),
            text(self.node.industry),
            text(founded),
            text(products),
            text(format!(
                "{}；货物进出口；技术开发、技术转让（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
                self.node.scope
            )),
            Value::Int(i64::from(self.place.external)),
        ]
    }

    /// Revenue of a year, 万元.
    pub fn revenue_in(&self, year: i64) -> f64 {
        round(self.revenue / (1.0 + self.growth).powi((2024 - year) as i32), 1).max(10.0)
    }

    pub fn employees_in(&self, year: i64) -> i64 {
        // Roughly 60–120万元 of revenue per employee in these industries.
        ((self.revenue_in(year) / 90.0).max(8.0)) as i64
    }

    fn years(&self) -> &'static [i64] {
        if self.reported_latest {
            &YEARS
        } else {
            &YEARS[..2]
        }
    }

    pub fn figures(&self, each: &mut dyn FnMut(Row)) {
        let mut r = self.rng("figures");
        for &year in self.years() {
            let revenue = self.revenue_in(year);
            let employees = self.employees_in(year);
            let as_of = format!("{}-04-30", year + 1);
            let high_tech_share = if self.rd_ratio > 0.03 { r.uniform(0.3, 0.9) } else { r.uniform(0.0, 0.4) };
            let export_share = if r.chance(0.4) { r.uniform(0.02, 0.4) } else { 0.0 };
            let assets = revenue * r.uniform(0.8, 2.2);
            let energy_tce = match self.node.energy {
                Some((_, _, lo, hi)) => revenue * r.uniform(lo, hi) / 1000.0,
                None => revenue * r.uniform(0.01, 0.08),
            };
            let metrics: [(&str, Value, &str); 11] = [
                ("revenue", Value::Real(revenue), "统计局规上工业企业年报"),
                ("employees", Value::Int(employees), "统计局规上工业企业年报"),
                ("st_staff", Value::Int(((employees as f64) * r.uniform(0.04, 0.3)) as i64), "科技局科技型企业评价"),
                (
                    "rd_spend",
                    Value::Real(round(revenue * self.rd_ratio * r.uniform(0.85, 1.15), 1)),
                    "税务局研发费用加计扣除申报",
                ),
                ("total_assets", Value::Real(round(assets, 1)), "统计局财务状况表"),
                ("debt_ratio", Value::Real(round(r.uniform(20.0, 85.0), 1)), "统计局财务状况表"),
                ("high_tech_income", Value::Real(round(revenue * high_tech_share, 1)), "科技局高新技术企业统计"),
                (
                    "invention_patents",
                    Value::Int((self.rd_ratio * 200.0 * r.uniform(0.2, 1.5)) as i64),
                    "市场监管局知识产权统计",
                ),
                (
                    "ip_count",
                    Value::Int((self.rd_ratio * 600.0 * r.uniform(0.3, 1.5)) as i64),
                    "市场监管局知识产权统计",
                ),
                ("exports", Value::Real(round(revenue * export_share, 1)), "海关出口数据"),
                ("energy_use", Value::Real(round(energy_tce, 1)), "发改委重点用能单位能耗监测"),
            ];
            for (metric, value, source) in metrics {
                // Some figures are simply not reported: the policy engine must see them as unknown.
                if r.chance(0.06) {
                    continue;
                }
                // The figure registry holds every metric as a decimal.
                let value = match value {
                    Value::Int(n) => Value::Real(n as f64),
                    v => v,
                };
                each(vec![text(&self.uscc), Value::Int(year), text(metric), value, text(source), text(&as_of)]);
            }
        }
    }

    /// The enterprise's place on its chain template, as an official confirmed it. One in ten
    /// is left unassigned: `periclase chain suggest` has those to propose.
    pub fn chain_members(&self, each: &mut dyn FnMut(Row)) {
        if self.index % 10 == 3 {
            return;
        }
        let Some(chain) = ChainSet::embedded().get(self.node.chain) else { return };
        let Some(node) = chain.find(self.node.name) else { return };
        let basis = format!("主要产品：{}", self.node.products.join("、"));
        each(vec![text(&self.uscc), text(format!("{}/{}", chain.id, node.id)), text("confirmed"), text(basis)]);
    }

    pub fn honours(&self, each: &mut dyn FnMut(Row)) {
        let mut r = self.rng("honours");
        let revenue = self.revenue_in(2024);
        let employees = self.employees_in(2024);
        let mut emit = |honour: &str, year: i64, level: &str, cert: Option<String>, until: Option<String>| {
            each(vec![
                text(&self.uscc),
                text(honour),
                Value::Int(year),
                text(level),
                cert.map_or(Value::Null, text),
                until.map_or(Value::Null, text),
            ]);
        };
        let region2 = &self.place.code[..2];
        let tech_sme = employees <= 500 && revenue <= 20_000.0 && r.chance(0.45);
        if tech_sme {
            emit(
                "tech_sme",
                r.range(2023, 2024),
                "national",
                Some(format!("{}{}{:06}", r.range(2023, 2024), region2, self.index % 1_000_000)),
                None,
            );
        }
        let high_tech = self.rd_ratio >= 0.03 && r.chance(0.5);
        if high_tech {
            let y = r.range(2021, 2024);
            emit(
                "high_tech",
                y,
                "national",
                Some(format!("GR{y}{region2}{:06}", self.index % 1_000_000)),
                Some(format!("{}-12-31", y + 3)),
            );
        }
        let innovative = (tech_sme || high_tech) && r.chance(0.3);
        if innovative {
            emit("innovative_sme", r.range(2022, 2024), "provincial", None, Some(format!("{}-12-31", 2027)));
        }
        let specialized = innovative && revenue >= 1000.0 && r.chance(0.45);
        if specialized {
            emit("specialized_sme", r.range(2022, 2024), "provincial", None, Some("2027-12-31".to_string()));
        }
        if specialized && revenue >= 5000.0 && r.chance(0.2) {
            emit("little_giant", r.range(2021, 2024), "national", None, Some("2027-06-30".to_string()));
        }
        if revenue >= 50_000.0 && r.chance(0.08) {
            let level = if r.chance(0.4) { "national" } else { "provincial" };
            emit("single_champion", r.range(2020, 2024), level, None, None);
        }
        if self.founded_year >= 2014 && r.chance(0.06) {
            emit("eaglet", r.range(2022, 2024), "provincial", None, None);
        }
        if self.growth > 0.2 && r.chance(0.3) {
            emit("gazelle", r.range(2022, 2024), "provincial", None, None);
        }
        if self.growth > 0.3 && self.rd_ratio > 0.06 && r.chance(0.05) {
            emit("potential_unicorn", 2024, "provincial", None, None);
        }
        if revenue >= 200_000.0 && !self.place.external && r.chance(0.4) {
            emit("chain_leader", 2024, "provincial", None, None);
        }
    }

    pub fn capacities(&self, each: &mut dyn FnMut(Row)) {
        let Some((product, lo, hi)) = self.node.capacity else {
            return;
        };
        let mut r = self.rng("capacity");
        let capacity = (r.uniform(lo, hi) / 1000.0).round() * 1000.0;
        for &year in self.years() {
            let output = round(capacity * r.uniform(0.45, 0.95), 0);
            each(vec![
                text(&self.uscc),
                text(product),
                Value::Int(year),
                Value::Real(capacity),
                Value::Real(output),
                text("t"),
                text("企业填报（县级工信部门核实）"),
                text(format!("{}-03-31", year + 1)),
            ]);
        }
    }

    pub fn energy(&self, each: &mut dyn FnMut(Row)) {
        let Some((product, unit, lo, hi)) = self.node.energy else {
            return;
        };
        let mut r = self.rng("energy");
        let places = if unit == "tce/t" { 2 } else { 1 };
        for &year in &self.years()[1..] {
            each(vec![
                text(&self.uscc),
                text(product),
                Value::Int(year),
                Value::Real(round(r.uniform(lo, hi), places)),
                text(unit),
                text("节能监察"),
                text(format!("{}-06-30", year + 1)),
            ]);
        }
    }

    /// 首台（套）/首批次 insurance: about one enterprise in thirty insures a first unit, some
    /// in the fourth year (past the three-year subsidy) or before its product was listed.
    pub fn first_sets(&self, each: &mut dyn FnMut(Row)) {
        if self.index % 30 != 7 || self.place.external {
            return;
        }
        let mut r = self.rng("first-sets");
        let insured = r.range(5, 60) as f64 * 100.0;
        let rate = [0.012, 0.018, 0.025, 0.03, 0.036][r.range(0, 4) as usize];
        let kind = if r.chance(0.7) { "equipment" } else { "material" };
        let product = if kind == "equipment" {
            format!("{}成套装备", self.node.products[0])
        } else {
            format!("高性能{}", self.node.products[0])
        };
        let year = r.range(2022, 2024);
        each(vec![
            text(&self.uscc),
            text(format!("PB{year}{:08}", self.index)),
            text(product),
            text(kind),
            if r.chance(0.85) { Value::Int(year - 1) } else { Value::Null },
            Value::Real(insured),
            Value::Real((insured * rate * 100.0).round() / 100.0),
            text(format!("{year}-0{}-15", r.range(1, 9))),
            Value::Int(r.range(1, 4)),
        ]);
    }

    pub fn certifications(&self, each: &mut dyn FnMut(Row)) {
        let mut r = self.rng("certifications");
        let big = self.revenue >= 20_000.0;
        let odds: [(&str, &str, f64); 6] = [
            ("digital_workshop", "provincial", if big { 0.12 } else { 0.03 }),
            ("smart_factory", "provincial", if big { 0.05 } else { 0.005 }),
            ("smart_factory", "national", if big { 0.01 } else { 0.0 }),
            ("green_factory", "national", if big { 0.04 } else { 0.004 }),
            ("green_factory", "provincial", if big { 0.08 } else { 0.02 }),
            ("factory_5g", "provincial", if big { 0.04 } else { 0.005 }),
        ];
        for (kind, level, p) in odds {
            if r.chance(p) {
                let title = match kind {
                    "digital_workshop" => format!("{}数字化车间", self.node.products[0]),
                    "smart_factory" => format!("{}智能工厂", self.node.name),
                    "green_factory" => "绿色工厂".to_string(),
                    _ => "5G全连接工厂".to_string(),
                };
                each(vec![text(&self.uscc), text(kind), text(level), Value::Int(r.range(2020, 2024)), text(title)]);
            }
        }
    }
}
