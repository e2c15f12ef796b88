//! Free-text redaction on the demo's customers: every identifier the generator planted in a
//! remark is replaced, and every other character of the remark is as it was.

use datavisa_discover::fake::{customer_with_plants, Planted, CUSTOMER_COLUMNS};
use datavisa_discover::Kind;
use datavisa_table::date::days_from_civil;
use datavisa_table::{Column, Spec, Table};
use datavisa_twin::pseudonymize::formats::{fpe, normalize, FpeFormat};
use datavisa_twin::pseudonymize::plan::plan;
use datavisa_twin::pseudonymize::redact::{placeholder, Placeholders};
use datavisa_twin::pseudonymize::{pseudonymize, Applied};
use datavisa_vault::{DomainKeys, KeyRef};
use hashbrown::HashMap;
use std::collections::BTreeMap;
use std::path::Path;

const ROWS: usize = 2000;

/// The demo's customers (a few columns) and what each remark had planted in it.
fn customers() -> (Table, Vec<Vec<String>>, Vec<Vec<Planted>>) {
    let mut rng = datavisa_table::sample::rng(11);
    let today = days_from_civil(2026, 11, 22);
    let (rows, plants): (Vec<_>, Vec<_>) = (0..ROWS)
        .map(|i| customer_with_plants(&mut rng, i, today))
        .unzip();
    let col = |name: &str| {
        let j = CUSTOMER_COLUMNS.iter().position(|c| *c == name).unwrap();
        Column::from_texts(name, rows.iter().map(|r| r[j].clone()))
    };
    let t = Table::new(vec![
        col("姓名"),
        col("手机号"),
        col("身份证号"),
        col("备注"),
    ])
    .unwrap();
    (t, rows, plants)
}

fn keys_for(domains: &[String]) -> HashMap<String, DomainKeys> {
    domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let r = KeyRef {
                key_id: i as i64 + 1,
                recipient: "r".into(),
                domain: d.clone(),
                version: 1,
            };
            (d.clone(), DomainKeys::from_root(r, &[i as u8 + 1; 32]))
        })
        .collect()
}

fn run(table: &Table, recipe: &str) -> Applied {
    run_with_keys(table, recipe).0
}

