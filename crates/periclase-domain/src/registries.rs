//! Every registry Periclase keeps, described once.

use crate::spec::{opt, opt_a, EnumOption, FieldKind as K, FieldSpec as F, RegistryId, RegistrySpec};
use crate::validate::{FieldError, Row};
use crate::value::Value;

const SHORT: usize = 64;
const NAME: usize = 200;
const LINE: usize = 500;

pub const LEVELS: &[EnumOption] = &[
    opt_a("national", "国家级", &["国家", "national"]),
    opt_a("provincial", "省级", &["省", "provincial"]),
    opt_a("municipal", "市级", &["市", "municipal"]),
    opt_a("county", "县级", &["县", "区县级"]),
];

/// Tiers and honours (企业梯度与荣誉).
pub const HONOURS: &[EnumOption] = &[
    opt_a("tech_sme", "科技型中小企业", &["科技型"]),
    opt_a("high_tech", "高新技术企业", &["高新", "高企", "国家高新技术企业"]),
    opt_a("innovative_sme", "创新型中小企业", &["创新型"]),
    opt_a("specialized_sme", "专精特新中小企业", &["专精特新", "专精特新企业"]),
    opt_a(
        "little_giant",
        "专精特新“小巨人”",
        &["专精特新\"小巨人\"", "小巨人", "专精特新小巨人", "专精特新“小巨人”企业"],
    ),
    opt_a("single_champion", "制造业单项冠军", &["单项冠军", "制造业单项冠军企业"]),
    opt_a("eaglet", "雏鹰企业", &["雏鹰"]),
    opt_a("gazelle", "瞪羚企业", &["瞪羚"]),
    opt_a("potential_unicorn", "潜在独角兽企业", &["潜在独角兽"]),
    opt_a("unicorn", "独角兽企业", &["独角兽"]),
    opt_a("chain_leader", "链主企业", &["链主"]),
];

/// Yearly figures; the unit is part of the label.
pub const METRICS: &[EnumOption] = &[
    opt_a("revenue", "营业收入（万元）", &["营业收入", "营收"]),
    opt_a("employees", "从业人员（人）", &["从业人员", "职工人数", "员工人数"]),
    opt_a("st_staff", "科技人员（人）", &["科技人员", "研发人员"]),
    opt_a("rd_spend", "研发费用（万元）", &["研发费用", "研发投入"]),
    opt_a("total_assets", "资产总额（万元）", &["资产总额", "总资产"]),
    opt_a("debt_ratio", "资产负债率（%）", &["资产负债率"]),
    opt_a("high_tech_income", "高新技术产品收入（万元）", &["高新技术产品收入", "高新技术产品（服务）收入"]),
    opt_a("invention_patents", "发明专利（件）", &["发明专利", "有效发明专利"]),
    opt_a("ip_count", "知识产权（件）", &["知识产权", "知识产权数"]),
    opt_a("exports", "出口额（万元）", &["出口额", "出口交货值"]),
    opt_a("energy_use", "综合能耗（吨标准煤）", &["综合能耗", "能源消费量"]),
    opt_a("main_business_income", "主营业务收入（万元）", &["主营业务收入"]),
    opt_a("equity_raised", "股权融资（万元）", &["股权融资"]),
];

pub const CERTIFICATIONS: &[EnumOption] = &[
    opt_a("digital_workshop", "数字化车间", &[]),
    opt_a("smart_factory", "智能工厂", &[]),
    opt_a("green_factory", "绿色工厂", &[]),
    opt_a("factory_5g", "5G工厂", &["5G全连接工厂"]),
];

pub const PROJECT_STAGES: &[EnumOption] = &[
    opt("planning", "谋划"),
    opt_a("preparing", "前期", &["前期手续"]),
    opt_a("building", "在建", &["建设中"]),
    opt_a("completed", "竣工", &["建成"]),
    opt_a("operating", "投产", &["达产", "建成投产"]),
];

pub const PROJECT_CATEGORIES: &[EnumOption] = &[
    opt_a("fill", "补链", &[]),
    opt_a("extend", "延链", &[]),
    opt_a("strengthen", "强链", &[]),
    opt_a("other", "其他", &[]),
];

