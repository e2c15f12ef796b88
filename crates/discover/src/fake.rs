//! Realistic fake Chinese customers for the demo and tests: every resident ID agrees with the
//! person's region, birth date and sex; phones, cards and codes pass their checks.

use crate::kinds::Kind;
use crate::validate::{luhn_check_digit, resident_id_check};
use datavisa_table::date::{civil_from_days, days_from_civil};
use rand::Rng;

/// (region code, province, city, district, postcode, latitude, longitude)
const REGIONS: &[(&str, &str, &str, &str, &str, f64, f64)] = &[
    (
        "110101",
        "北京市",
        "北京市",
        "东城区",
        "100010",
        39.928,
        116.416,
    ),
    (
        "110105",
        "北京市",
        "北京市",
        "朝阳区",
        "100020",
        39.921,
        116.443,
    ),
    (
        "110108",
        "北京市",
        "北京市",
        "海淀区",
        "100080",
        39.959,
        116.298,
    ),
    (
        "310101",
        "上海市",
        "上海市",
        "黄浦区",
        "200001",
        31.231,
        121.484,
    ),
    (
        "310115",
        "上海市",
        "上海市",
        "浦东新区",
        "200120",
        31.221,
        121.544,
    ),
    (
        "120101",
        "天津市",
        "天津市",
        "和平区",
        "300041",
        39.117,
        117.195,
    ),
    (
        "500103",
        "重庆市",
        "重庆市",
        "渝中区",
        "400010",
        29.556,
        106.568,
    ),
    (
        "440103",
        "广东省",
        "广州市",
        "荔湾区",
        "510145",
        23.126,
        113.244,
    ),
    (
        "440106",
        "广东省",
        "广州市",
        "天河区",
        "510630",
        23.125,
        113.361,
    ),
    (
        "440304",
        "广东省",
        "深圳市",
        "福田区",
        "518000",
        22.541,
        114.055,
    ),
    (
        "440305",
        "广东省",
        "深圳市",
        "南山区",
        "518052",
        22.531,
        113.930,
    ),
    (
        "330102",
        "浙江省",
        "杭州市",
        "上城区",
        "310002",
        30.242,
        120.169,
    ),
    (
        "330106",
        "浙江省",
        "杭州市",
        "西湖区",
        "310013",
        30.259,
        120.130,
    ),
    (
        "320102",
        "江苏省",
        "南京市",
        "玄武区",
        "210018",
        32.048,
        118.797,
    ),
    (
        "320508",
        "江苏省",
        "苏州市",
        "姑苏区",
        "215000",
        31.311,
        120.617,
    ),
    (
        "510104",
        "四川省",
        "成都市",
        "锦江区",
        "610021",
        30.657,
        104.083,
    ),
    (
        "420106",
        "湖北省",
        "武汉市",
        "武昌区",
        "430061",
        30.553,
        114.316,
    ),
    (
        "610113",
        "陕西省",
        "西安市",
        "雁塔区",
        "710061",
        34.213,
        108.948,
    ),
    (
        "370102",
        "山东省",
        "济南市",
        "历下区",
        "250011",
        36.666,
        117.076,
    ),
    (
        "370202",
        "山东省",
        "青岛市",
        "市南区",
        "266001",
        36.066,
        120.383,
    ),
    (
        "410105",
        "河南省",
        "郑州市",
        "金水区",
        "450003",
        34.800,
        113.660,
    ),
    (
        "430102",
        "湖南省",
        "长沙市",
        "芙蓉区",
        "410011",
        28.193,
        112.985,
    ),
    (
        "350203",
        "福建省",
        "厦门市",
        "思明区",
        "361001",
        24.445,
        118.082,
    ),
    (
        "210102",
        "辽宁省",
        "沈阳市",
        "和平区",
        "110001",
        41.789,
        123.406,
    ),
    (
        "230102",
        "黑龙江省",
        "哈尔滨市",
        "道里区",
        "150010",
        45.755,
        126.617,
    ),
    (
        "530102",
        "云南省",
        "昆明市",
        "五华区",
        "650032",
        25.043,
        102.704,
    ),
];

/// (surname, pinyin)
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("欧阳", "ouyang"),
];

