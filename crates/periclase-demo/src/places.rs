//! Real places and real chain structure the demo province is built on.

/// A chain node as the demo uses it: industry code, products, and what a producer's
/// capacity and energy use look like.
#[derive(Debug)]
pub struct Node {
    /// Chain id, as the chain templates will name it.
    pub chain: &'static str,
    pub name: &'static str,
    /// GB/T 4754-2017.
    pub industry: &'static str,
    /// Word that goes into an enterprise name.
    pub business: &'static str,
    pub products: &'static [&'static str],
    pub scope: &'static str,
    /// Product whose capacity is reported, t/a range.
    pub capacity: Option<(&'static str, f64, f64)>,
    /// Product, unit and range of its unit energy consumption.
    pub energy: Option<(&'static str, &'static str, f64, f64)>,
    /// Typical revenue in 万元 (median).
    pub revenue_median: f64,
}

const fn node(
    chain: &'static str,
    name: &'static str,
    industry: &'static str,
    business: &'static str,
    products: &'static [&'static str],
    scope: &'static str,
    revenue_median: f64,
) -> Node {
    Node { chain, name, industry, business, products, scope, capacity: None, energy: None, revenue_median }
}

const fn with_capacity(mut n: Node, product: &'static str, lo: f64, hi: f64) -> Node {
    n.capacity = Some((product, lo, hi));
    n
}

const fn with_energy(mut n: Node, product: &'static str, unit: &'static str, lo: f64, hi: f64) -> Node {
    n.energy = Some((product, unit, lo, hi));
    n
}