pub const LINK_KINDS: &[EnumOption] = &[
    opt_a("current", "现任单位", &["任职单位", "现单位"]),
    opt_a("former", "曾任单位", &["原单位", "前任单位"]),
    opt_a("partner", "合作项目伙伴", &["合作单位", "项目合作"]),
    opt_a("other", "其他利益关系", &["其他"]),
];

pub const PLATFORM_KINDS: &[EnumOption] = &[
    opt("key_lab", "重点实验室"),
    opt_a("tech_innovation_center", "技术创新中心", &["专业技术创新中心"]),
    opt("enterprise_tech_center", "企业技术中心"),
    opt("industrial_design_center", "工业设计中心"),
    opt_a("pilot_base", "中试基地", &["科技成果转化中试基地"]),
    opt_a("alliance", "产学研联盟", &["实质性产学研联盟"]),
    opt("manufacturing_innovation_center", "制造业创新中心"),
    opt("engineering_center", "工程研究中心"),
    opt("other", "其他"),
];

pub const EVALUATION_RESULTS: &[EnumOption] =
    &[opt("excellent", "优秀"), opt("good", "良好"), opt("pass", "合格"), opt_a("fail", "不合格", &["不通过"])];

pub const MATURITY: &[EnumOption] = &[
    opt_a("lab", "实验室", &["实验室阶段"]),
    opt_a("bench", "小试", &["小试阶段"]),
    opt_a("pilot", "中试", &["中试阶段"]),
    opt_a("industrial", "产业化", &["产业化阶段", "已产业化"]),
];

pub const DEMAND_STATUS: &[EnumOption] =
    &[opt_a("open", "征集中", &["发布", "待对接"]), opt("matched", "已对接"), opt("closed", "已关闭")];

pub const POLICY_CATEGORIES: &[EnumOption] = &[
    opt_a("relief", "减免", &["税费减免"]),
    opt_a("award", "奖补", &["奖励", "补贴", "补助"]),
    opt("entitlement", "权益"),
    opt_a("qualification", "资质", &["资质认定"]),
];

pub const FINANCE_KINDS: &[EnumOption] = &[
    opt_a("loan", "贷款", &["信贷"]),
    opt("guarantee", "担保"),
    opt("insurance", "保险"),
    opt_a("equity", "股权投资", &["股权"]),
    opt("leasing", "融资租赁"),
    opt("other", "其他"),
];

/// 首台（套）重大技术装备 and 首批次新材料, the two insurance-compensation schemes.
pub const FIRST_SET_KINDS: &[EnumOption] = &[
    opt_a("equipment", "首台（套）重大技术装备", &["首台套", "首台(套)", "首台（套）", "重大技术装备"]),
    opt_a("material", "首批次新材料", &["首批次", "新材料首批次"]),
];

const ENT: K = K::Ref(RegistryId::Enterprises);
const ENT_KEY: F = F::new("uscc", "统一社会信用代码", ENT)
    .column("enterprise_id")
    .aliases(&["信用代码", "社会信用代码", "企业信用代码", "USCC"])
    .required();
const SOURCE: F = F::new("source", "数据来源", K::Text(NAME)).aliases(&["来源"]).required();
const AS_OF: F = F::new("as_of", "截至日期", K::Date).aliases(&["数据日期", "统计截止日期"]).required();
const REGION: F =
    F::new("region", "所属地区", K::Region).aliases(&["地区", "地区代码", "行政区划代码", "行政区划", "region_code"]);

fn error(spec_field: &F, value: &Value, message: String) -> FieldError {
    FieldError::new(spec_field, value.to_string(), message)
}

/// `later` must not come before `earlier` when both are given.
fn ordered(row: &Row, fields: &[F], earlier: usize, later: usize) -> Vec<FieldError> {
    match (&row[earlier], &row[later]) {
        (Value::Null, _) | (_, Value::Null) => vec![],
        (a, b) => {
            let out_of_order = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => y < x,
                _ => b.as_str() < a.as_str(),
            };
            if out_of_order {
                vec![error(
                    &fields[later],
                    b,
                    format!("「{}」（{}）早于「{}」（{}）", fields[later].label, b, fields[earlier].label, a),
                )]
            } else {
                vec![]
            }
        }
    }
}