const GIVEN_MALE: &str = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林";
const GIVEN_FEMALE: &str = "芳娜敏静丽艳娟霞秀玲桂英丹萍红玉兰琳雪梅婷慧颖佳倩晶莉燕";
const STREETS: &[&str] = &[
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平街",
    "新华路",
    "科技园路",
    "滨江大道",
    "长安街",
    "文化路",
];
const ETHNIC: &[(&str, u32)] = &[
    ("汉族", 915),
    ("壮族", 15),
    ("回族", 10),
    ("满族", 10),
    ("维吾尔族", 9),
    ("苗族", 8),
    ("彝族", 7),
    ("土家族", 7),
    ("藏族", 5),
    ("蒙古族", 5),
    ("朝鲜族", 4),
    ("白族", 5),
];
const DIAGNOSES: &[(&str, &str)] = &[
    ("高血压", "I10"),
    ("2型糖尿病", "E11"),
    ("冠心病", "I25.1"),
    ("慢性胃炎", "K29.5"),
    ("支气管哮喘", "J45"),
    ("抑郁症", "F32"),
    ("社区获得性肺炎", "J18.9"),
    ("腰椎间盘突出", "M51.2"),
    ("过敏性鼻炎", "J30.4"),
    ("脂肪肝", "K76.0"),
];
const CATEGORIES: &[&str] = &[
    "家电",
    "服装",
    "食品",
    "图书",
    "美妆",
    "母婴",
    "数码",
    "家居",
    "运动",
    "医药保健",
];
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "199",
];
const MAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "gmail.com",
    "outlook.com",
];
const REMARKS: &[&str] = &[
    "客户要求周末送货上门，请提前电话联系",
    "已按客户要求开具增值税普通发票并随货寄出",
    "商品外包装有轻微破损，客户同意签收并给予优惠券补偿",
    "老客户，多次复购，偏好顺丰快递，周一至周五白天不在家",
    "客户反映上次订单少发一件，已补发并致电道歉说明情况",
    "订单因地址不详退回，已与客户重新确认详细收货地址",
];

fn pick<'a, T>(rng: &mut impl Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn pick_char(rng: &mut impl Rng, s: &str) -> char {
    let cs: Vec<char> = s.chars().collect();
    cs[rng.random_range(0..cs.len())]
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A resident ID for a region, birth day and sex, with its check character.
pub fn resident_id(rng: &mut impl Rng, region: &str, birth: i64, male: bool) -> String {
    let (y, m, d) = civil_from_days(birth);
    // The 17th digit is odd for men and even for women (GB 11643).
    let seq = rng.random_range(0..500u32) * 2 + u32::from(male);
    let body = format!("{region}{y:04}{m:02}{d:02}{seq:03}");
    let check = resident_id_check(body.as_bytes()).expect("17 digits") as char;
    format!("{body}{check}")
}

/// A mainland mobile number (sometimes written with +86 and spaces).
pub fn mobile(rng: &mut impl Rng) -> String {
    let n = format!("{}{}", pick(rng, MOBILE_PREFIXES), digits(rng, 8));
    if rng.random_bool(0.1) {
        format!("+86 {} {} {}", &n[..3], &n[3..7], &n[7..])
    } else {
        n
    }
}

/// A UnionPay card number (16 or 19 digits) with a valid Luhn digit.
pub fn bank_card(rng: &mut impl Rng) -> String {
    let len = if rng.random_bool(0.6) { 19 } else { 16 };
    let body = format!("62{}", digits(rng, len - 3));
    let check = luhn_check_digit(body.as_bytes()) as char;
    format!("{body}{check}")
}

/// Column names of the demo customer table, in order.
pub const CUSTOMER_COLUMNS: &[&str] = &[
    "customer_id",
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "身份证号",
    "手机号",
    "email",
    "银行卡号",
    "省份",
    "城市",
    "地址",
    "邮编",
    "诊断",
    "icd10",
    "购买类别",
    "购买金额",
    "购买日期",
    "纬度",
    "经度",
    "备注",
];

/// One fake customer as the fields of [`CUSTOMER_COLUMNS`].
pub fn customer(rng: &mut impl Rng, i: usize, today: i64) -> Vec<String> {
    customer_with_plants(rng, i, today).0
}