pub static NODES: &[Node] = &[
    // 0–9: magnesite / magnesia (菱镁).
    with_capacity(
        node("magnesia", "菱镁矿开采", "B1099", "矿业", &["菱镁矿石"], "菱镁矿开采、销售", 6000.0),
        "菱镁矿石",
        100_000.0,
        1_000_000.0,
    ),
    with_capacity(
        node("magnesia", "浮选", "B1099", "选矿", &["浮选菱镁精矿"], "菱镁矿浮选提纯、精矿销售", 5000.0),
        "浮选菱镁精矿",
        50_000.0,
        500_000.0,
    ),
    with_energy(
        with_capacity(
            node(
                "magnesia",
                "轻烧氧化镁",
                "C3089",
                "镁业",
                &["轻烧氧化镁", "轻烧镁粉"],
                "轻烧氧化镁生产、销售",
                8000.0,
            ),
            "轻烧氧化镁",
            20_000.0,
            300_000.0,
        ),
        "轻烧氧化镁",
        "kgce/t",
        120.0,
        260.0,
    ),
    with_energy(
        with_capacity(
            node(
                "magnesia",
                "重烧镁砂",
                "C3089",
                "耐火原料",
                &["重烧镁砂", "中档镁砂"],
                "重烧镁砂、中档镁砂生产销售",
                9000.0,
            ),
            "重烧镁砂",
            20_000.0,
            200_000.0,
        ),
        "重烧镁砂",
        "kgce/t",
        200.0,
        380.0,
    ),
    with_energy(
        with_capacity(
            node("magnesia", "高纯镁砂", "C3089", "高纯镁", &["高纯镁砂"], "高纯镁砂研发、生产、销售", 12000.0),
            "高纯镁砂",
            10_000.0,
            100_000.0,
        ),
        "高纯镁砂",
        "kgce/t",
        300.0,
        460.0,
    ),
    with_energy(
        with_capacity(
            node(
                "magnesia",
                "电熔镁砂",
                "C3089",
                "电熔镁",
                &["电熔镁砂", "大结晶电熔镁砂"],
                "电熔镁砂冶炼、销售",
                10000.0,
            ),
            "电熔镁砂",
            5_000.0,
            100_000.0,
        ),
        "电熔镁砂",
        "kgce/t",
        900.0,
        1800.0,
    ),
    with_energy(
        with_capacity(
            node(
                "magnesia",
                "镁质耐火材料",
                "C3089",
                "耐火材料",
                &["镁碳砖", "镁铝尖晶石砖", "镁质浇注料", "镁钙砖"],
                "耐火材料制品生产、销售；窑炉工程施工",
                15000.0,
            ),
            "镁质耐火制品",
            10_000.0,
            200_000.0,
        ),
        "镁碳砖",
        "kgce/t",
        60.0,
        140.0,
    ),
    node(
        "magnesia",
        "镁建材",
        "C3029",
        "新型建材",
        &["硫氧镁基发泡砌块", "氯氧镁板", "镁质防火板"],
        "新型墙体材料、镁质建材制品生产",
        4000.0,
    ),
    node(
        "magnesia",
        "镁化工",
        "C2613",
        "镁化工",
        &["氢氧化镁", "硫酸镁", "氢氧化镁阻燃剂"],
        "无机盐（不含危险化学品）生产、销售",
        7000.0,
    ),
    node(
        "magnesia",
        "镁质新材料",
        "C3099",
        "新材料",
        &["特种矿物质绝缘材料", "氧化镁晶须", "镁基电热功能材料"],
        "镁质功能材料研发、生产、技术服务",
        6000.0,
    ),
    // 10–18: magnesium metal (镁金属).
    with_capacity(
        node("mg-metal", "白云石开采", "B1019", "矿业", &["白云石"], "白云石开采、加工、销售", 3000.0),
        "白云石",
        100_000.0,
        800_000.0,
    ),
    with_energy(
        with_capacity(
            node("mg-metal", "原镁冶炼", "C3217", "镁业", &["原镁", "镁锭"], "皮江法原镁冶炼、镁锭销售", 8000.0),
            "原镁",
            10_000.0,
            150_000.0,
        ),
        "原镁",
        "tce/t",
        3.1,
        5.6,
    ),
    with_capacity(
        node(
            "mg-metal",
            "镁合金",
            "C3240",
            "镁合金",
            &["AZ91D镁合金锭", "AM60B镁合金锭"],
            "镁合金熔炼、镁合金锭销售",
            6000.0,
        ),
        "镁合金锭",
        5_000.0,
        100_000.0,
    ),
    node(
        "mg-metal",
        "压铸",
        "C3392",
        "精密压铸",
        &["镁合金仪表盘支架", "镁合金座椅支架", "镁合金压铸件"],
        "有色金属压铸件加工、销售",
        4000.0,
    ),
    node(
        "mg-metal",
        "挤压与板材",
        "C3259",
        "镁合金型材",
        &["镁合金挤压型材", "镁合金板材"],
        "有色金属压延加工",
        3000.0,
    ),
    node(
        "mg-metal",
        "汽车零部件",
        "C3670",
        "汽车部件",
        &["车身结构件", "后地板总成", "镁合金轮毂"],
        "汽车零部件研发、制造、销售",
        25000.0,
    ),
    node("mg-metal", "3C电子", "C3990", "电子", &["笔记本电脑镁合金外壳", "手机中框"], "电子产品结构件制造", 15000.0),
    node("mg-metal", "再生镁回收", "C4210", "再生资源", &["再生镁合金锭"], "废旧金属回收、再生镁合金生产", 2000.0),
    node(
        "mg-metal",
        "镁储氢与可降解镁",
        "C3240",
        "镁基新材料",
        &["镁基储氢材料", "可降解镁合金骨钉"],
        "镁基功能材料研发、生产",
        3000.0,
    ),
    // 19–21: copper-based new materials (铜基新材料, 灵宝“中国铜箔谷”).
    with_energy(
        node("copper", "铜冶炼", "C3211", "铜业", &["阴极铜"], "铜冶炼、阴极铜销售", 60000.0),
        "阴极铜",
        "kgce/t",
        200.0,
        400.0,
    ),
    node("copper", "铜箔", "C3251", "铜箔", &["锂电铜箔", "电子电路铜箔"], "电解铜箔研发、生产、销售", 30000.0),
    node("copper", "铜加工", "C3251", "铜材", &["铜杆线", "铜板带"], "铜材压延加工", 20000.0),
    // 22–24: petrochemicals (抚顺).
    node("petrochem", "原油加工", "C2511", "石化", &["汽油", "柴油", "石脑油"], "原油加工、石油制品销售", 200000.0),
    node(
        "petrochem",
        "精细化工",
        "C2662",
        "精细化工",
        &["有机过氧化物交联剂", "甲基丙烯酸烷基酯"],
        "专项化学用品制造（不含危险化学品）",
        15000.0,
    ),
    node("petrochem", "聚烯烃新材料", "C2651", "新材料", &["POE弹性体", "聚烯烃"], "合成树脂制造、销售", 30000.0),
    // 25–28: smart manufacturing.
    node(
        "smart",
        "工业机器人",
        "C3491",
        "智能装备",
        &["工业机器人", "协作机器人"],
        "工业机器人研发、制造、系统集成",
        12000.0,
    ),
    node("smart", "数控机床", "C3421", "机床", &["数控机床", "加工中心"], "金属切削机床制造", 15000.0),
    node("smart", "工业软件", "I6513", "软件", &["MES系统", "工业互联网平台"], "软件开发、信息系统集成服务", 5000.0),
    node("smart", "起重机械", "C3431", "重工", &["塔式起重机"], "起重机械制造、安装", 20000.0),
];