pub static ENTERPRISE_FIELDS: &[F] = &[
    F::new("uscc", "统一社会信用代码", K::Uscc).aliases(&["信用代码", "社会信用代码", "USCC"]).required(),
    F::new("name", "企业名称", K::Text(NAME)).aliases(&["名称", "单位名称", "企业"]).required(),
    F::new("region", "所属地区", K::Region)
        .aliases(&["地区", "地区代码", "行政区划代码", "行政区划", "region_code"])
        .required(),
    F::new("address", "地址", K::Text(LINE)).aliases(&["注册地址", "企业地址", "住所"]),
    F::new("industry", "行业代码", K::Industry).aliases(&["国民经济行业代码", "所属行业代码", "industry_code"]),
    F::new("founded", "成立日期", K::Date).aliases(&["注册日期", "成立时间", "founding_date"]),
    F::new("main_products", "主要产品", K::List).aliases(&["主营产品", "产品"]),
    F::new("business_scope", "经营范围", K::LongText),
    F::new("external", "域外企业", K::Bool).aliases(&["是否域外企业", "外地企业"]),
];

pub static ENTERPRISES: RegistrySpec = RegistrySpec {
    id: RegistryId::Enterprises,
    name: "enterprises",
    label: "企业库",
    table: "enterprise",
    fields: ENTERPRISE_FIELDS,
    natural_key: &["uscc"],
    search: &["name", "uscc", "main_products"],
    region_field: Some("region"),
    year_field: None,
    owner: Some("uscc"),
    check: None,
};

static FIGURE_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("year", "年度", K::Year).aliases(&["年份"]).required(),
    F::new("metric", "指标", K::Enum(METRICS)).aliases(&["指标名称"]).required(),
    F::new("value", "数值", K::Amount).aliases(&["值", "指标值"]).required(),
    SOURCE,
    AS_OF,
];

pub static ENTERPRISE_FIGURES: RegistrySpec = RegistrySpec {
    id: RegistryId::EnterpriseFigures,
    name: "enterprise-figures",
    label: "企业年度指标",
    table: "enterprise_figure",
    fields: FIGURE_FIELDS,
    natural_key: &["uscc", "year", "metric"],
    search: &[],
    region_field: None,
    year_field: Some("year"),
    owner: Some("uscc"),
    check: Some(|row| {
        // A figure for a year cannot be known before that year has begun.
        match (&row[1], &row[5]) {
            (Value::Int(y), Value::Text(d)) if d.as_str() < format!("{y:04}-01-01").as_str() => {
                vec![error(&FIGURE_FIELDS[5], &row[5], format!("「截至日期」{d}早于「年度」{y}年"))]
            }
            _ => vec![],
        }
    }),
};

static HONOUR_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("honour", "梯度或荣誉", K::Enum(HONOURS)).aliases(&["荣誉", "梯度", "资质", "称号"]).required(),
    F::new("year", "认定年度", K::Year).aliases(&["年度", "年份"]).required(),
    F::new("level", "认定级别", K::Enum(LEVELS)).aliases(&["级别", "认定层级"]).required(),
    F::new("certificate_no", "证书编号", K::Text(SHORT)),
    F::new("valid_until", "有效期至", K::Date),
];

pub static ENTERPRISE_HONOURS: RegistrySpec = RegistrySpec {
    id: RegistryId::EnterpriseHonours,
    name: "enterprise-honours",
    label: "企业梯度与荣誉",
    table: "enterprise_honour",
    fields: HONOUR_FIELDS,
    natural_key: &["uscc", "honour", "year"],
    search: &[],
    region_field: None,
    year_field: Some("year"),
    owner: Some("uscc"),
    check: None,
};

static CAPACITY_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("product", "产品", K::Text(NAME)).aliases(&["产品名称"]).required(),
    F::new("year", "年度", K::Year).aliases(&["年份"]).required(),
    F::new("capacity", "产能", K::Amount).aliases(&["设计产能", "年产能"]),
    F::new("output", "产量", K::Amount).aliases(&["年产量", "实际产量"]),
    F::new("unit", "单位", K::Text(16)).aliases(&["计量单位"]).required(),
    SOURCE,
    AS_OF,
];

pub static ENTERPRISE_CAPACITIES: RegistrySpec = RegistrySpec {
    id: RegistryId::EnterpriseCapacities,
    name: "enterprise-capacities",
    label: "产能产量",
    table: "enterprise_capacity",
    fields: CAPACITY_FIELDS,
    natural_key: &["uscc", "product", "year"],
    search: &["product"],
    region_field: None,
    year_field: Some("year"),
    owner: Some("uscc"),
    check: None,
};