fn run_with_keys(table: &Table, recipe: &str) -> (Applied, HashMap<String, DomainKeys>) {
    let spec = Spec::parse(Path::new("spec.toml"), recipe.to_owned()).unwrap();
    let kinds: BTreeMap<String, String> = [
        ("姓名", "person_name"),
        ("手机号", "cn_mobile"),
        ("身份证号", "cn_resident_id"),
        ("备注", "free_text"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let plans = plan(table, Some(&spec), &kinds).unwrap();
    let keys = keys_for(&datavisa_twin::pseudonymize::domains_needed(&plans));
    (pseudonymize(table, &plans, &keys).unwrap(), keys)
}

fn column_values(t: &Table, name: &str) -> Vec<String> {
    let c = t.column(name).unwrap();
    (0..t.n_rows)
        .map(|r| c.display(r).unwrap_or_default())
        .collect()
}

/// The remark as it must come out: each planted span replaced by `with(kind, value)`.
fn expected(remark: &str, plants: &[Planted], with: impl Fn(Kind, &str) -> String) -> String {
    let mut out = String::new();
    let mut at = 0;
    for p in plants {
        out.push_str(&remark[at..p.start]);
        out.push_str(&with(p.kind, &remark[p.start..p.end]));
        at = p.end;
    }
    out.push_str(&remark[at..]);
    out
}

#[test]
fn every_planted_identifier_is_replaced_and_nothing_else() {
    let (t, rows, plants) = customers();
    let a = run(&t, "[pseudonymize.\"备注\"]\nmethod = \"redact\"\n");
    let out = column_values(&a.table, "备注");
    let mut planted: BTreeMap<String, u64> = BTreeMap::new();
    for (r, row) in rows.iter().enumerate() {
        let remark = &row[20];
        let want = expected(remark, &plants[r], |k, _| {
            placeholder(k, Placeholders::Zh).to_owned()
        });
        assert_eq!(out[r], want, "row {r}: {remark}");
        for p in &plants[r] {
            assert!(!out[r].contains(&remark[p.start..p.end]), "row {r}");
            *planted.entry(p.kind.as_str().to_owned()).or_default() += 1;
        }
    }
    let col = a.columns.iter().find(|c| c.plan.column == "备注").unwrap();
    assert_eq!(col.redacted.as_ref(), Some(&planted));
    // Each of the four kinds was planted (rows 1 and 3 of every four get a name and ID or an
    // e-mail when their remark is a template; a tenth of the rows call back a phone).
    assert_eq!(planted.len(), 4, "{planted:?}");
    assert_eq!(planted["person_name"], planted["cn_resident_id"]);
    // The manifest's record says counts only, never an identifier.
    let json = serde_json::to_string(&a.columns).unwrap();
    assert!(json.contains("\"redacted\":{\"cn_mobile\":"), "{json}");
    for p in plants.iter().flatten().take(50) {
        let r = plants.iter().position(|x| x.contains(p)).unwrap();
        assert!(!json.contains(&rows[r][20][p.start..p.end]));
    }
}

#[test]
fn english_placeholders_and_same_methods() {
    let (t, rows, plants) = customers();
    let (a, keys) = run_with_keys(
        &t,
        "[pseudonymize.\"备注\"]\nmethod = \"redact\"\nplaceholder = \"en\"\nspans = \"same\"\n",
    );
    // Hand-made pseudonyms with the same keys: the name column is tokenized, the phone and ID
    // columns format-preservingly encrypted (their kinds' defaults); no column holds
    // e-mails, so an e-mail gets its English placeholder.
    let token = |kind: &str, v: &str| {
        let e = keys[kind].index_entry(&normalize(Some(kind), v));
        datavisa_vault::crypto::hex(&e.token)
    };
    let with = |k: Kind, v: &str| match k {
        Kind::CnMobile => fpe(&keys["cn_mobile"], FpeFormat::CnMobile, 1, v, false).unwrap(),
        Kind::PersonName => token("person_name", v),
        Kind::CnResidentId => fpe(
            &keys["cn_resident_id"],
            FpeFormat::CnResidentId,
            0,
            v,
            false,
        )
        .unwrap(),
        _ => placeholder(k, Placeholders::En).to_owned(),
    };
    let out = column_values(&a.table, "备注");
    let names = column_values(&a.table, "姓名");
    let ids = column_values(&a.table, "身份证号");
    let mut joined = 0;
    for (r, row) in rows.iter().enumerate() {
        let remark = &row[20];
        assert_eq!(
            out[r],
            expected(remark, &plants[r], with),
            "row {r}: {remark}"
        );
        // The customer's own name and ID in the remark give the same pseudonyms as the
        // name and ID columns: the twin's remark joins its row.
        if plants[r].iter().any(|p| p.kind == Kind::PersonName) {
            assert!(
                out[r].contains(&names[r]) && out[r].contains(&ids[r]),
                "row {r}"
            );
            joined += 1;
        }
    }
    assert!(joined > 100, "{joined}");
}

#[test]
fn tokens_made_inside_text_go_into_the_index() {
    let t = Table::new(vec![
        Column::from_texts("姓名", ["张伟", "李娜"]),
        Column::from_texts("备注", ["联系人：王芳，已回访", "无"]),
    ])
    .unwrap();
    let spec = Spec::parse(
        Path::new("spec.toml"),
        "[pseudonymize.\"备注\"]\nmethod = \"redact\"\nspans = \"same\"\n".into(),
    )
    .unwrap();
    let kinds = BTreeMap::from([("姓名".to_owned(), "person_name".to_owned())]);
    let plans = plan(&t, Some(&spec), &kinds).unwrap();
    let keys = keys_for(&datavisa_twin::pseudonymize::domains_needed(&plans));
    let a = pseudonymize(&t, &plans, &keys).unwrap();
    let values: Vec<&str> = a.index.iter().map(|(_, e)| e.value.as_str()).collect();
    assert_eq!(values.len(), 3, "{values:?}");
    assert!(values.contains(&"王芳"), "{values:?}");
    let token = datavisa_vault::crypto::hex(&keys["person_name"].index_entry("王芳").token);
    assert_eq!(
        column_values(&a.table, "备注"),
        [format!("联系人：{token}，已回访"), "无".into()]
    );
    let c = a.columns.iter().find(|c| c.plan.column == "备注").unwrap();
    assert_eq!(
        c.redacted.as_ref().unwrap(),
        &BTreeMap::from([("person_name".to_owned(), 1)])
    );
}

#[test]
fn refuses_numbers_and_unknown_styles() {
    let t = Table::new(vec![
        Column::from_texts("amount", ["12.50", "3", "7.25"]),
        Column::from_texts("note", ["a", "b", "c"]),
    ])
    .unwrap();
    let bad = |recipe: &str| {
        let spec = Spec::parse(Path::new("spec.toml"), recipe.to_owned()).unwrap();
        plan(&t, Some(&spec), &BTreeMap::new())
            .unwrap_err()
            .to_string()
    };
    let e = bad("[pseudonymize.amount]\nmethod = \"redact\"\n");
    assert!(
        e.contains("spec.toml:1") && e.contains("holds only numbers"),
        "{e}"
    );
    let e = bad("[pseudonymize.note]\nmethod = \"redact\"\nplaceholder = \"fr\"\n");
    assert!(
        e.contains("unknown placeholder style \"fr\" for redact (zh, en)"),
        "{e}"
    );
    let e = bad("[pseudonymize.note]\nmethod = \"redact\"\nspans = \"token\"\n");
    assert!(e.contains("not \"token\""), "{e}");
}