/// A county-level place and the nodes its enterprises sit on (indices into [`NODES`]).
#[derive(Debug)]
pub struct Place {
    pub code: &'static str,
    pub short: &'static str,
    pub weight: u32,
    pub nodes: &'static [usize],
    pub external: bool,
}

const MAGNESIA: &[usize] = &[0, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 6, 7, 8, 9];
/// 鞍山's magnesite counties: no 镁化工 and no 高纯镁砂 drawn (see [`PLANTED`]).
const MAGNESIA_ANSHAN: &[usize] = &[0, 1, 2, 2, 3, 3, 5, 5, 6, 6, 6, 7, 9];

/// Enterprises 5 and 6 are 鞍山's only 高纯镁砂 producers (海城), see [`PLANTED`].
pub const PLANTED_HIGH_PURITY: [u64; 2] = [5, 6];
/// Revenue factors of 鞍山 (2103) enterprises on these nodes, see [`PLANTED`].
pub const PLANTED_REVENUE: &[(&str, f64)] = &[("镁建材", 0.15), ("轻烧氧化镁", 2.0)];

/// The chain findings the demo province is built to show: (chain, region, finding, node,
/// toward). The magnesite chain of 鞍山 (2103), against Liaoning, has no 镁化工 (缺链), a
/// small 镁建材 and only two 高纯镁砂 producers (弱链), on whom its refractories depend
/// (断链风险), and a strong 轻烧氧化镁 whose downstream is missing or weak (延链机会).
/// The analysis finds exactly these (a CLI test).
pub const PLANTED: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("magnesia", "2103", "missing", "chemicals", None),
    ("magnesia", "2103", "weak", "high-purity", None),
    ("magnesia", "2103", "weak", "building", None),
    ("magnesia", "2103", "break_risk", "high-purity", None),
    ("magnesia", "2103", "extension", "light-burned", Some("high-purity")),
    ("magnesia", "2103", "extension", "light-burned", Some("building")),
    ("magnesia", "2103", "extension", "light-burned", Some("chemicals")),
];
const MG_UP: &[usize] = &[10, 11, 11, 12, 12, 17, 18];
const MG_DOWN: &[usize] = &[12, 13, 13, 14, 15, 15, 16, 18];
const COPPER: &[usize] = &[19, 20, 20, 21];
const PETRO: &[usize] = &[22, 23, 23, 24];
const SMART: &[usize] = &[25, 26, 27, 28, 13, 15];