static ENERGY_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("product", "产品", K::Text(NAME)).aliases(&["产品名称"]).required(),
    F::new("year", "年度", K::Year).aliases(&["年份"]).required(),
    F::new("value", "单位产品综合能耗", K::Amount).aliases(&["单位产品能耗", "能耗"]).required(),
    F::new("unit", "单位", K::Text(16)).aliases(&["计量单位"]).required(),
    SOURCE,
    AS_OF,
];

pub static ENTERPRISE_ENERGY: RegistrySpec = RegistrySpec {
    id: RegistryId::EnterpriseEnergy,
    name: "enterprise-energy",
    label: "单位产品能耗",
    table: "enterprise_energy",
    fields: ENERGY_FIELDS,
    natural_key: &["uscc", "product", "year"],
    search: &["product"],
    region_field: None,
    year_field: Some("year"),
    owner: Some("uscc"),
    check: None,
};

static CERTIFICATION_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("kind", "认定类型", K::Enum(CERTIFICATIONS)).aliases(&["类型", "认定"]).required(),
    F::new("level", "认定级别", K::Enum(LEVELS)).aliases(&["级别"]).required(),
    F::new("year", "认定年度", K::Year).aliases(&["年度", "年份"]).required(),
    F::new("title", "名称", K::Text(NAME)).aliases(&["车间或工厂名称", "项目名称"]),
];

pub static ENTERPRISE_CERTIFICATIONS: RegistrySpec = RegistrySpec {
    id: RegistryId::EnterpriseCertifications,
    name: "enterprise-certifications",
    label: "企业认定（数字化车间、智能工厂、绿色工厂、5G工厂）",
    table: "enterprise_certification",
    fields: CERTIFICATION_FIELDS,
    natural_key: &["uscc", "kind", "level", "year"],
    search: &["title"],
    region_field: None,
    year_field: Some("year"),
    owner: Some("uscc"),
    check: None,
};

static PROJECT_FIELDS: &[F] = &[
    F::new("code", "项目编号", K::Text(SHORT)).aliases(&["编号", "项目代码"]).required(),
    F::new("name", "项目名称", K::Text(NAME)).aliases(&["名称"]).required(),
    F::new("owner_uscc", "业主单位信用代码", ENT)
        .column("owner_id")
        .aliases(&["项目单位信用代码", "业主统一社会信用代码"]),
    F::new("region", "所属地区", K::Region).aliases(&["地区", "建设地点", "地区代码"]).required(),
    F::new("total_investment", "总投资（万元）", K::Amount).aliases(&["总投资", "计划总投资"]),
    F::new("stage", "项目阶段", K::Enum(PROJECT_STAGES)).aliases(&["阶段", "建设阶段"]),
    F::new("start_date", "开工日期", K::Date).aliases(&["开工时间"]),
    F::new("finish_date", "竣工日期", K::Date).aliases(&["竣工时间", "建成时间"]),
    F::new("chain_node", "产业链环节", K::Text(SHORT)).aliases(&["产业链节点", "链条环节"]),
    F::new("category", "项目类别", K::Enum(PROJECT_CATEGORIES)).aliases(&["类别", "补链延链强链"]),
    F::new("funding_received", "已获资金支持（万元）", K::Amount).aliases(&["已获资金支持", "获得资金"]),
    F::new("description", "建设内容", K::LongText).aliases(&["项目简介", "主要建设内容"]),
];

pub static PROJECTS: RegistrySpec = RegistrySpec {
    id: RegistryId::Projects,
    name: "projects",
    label: "项目库",
    table: "project",
    fields: PROJECT_FIELDS,
    natural_key: &["code"],
    search: &["name", "code"],
    region_field: Some("region"),
    year_field: None,
    owner: Some("owner_uscc"),
    check: Some(|row| ordered(row, PROJECT_FIELDS, 6, 7)),
};