/// An identifier the generator wrote into a remark: its kind and byte range in the remark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planted {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// What the remark will say, drawn where the remark always was drawn (so every other field
/// and every later customer come out of the random stream exactly as before).
enum RemarkDraw {
    Empty,
    Phone(String),
    Diagnosis,
    Template(&'static str),
}

/// Appends `value` to `text` and records it as planted.
fn plant(text: &mut String, plants: &mut Vec<Planted>, kind: Kind, value: &str) {
    let start = text.len();
    text.push_str(value);
    plants.push(Planted {
        kind,
        start,
        end: text.len(),
    });
}

/// The remark's text and the identifiers planted in it: the phone of a "call" remark, and in
/// every other templated remark the customer's own name and ID (rows 1, 5, 9...) or e-mail
/// (rows 3, 7, 11...), chosen by row number, not by the random stream.
fn remark(draw: RemarkDraw, i: usize, diag: &str, own: [&str; 3]) -> (String, Vec<Planted>) {
    let [name, id, email] = own;
    let mut text = String::new();
    let mut plants = Vec::new();
    match draw {
        RemarkDraw::Empty => {}
        RemarkDraw::Phone(m) => {
            text.push_str("请联系 ");
            plant(&mut text, &mut plants, Kind::CnMobile, &m);
            text.push_str(" 确认收货时间");
        }
        RemarkDraw::Diagnosis => text = format!("客户自述有{diag}，需购买相关保健品"),
        RemarkDraw::Template(t) => {
            text.push_str(t);
            if i % 4 == 1 {
                text.push_str("；联系人：");
                plant(&mut text, &mut plants, Kind::PersonName, name);
                text.push_str("，身份证 ");
                plant(&mut text, &mut plants, Kind::CnResidentId, id);
            } else if i % 4 == 3 {
                text.push_str("；回访邮箱 ");
                plant(&mut text, &mut plants, Kind::Email, email);
            }
        }
    }
    (text, plants)
}

/// One fake customer, and the identifiers planted in its remark (the last field).
pub fn customer_with_plants(
    rng: &mut impl Rng,
    i: usize,
    today: i64,
) -> (Vec<String>, Vec<Planted>) {
    let region = pick(rng, REGIONS);
    let male = rng.random_bool(0.5);
    // Birth dates from 1940 up to 6 years ago: some customers are minors under 14.
    let birth = rng.random_range(days_from_civil(1940, 1, 1)..today - 6 * 366);
    let (sur, py) = pick(rng, SURNAMES);
    let pool = if male { GIVEN_MALE } else { GIVEN_FEMALE };
    let mut name = sur.to_string();
    name.push(pick_char(rng, pool));
    if rng.random_bool(0.6) {
        name.push(pick_char(rng, pool));
    }
    let (y, _, _) = civil_from_days(birth);
    let ethnic = {
        let total: u32 = ETHNIC.iter().map(|e| e.1).sum();
        let mut x = rng.random_range(0..total);
        ETHNIC
            .iter()
            .find(|e| {
                if x < e.1 {
                    true
                } else {
                    x -= e.1;
                    false
                }
            })
            .map_or("汉族", |e| e.0)
    };
    let phone = mobile(rng);
    let (diag, icd) = if rng.random_bool(0.35) {
        let d = pick(rng, DIAGNOSES);
        (d.0.to_string(), d.1.to_string())
    } else {
        (String::new(), String::new())
    };
    let draw = match rng.random_range(0..10) {
        0..=3 => RemarkDraw::Empty,
        4 => RemarkDraw::Phone(mobile(rng)),
        5 if !diag.is_empty() => RemarkDraw::Diagnosis,
        // The same draw as `pick`.
        _ => RemarkDraw::Template(REMARKS[rng.random_range(0..REMARKS.len())]),
    };
    let purchase = today - rng.random_range(0..730);
    let amount = (rng.random_range(500..500_000) as f64) / 100.0;
    // Drawn in the order the fields were always drawn in.
    let id = resident_id(rng, region.0, birth, male);
    let email = format!(
        "{py}{}{}@{}",
        y % 100,
        digits(rng, 3),
        pick(rng, MAIL_DOMAINS)
    );
    let card = bank_card(rng);
    let address = format!(
        "{}{}{}{}{}号{}栋{}室",
        region.1,
        if region.1 == region.2 { "" } else { region.2 },
        region.3,
        pick(rng, STREETS),
        rng.random_range(1..300),
        rng.random_range(1..30),
        rng.random_range(101..2999)
    );
    let category = pick(rng, CATEGORIES).to_string();
    let lat = format!("{:.6}", region.5 + rng.random_range(-0.05..0.05));
    let lng = format!("{:.6}", region.6 + rng.random_range(-0.05..0.05));
    let (remark, plants) = remark(draw, i, &diag, [&name, &id, &email]);
    let row = vec![
        format!("C{:08}", i + 1),
        name,
        (if male { "男" } else { "女" }).to_owned(),
        datavisa_table::date::format_date(birth),
        ethnic.to_owned(),
        id,
        phone,
        email,
        card,
        region.1.to_owned(),
        region.2.to_owned(),
        address,
        region.4.to_owned(),
        diag,
        icd,
        category,
        format!("{amount:.2}"),
        datavisa_table::date::format_date(purchase),
        lat,
        lng,
        remark,
    ];
    (row, plants)
}

/// The public domain of the generated customer table's synthesizable columns, as a shop would
/// declare it from its own forms and code lists (never from the rows): sex, ethnic group,
/// province and city lists, the diagnosis and product vocabularies, date and amount ranges.
pub fn public_domain(today: i64) -> Vec<(&'static str, datavisa_table::DomainSpec)> {
    use datavisa_table::DomainSpec;
    let cats = |v: Vec<String>| DomainSpec {
        categories: Some(v),
        ..Default::default()
    };
    let date = |d: i64| toml::Value::String(datavisa_table::date::format_date(d));
    let mut provinces: Vec<String> = REGIONS.iter().map(|r| r.1.to_owned()).collect();
    provinces.sort();
    provinces.dedup();
    vec![
        ("性别", cats(vec!["男".into(), "女".into()])),
        (
            "出生日期",
            DomainSpec {
                min: Some(date(days_from_civil(1940, 1, 1))),
                max: Some(date(today)),
                bins: Some(20),
                ..Default::default()
            },
        ),
        (
            "民族",
            cats(
                crate::vocab::ETHNIC_GROUPS
                    .iter()
                    .map(|e| format!("{e}族"))
                    .collect(),
            ),
        ),
        ("省份", cats(provinces)),
        (
            "诊断",
            cats(DIAGNOSES.iter().map(|d| d.0.to_owned()).collect()),
        ),
        (
            "购买类别",
            cats(CATEGORIES.iter().map(|c| c.to_string()).collect()),
        ),
        (
            "购买金额",
            DomainSpec {
                min: Some(toml::Value::Float(0.0)),
                max: Some(toml::Value::Float(5000.0)),
                bins: Some(20),
                ..Default::default()
            },
        ),
        (
            "购买日期",
            DomainSpec {
                min: Some(date(today - 730)),
                max: Some(date(today)),
                bins: Some(24),
                ..Default::default()
            },
        ),
    ]
}

/// Writes `rows` fake customers as UTF-8 CSV, atomically, from `seed`, as of day `today`.
pub fn write_customers(
    path: &std::path::Path,
    rows: usize,
    seed: u64,
    today: i64,
) -> datavisa_table::Result<()> {
    let mut rng = datavisa_table::sample::rng(seed);
    let err =
        |e: csv::Error| datavisa_table::TableError::Invalid(format!("{}: {e}", path.display()));
    datavisa_table::write_atomic(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(CUSTOMER_COLUMNS).map_err(err)?;
        for i in 0..rows {
            out.write_record(customer(&mut rng, i, today))
                .map_err(err)?;
        }
        out.flush()
            .map_err(|e| datavisa_table::TableError::io(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::*;

    #[test]
    fn generated_values_are_valid_and_consistent() {
        let mut rng = datavisa_table::sample::rng(1);
        let today = days_from_civil(2026, 11, 22);
        for i in 0..2000 {
            let c = customer(&mut rng, i, today);
            let id = &c[5];
            assert!(is_resident_id(id), "{id}");
            let birth = resident_id_birth(id).unwrap();
            assert_eq!(datavisa_table::date::format_date(birth), c[3]);
            let sex_digit = id.as_bytes()[16] - b'0';
            assert_eq!(sex_digit % 2 == 1, c[2] == "男", "{id} {}", c[2]);
            assert!(is_mobile(&c[6]), "{}", c[6]);
            assert!(is_bank_card(&c[8]), "{}", c[8]);
            assert!(is_email(&c[7]), "{}", c[7]);
            assert!(crate::text::is_address(&c[11]), "{}", c[11]);
            assert!(crate::text::is_person_name(&c[1]), "{}", c[1]);
        }
    }

    #[test]
    fn planted_identifiers_are_exactly_what_redaction_finds() {
        let mut rng = datavisa_table::sample::rng(7);
        let today = days_from_civil(2026, 11, 22);
        let mut planted_kinds = std::collections::BTreeMap::new();
        for i in 0..3000 {
            let (c, plants) = customer_with_plants(&mut rng, i, today);
            let remark = &c[20];
            let found: Vec<Planted> = crate::spans::find_spans(remark)
                .into_iter()
                .map(|s| Planted {
                    kind: s.kind,
                    start: s.start,
                    end: s.end,
                })
                .collect();
            assert_eq!(found, plants, "row {i}: {remark}");
            for p in &plants {
                *planted_kinds.entry(p.kind).or_insert(0) += 1;
                let value = &remark[p.start..p.end];
                let own = match p.kind {
                    Kind::PersonName => &c[1],
                    Kind::CnResidentId => &c[5],
                    Kind::Email => &c[7],
                    _ => value,
                };
                assert_eq!(value, own, "row {i}");
            }
        }
        // Every kind is planted, often enough for a test to notice one missed.
        for k in [
            Kind::CnMobile,
            Kind::PersonName,
            Kind::CnResidentId,
            Kind::Email,
        ] {
            assert!(
                planted_kinds.get(&k).copied().unwrap_or(0) > 100,
                "{k:?}: {planted_kinds:?}"
            );
        }
    }
}