pub static PLACES: &[Place] = &[
    Place { code: "210381", short: "海城", weight: 160, nodes: MAGNESIA_ANSHAN, external: false },
    Place { code: "210323", short: "岫岩", weight: 30, nodes: MAGNESIA_ANSHAN, external: false },
    Place { code: "210302", short: "鞍山", weight: 20, nodes: &[6, 9, 25, 26], external: false },
    Place { code: "210882", short: "大石桥", weight: 150, nodes: MAGNESIA, external: false },
    Place { code: "210804", short: "鲅鱼圈", weight: 40, nodes: &[6, 6, 8, 9], external: false },
    Place { code: "210802", short: "营口", weight: 20, nodes: &[6, 7, 8], external: false },
    Place { code: "210624", short: "宽甸", weight: 20, nodes: &[0, 10, 11, 12], external: false },
    Place { code: "210106", short: "沈阳", weight: 60, nodes: SMART, external: false },
    Place { code: "210112", short: "沈阳", weight: 40, nodes: &[25, 26, 27, 15, 13], external: false },
    Place { code: "210211", short: "大连", weight: 40, nodes: &[25, 26, 27, 22, 24], external: false },
    Place { code: "210213", short: "大连", weight: 30, nodes: &[13, 14, 15, 26], external: false },
    Place { code: "210411", short: "抚顺", weight: 30, nodes: PETRO, external: false },
    Place { code: "210404", short: "抚顺", weight: 30, nodes: &[22, 23, 24, 28], external: false },
    Place { code: "210403", short: "抚顺", weight: 20, nodes: &[23, 28, 27], external: false },
    Place { code: "341702", short: "池州", weight: 60, nodes: MG_UP, external: false },
    Place { code: "341723", short: "青阳", weight: 40, nodes: MG_UP, external: false },
    Place { code: "340104", short: "合肥", weight: 30, nodes: MG_DOWN, external: false },
    Place { code: "340123", short: "肥西", weight: 30, nodes: MG_DOWN, external: false },
    Place { code: "340181", short: "巢湖", weight: 20, nodes: MG_DOWN, external: false },
    Place { code: "411282", short: "灵宝", weight: 50, nodes: COPPER, external: false },
    Place { code: "411202", short: "三门峡", weight: 20, nodes: &[19, 21, 9], external: false },
    // Outside the province: candidates for 招商 (the chain map's external enterprises).
    Place { code: "140823", short: "闻喜", weight: 12, nodes: &[11, 12, 13], external: true },
    Place { code: "610822", short: "府谷", weight: 12, nodes: &[11, 11, 12], external: true },
    Place { code: "320585", short: "太仓", weight: 8, nodes: &[13, 15, 16], external: true },
    Place { code: "500113", short: "重庆", weight: 8, nodes: &[13, 14, 15], external: true },
    Place { code: "440604", short: "佛山", weight: 6, nodes: &[7, 16, 17], external: true },
    Place { code: "370114", short: "章丘", weight: 6, nodes: &[6, 8, 20], external: true },
];

pub const BRANDS: &[&str] = &[
    "金鼎", "华镁", "辽镁", "恒泰", "宏达", "鑫源", "瑞丰", "东昊", "北方", "青花", "中兴", "长城", "盛达", "聚鑫",
    "天威", "海镁", "信诚", "广源", "华信", "永昌", "嘉顺", "利源", "博远", "汇通", "鸿邦", "晟通", "宝丰", "金石",
    "福瑞", "新港", "凯达", "泰和", "锦程", "众合", "银河", "昊天", "华冶", "东联", "天成", "伊科", "兴华", "明泰",
    "远航", "启明", "正大", "德恒", "卓越", "润通", "宏业", "金泰", "丰源", "华润", "镁都", "峰源", "安泰", "和信",
    "奥镁", "赛镁", "科镁", "创新",
];

/// Fictional universities and institutes (名称含“示例”).
pub const INSTITUTES: &[(&str, &str)] = &[
    ("示例理工大学材料科学与工程学院", "210100"),
    ("示例科技大学冶金学院", "210300"),
    ("示例化工大学菱镁产业学院", "210100"),
    ("示例有色金属研究院", "210100"),
    ("示例镁质材料研究所", "210800"),
    ("示例轻合金研究院", "340100"),
    ("示例工业大学机械工程学院", "340100"),
    ("示例关键金属实验室", "411200"),
    ("示例石化产业技术研究院", "210400"),
    ("示例航空制造技术研究所", "210100"),
];

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀", "霞", "平",
    "刚", "辉", "鹏", "华", "飞", "宇", "晨", "浩", "博", "岩", "镁",
];