static TALENT_FIELDS: &[F] = &[
    F::new("code", "人员编号", K::Text(SHORT)).aliases(&["编号"]).required(),
    F::new("name", "姓名", K::Text(SHORT)).required(),
    F::new("affiliation", "工作单位", K::Text(NAME)).aliases(&["单位", "所在单位"]),
    F::new("affiliation_uscc", "工作单位信用代码", ENT).column("affiliation_id"),
    F::new("title", "职称", K::Text(SHORT)).aliases(&["职务职称"]),
    F::new("fields", "专业领域", K::List).aliases(&["研究领域", "领域"]),
    F::new("category", "人才类别", K::Text(SHORT)).aliases(&["类别"]),
    F::new("is_expert", "专家库成员", K::Bool).aliases(&["是否专家", "入选专家库"]),
    REGION,
    F::new("contact", "联系方式", K::Text(NAME)).aliases(&["电话", "手机", "邮箱"]).private(),
];

pub static TALENTS: RegistrySpec = RegistrySpec {
    id: RegistryId::Talents,
    name: "talents",
    label: "人才库/专家库",
    table: "talent",
    fields: TALENT_FIELDS,
    natural_key: &["code"],
    search: &["name", "affiliation", "fields"],
    region_field: Some("region"),
    year_field: None,
    owner: None,
    check: None,
};

static TALENT_LINK_FIELDS: &[F] = &[
    F::new("talent_code", "人员编号", K::Ref(RegistryId::Talents)).column("talent_id").required(),
    F::new("kind", "关系类型", K::Enum(LINK_KINDS)).aliases(&["关系"]).required(),
    F::new("organisation", "关联单位", K::Text(NAME)).aliases(&["单位名称", "单位"]).required(),
    F::new("organisation_uscc", "关联单位信用代码", ENT).column("organisation_id"),
    F::new("since", "起始年份", K::Year).aliases(&["开始年份"]),
    F::new("until", "截止年份", K::Year).aliases(&["结束年份"]),
];

pub static TALENT_LINKS: RegistrySpec = RegistrySpec {
    id: RegistryId::TalentLinks,
    name: "talent-links",
    label: "人员关联关系（回避）",
    table: "talent_link",
    fields: TALENT_LINK_FIELDS,
    natural_key: &["talent_code", "kind", "organisation"],
    search: &["organisation"],
    region_field: None,
    year_field: None,
    owner: None,
    check: Some(|row| ordered(row, TALENT_LINK_FIELDS, 4, 5)),
};

static PLATFORM_FIELDS: &[F] = &[
    F::new("code", "平台编号", K::Text(SHORT)).aliases(&["编号"]).required(),
    F::new("name", "平台名称", K::Text(NAME)).aliases(&["名称"]).required(),
    F::new("kind", "平台类型", K::Enum(PLATFORM_KINDS)).aliases(&["类型"]).required(),
    F::new("level", "平台级别", K::Enum(LEVELS)).aliases(&["级别"]).required(),
    F::new("host", "依托单位", K::Text(NAME)).aliases(&["依托单位名称", "建设单位"]).required(),
    F::new("host_uscc", "依托单位信用代码", ENT).column("host_id"),
    REGION,
    F::new("recognised_year", "认定年份", K::Year).aliases(&["批准年份", "认定年度"]),
    F::new("field", "技术领域", K::Text(NAME)).aliases(&["领域", "研究方向"]),
];

pub static PLATFORMS: RegistrySpec = RegistrySpec {
    id: RegistryId::Platforms,
    name: "platforms",
    label: "创新平台库",
    table: "platform",
    fields: PLATFORM_FIELDS,
    natural_key: &["code"],
    search: &["name", "host"],
    region_field: Some("region"),
    year_field: Some("recognised_year"),
    owner: None,
    check: None,
};

static EVALUATION_FIELDS: &[F] = &[
    F::new("platform_code", "平台编号", K::Ref(RegistryId::Platforms)).column("platform_id").required(),
    F::new("year", "评价年度", K::Year).aliases(&["年度"]).required(),
    F::new("result", "评价结果", K::Enum(EVALUATION_RESULTS)).aliases(&["结果"]).required(),
    F::new("note", "备注", K::Text(LINE)),
];

pub static PLATFORM_EVALUATIONS: RegistrySpec = RegistrySpec {
    id: RegistryId::PlatformEvaluations,
    name: "platform-evaluations",
    label: "平台评价结果",
    table: "platform_evaluation",
    fields: EVALUATION_FIELDS,
    natural_key: &["platform_code", "year"],
    search: &[],
    region_field: None,
    year_field: Some("year"),
    owner: None,
    check: None,
};

static ACHIEVEMENT_FIELDS: &[F] = &[
    F::new("code", "成果编号", K::Text(SHORT)).aliases(&["编号", "id"]).required(),
    F::new("title", "成果名称", K::Text(NAME)).aliases(&["名称", "标题"]).required(),
    F::new("field", "技术领域", K::Text(SHORT)).aliases(&["领域"]),
    F::new("institution", "完成单位", K::Text(NAME)).aliases(&["单位", "所属机构", "持有单位"]).required(),
    F::new("summary", "成果简介", K::LongText).aliases(&["简介", "摘要", "内容"]).required(),
    F::new("keywords", "关键词", K::List),
    F::new("maturity", "成熟度", K::Enum(MATURITY)).aliases(&["技术成熟度", "所处阶段"]),
    F::new("ip", "知识产权", K::Text(LINE)).aliases(&["知识产权情况"]),
    REGION,
    F::new("year", "发布年度", K::Year).aliases(&["年度"]),
];

pub static ACHIEVEMENTS: RegistrySpec = RegistrySpec {
    id: RegistryId::Achievements,
    name: "achievements",
    label: "成果库",
    table: "achievement",
    fields: ACHIEVEMENT_FIELDS,
    natural_key: &["code"],
    search: &["title", "keywords", "institution"],
    region_field: Some("region"),
    year_field: Some("year"),
    owner: None,
    check: None,
};

static DEMAND_FIELDS: &[F] = &[
    F::new("code", "需求编号", K::Text(SHORT)).aliases(&["编号", "id"]).required(),
    F::new("title", "需求名称", K::Text(NAME)).aliases(&["名称", "标题"]).required(),
    F::new("enterprise", "需求企业", K::Text(NAME)).aliases(&["企业名称", "提出单位"]).required(),
    F::new("enterprise_uscc", "需求企业信用代码", ENT).column("enterprise_id"),
    F::new("industry", "所属领域", K::Text(SHORT)).aliases(&["领域", "行业"]),
    F::new("description", "需求描述", K::LongText).aliases(&["描述", "需求内容"]).required(),
    F::new("budget_wan", "预算（万元）", K::Amount).aliases(&["预算", "拟投入资金"]),
    REGION,
    F::new("deadline", "截止日期", K::Date),
    F::new("status", "状态", K::Enum(DEMAND_STATUS)),
];

pub static DEMANDS: RegistrySpec = RegistrySpec {
    id: RegistryId::Demands,
    name: "demands",
    label: "需求库",
    table: "demand",
    fields: DEMAND_FIELDS,
    natural_key: &["code"],
    search: &["title", "enterprise"],
    region_field: Some("region"),
    year_field: None,
    owner: Some("enterprise_uscc"),
    check: None,
};

static POLICY_FIELDS: &[F] = &[
    F::new("code", "政策编号", K::Text(SHORT)).aliases(&["编号"]).required(),
    F::new("title", "政策名称", K::Text(LINE)).aliases(&["标题", "文件名称"]).required(),
    F::new("issuer", "发文机关", K::Text(NAME)).aliases(&["发文单位", "发布机关"]).required(),
    F::new("doc_number", "文号", K::Text(SHORT)).aliases(&["发文字号"]),
    F::new("issued", "发文日期", K::Date).aliases(&["发布日期", "成文日期"]),
    F::new("effective", "施行日期", K::Date).aliases(&["生效日期"]),
    F::new("expires", "失效日期", K::Date).aliases(&["有效期至"]),
    F::new("category", "政策类别", K::Enum(POLICY_CATEGORIES)).aliases(&["类别"]),
    REGION,
    F::new("source_url", "来源链接", K::Text(LINE)).aliases(&["链接", "网址"]),
    F::new("full_text", "全文", K::LongText).aliases(&["正文", "内容"]),
];

pub static POLICIES: RegistrySpec = RegistrySpec {
    id: RegistryId::Policies,
    name: "policies",
    label: "政策库",
    table: "policy",
    fields: POLICY_FIELDS,
    natural_key: &["code"],
    search: &["title", "doc_number", "issuer"],
    region_field: Some("region"),
    year_field: None,
    owner: None,
    check: Some(|row| {
        let mut e = ordered(row, POLICY_FIELDS, 4, 5);
        e.extend(ordered(row, POLICY_FIELDS, 5, 6));
        e
    }),
};

static FINANCE_FIELDS: &[F] = &[
    F::new("code", "产品编号", K::Text(SHORT)).aliases(&["编号"]).required(),
    F::new("name", "产品名称", K::Text(NAME)).aliases(&["名称"]).required(),
    F::new("institution", "金融机构", K::Text(NAME)).aliases(&["机构", "发行机构"]).required(),
    F::new("kind", "产品类型", K::Enum(FINANCE_KINDS)).aliases(&["类型"]).required(),
    F::new("min_amount", "最低额度（万元）", K::Amount).aliases(&["最低额度"]),
    F::new("max_amount", "最高额度（万元）", K::Amount).aliases(&["最高额度", "额度上限"]),
    F::new("term_months", "期限（月）", K::Count).aliases(&["期限", "最长期限（月）"]),
    F::new("rate", "利率或费率", K::Text(SHORT)).aliases(&["利率", "费率"]),
    F::new("targets", "适用对象", K::List).aliases(&["服务对象"]),
    F::new("requirements", "申请条件", K::LongText).aliases(&["准入条件"]),
    REGION,
];

pub static FINANCIAL_PRODUCTS: RegistrySpec = RegistrySpec {
    id: RegistryId::FinancialProducts,
    name: "financial-products",
    label: "金融产品库",
    table: "financial_product",
    fields: FINANCE_FIELDS,
    natural_key: &["code"],
    search: &["name", "institution", "targets"],
    region_field: Some("region"),
    year_field: None,
    owner: None,
    check: Some(|row| ordered(row, FINANCE_FIELDS, 4, 5)),
};

static CATALOGUE_FIELDS: &[F] = &[
    F::new("year", "目录年度", K::Year).aliases(&["年度"]).required(),
    F::new("item", "技术或产品名称", K::Text(NAME)).aliases(&["名称", "产品名称", "技术名称"]).required(),
    F::new("enterprise", "推荐企业", K::Text(NAME)).aliases(&["企业名称", "申报单位"]).required(),
    F::new("enterprise_uscc", "推荐企业信用代码", ENT).column("enterprise_id"),
    F::new("field", "所属领域", K::Text(SHORT)).aliases(&["领域", "类别"]),
    F::new("description", "简介", K::LongText).aliases(&["主要内容", "技术简介"]),
];

pub static CATALOGUE: RegistrySpec = RegistrySpec {
    id: RegistryId::Catalogue,
    name: "catalogue",
    label: "推广目录",
    table: "catalogue_item",
    fields: CATALOGUE_FIELDS,
    natural_key: &["year", "item", "enterprise"],
    search: &["item", "enterprise"],
    region_field: None,
    year_field: Some("year"),
    owner: None,
    check: None,
};

/// Whether an enterprise's place on a chain node is settled.
pub const MEMBER_STATUS: &[EnumOption] = &[
    opt_a("confirmed", "已确认", &["确认", "是"]),
    opt_a("suggested", "待确认", &["建议", "推荐"]),
    opt_a("rejected", "已否决", &["否决", "否"]),
];

static CHAIN_MEMBER_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("node", "产业链环节", K::ChainNode).aliases(&["环节", "产业链节点", "链条环节"]).required(),
    F::new("status", "状态", K::Enum(MEMBER_STATUS)).aliases(&["确认状态"]).required(),
    F::new("basis", "依据", K::Text(LINE)).aliases(&["理由", "说明"]),
];

/// Enterprises on chain nodes (企业上链): assigned by officials, or suggested from products,
/// business scope and industry code and then confirmed or rejected.
pub static CHAIN_MEMBERS: RegistrySpec = RegistrySpec {
    id: RegistryId::ChainMembers,
    name: "chain-members",
    label: "企业上链",
    table: "chain_member",
    fields: CHAIN_MEMBER_FIELDS,
    natural_key: &["uscc", "node"],
    search: &[],
    region_field: None,
    year_field: None,
    owner: Some("uscc"),
    check: None,
};

static FIRST_SET_FIELDS: &[F] = &[
    ENT_KEY,
    F::new("policy_no", "保单号", K::Text(SHORT)).aliases(&["保险单号", "保单编号"]).required(),
    F::new("product", "产品名称", K::Text(NAME)).aliases(&["装备名称", "材料名称", "产品"]).required(),
    F::new("kind", "类别", K::Enum(FIRST_SET_KINDS)).aliases(&["产品类别"]).required(),
    F::new("catalogue_year", "列入目录年度", K::Year).aliases(&["目录年度", "推广应用指导目录年度"]),
    F::new("insured_amount", "保险金额（万元）", K::Amount).aliases(&["保险金额", "保额"]),
    F::new("premium", "实缴保费（万元）", K::Amount).aliases(&["保费", "实缴保费"]),
    F::new("start_date", "保险起期", K::Date).aliases(&["起保日期", "保险开始日期"]),
    F::new("coverage_year", "连续投保第几年", K::Count).aliases(&["投保年度", "投保年次"]),
];

pub static FIRST_SETS: RegistrySpec = RegistrySpec {
    id: RegistryId::FirstSets,
    name: "first-sets",
    label: "首台（套）投保",
    table: "first_set",
    fields: FIRST_SET_FIELDS,
    natural_key: &["policy_no"],
    search: &["product", "policy_no"],
    region_field: None,
    year_field: None,
    owner: Some("uscc"),
    check: None,
};

/// All registries, parents before children (the order imports and migrations need).
pub static ALL: &[&RegistrySpec] = &[
    &ENTERPRISES,
    &ENTERPRISE_FIGURES,
    &ENTERPRISE_HONOURS,
    &ENTERPRISE_CAPACITIES,
    &ENTERPRISE_ENERGY,
    &ENTERPRISE_CERTIFICATIONS,
    &PROJECTS,
    &TALENTS,
    &TALENT_LINKS,
    &PLATFORMS,
    &PLATFORM_EVALUATIONS,
    &ACHIEVEMENTS,
    &DEMANDS,
    &POLICIES,
    &FINANCIAL_PRODUCTS,
    &CATALOGUE,
    &CHAIN_MEMBERS,
    &FIRST_SETS,
];

pub fn spec(id: RegistryId) -> &'static RegistrySpec {
    ALL.iter().find(|s| s.id == id).copied().expect("every id has a spec")
}

/// Looks a registry up by its CLI/URL name or Chinese label (企业库).
pub fn by_name(name: &str) -> Option<&'static RegistrySpec> {
    ALL.iter().find(|s| s.name == name || s.label == name || s.table == name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::FieldKind;

    #[test]
    fn specs_are_consistent() {
        for s in ALL {
            assert!(!s.natural_key.is_empty(), "{}", s.name);
            for k in s.natural_key {
                let f = s.field(k).unwrap_or_else(|| panic!("{}: key {k}", s.name));
                assert!(f.required, "{}: key field {k} must be required", s.name);
            }
            for k in s.search.iter().chain(s.region_field.iter()).chain(s.year_field.iter()) {
                assert!(s.field(k).is_some(), "{}: {k}", s.name);
            }
            let mut labels = std::collections::HashSet::new();
            for f in s.fields {
                assert!(labels.insert(f.label), "{}: duplicate label {}", s.name, f.label);
                if let FieldKind::Ref(parent) = f.kind {
                    assert!(ALL.iter().position(|p| p.id == parent) < ALL.iter().position(|p| p.id == s.id));
                }
            }
            // No header alias may name two fields of one registry.
            for f in s.fields {
                for name in std::iter::once(&f.key).chain(std::iter::once(&f.label)).chain(f.aliases) {
                    let hit = s.field_for_header(name).map(|i| s.fields[i].key);
                    assert_eq!(hit, Some(f.key), "{}: header {name}", s.name);
                }
            }
        }
    }

    #[test]
    fn headers_match_loosely() {
        let s = &ENTERPRISES;
        assert_eq!(s.field_for_header(" 统一社会信用代码* "), Some(0));
        assert_eq!(s.field_for_header("USCC"), Some(0));
        assert_eq!(s.field_for_header("所属地区（代码）"), Some(2));
        assert_eq!(s.field_for_header("法定代表人"), None);
        let p = &PROJECTS;
        assert_eq!(p.field_for_header("总投资(万元)").map(|i| p.fields[i].key), Some("total_investment"));
        assert_eq!(p.field_for_header("总投资").map(|i| p.fields[i].key), Some("total_investment"));
    }
}
