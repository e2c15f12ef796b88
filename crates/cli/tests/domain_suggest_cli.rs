//! `--dp-domain` that loses a column's values says so and suggests the public domain that
//! fixes it; `--domain-from COLUMN=FILE` declares a domain from a public list.

mod common;

use common::{datavisa, fails_with, json_of};
use std::path::Path;

/// GB/T 6565-2015's 8 major classes.
const MAJOR: [&str; 8] = [
    "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
    "专业技术人员",
    "办事人员和有关人员",
    "社会生产服务和生活服务人员",
    "农、林、牧、渔业生产及辅助人员",
    "生产制造及有关人员",
    "军人",
    "不便分类的其他从业人员",
];

/// 2,000 people: sex, and an occupation among the major classes, three of them common (560
/// rows each, 84% together) and five rare (64 rows each, 16%).
fn people(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut s = String::from("性别,职业\n");
    for i in 0..2000 {
        let job = if i < 1680 {
            MAJOR[1 + i % 3]
        } else {
            MAJOR[[0, 4, 5, 6, 7][i % 5]]
        };
        s.push_str(&format!("{},\"{job}\"\n", ["男", "女"][i % 2]));
    }
    let data = dir.join("people.csv");
    std::fs::write(&data, s).unwrap();
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        "[[columns]]\nname = \"性别\"\ndomain = { categories = [\"男\", \"女\"] }\n",
    )
    .unwrap();
    (data, spec)
}

fn synthesize(spec: &Path, data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--quiet",
        "twin",
        "synthesize",
        "--spec",
        spec.to_str().unwrap(),
        data.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--seed",
        "5",
        "--epsilon",
        "0.3",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    datavisa(&args)
}

#[test]
fn a_lost_occupation_domain_gets_gb_t_6565_as_a_snippet_that_fixes_it() {
    let d = tempfile::tempdir().unwrap();
    let (data, spec) = people(d.path());
    let out = d.path().join("twin.csv");
    let o = synthesize(&spec, &data, &out, &["--dp-domain"]);
    let m = json_of(&o);
    let loss = &m["domain_coverage"]["losses"][0];
    assert_eq!(loss["column"], "职业", "{m}");
    // On this seed the noisy threshold drops the five rare classes, 64 rows each: 320 of 2,000
    // rows (16%, above the 10% allowed).
    assert_eq!(loss["values_lost"], 320, "{loss}");
    assert!(
        (loss["share_lost"].as_f64().unwrap() - 0.16).abs() < 1e-12,
        "{loss}"
    );
    let s = &loss["suggestion"];
    assert!(
        s["source"]
            .as_str()
            .unwrap()
            .starts_with("GB/T 6565-2015 职业分类与代码"),
        "{s}"
    );
    assert_eq!(s["coverage"], 1.0);
    assert_eq!(s["categories"].as_array().unwrap().len(), 8);
    // Said on the console after the warning: the source, then the snippet to paste.
    let err = String::from_utf8_lossy(&o.stderr);
    let warn = err
        .lines()
        .position(|l| l.contains("column \"职业\"") && l.contains("--domain-from 职业=FILE"))
        .unwrap_or_else(|| panic!("{err}"));
    let rest: Vec<&str> = err.lines().skip(warn + 1).collect();
    assert!(
        rest[0].contains("GB/T 6565-2015") && rest[0].contains("100.0%"),
        "{err}"
    );
    assert!(
        rest.contains(&"[[columns]]") && rest.contains(&"name = \"职业\""),
        "{err}"
    );
    // The twin's utility summary names the loss beside its scores.
    let u = datavisa(&[
        "utility",
        "--source",
        data.to_str().unwrap(),
        "--twin",
        out.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&u.stdout);
    assert!(
        said.lines()
            .any(|l| l.contains("column \"职业\"") && l.contains("16.0%")),
        "{said}"
    );
    // Pasted into the spec, the snippet declares the domain: nothing is estimated or lost.
    let snippet = s["toml"].as_str().unwrap();
    let fixed = d.path().join("fixed.toml");
    let before = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&fixed, format!("{before}\n{snippet}")).unwrap();
    let m = json_of(&synthesize(&fixed, &data, &d.path().join("fixed.csv"), &[]));
    assert!(m.get("domain_coverage").is_none(), "{m}");
    let cols = m["columns"].as_array().unwrap();
    let job = cols.iter().find(|c| c["column"] == "职业").unwrap();
    assert_eq!(job["source"], "spec", "{job}");
    assert_eq!(job["values"].as_array().unwrap().len(), 8);
}

#[test]
fn domain_from_declares_a_public_list_and_refuses_bad_ones() {
    let d = tempfile::tempdir().unwrap();
    let (data, spec) = people(d.path());
    let list = d.path().join("gbt6565.txt");
    std::fs::write(
        &list,
        format!("# GB/T 6565-2015 大类\n\n{}\n", MAJOR.join("\n")),
    )
    .unwrap();
    let out = d.path().join("twin.csv");
    let flag = format!("职业={}", list.display());
    let m = json_of(&synthesize(&spec, &data, &out, &["--domain-from", &flag]));
    let job = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "职业")
        .unwrap()
        .clone();
    assert_eq!(job["source"], "spec");
    assert_eq!(job["values"][7], MAJOR[7]);
    assert_eq!(m["parameters"]["domain_from"][0]["values"], 8);
    assert!(m["privacy"]["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| !c["step"].as_str().unwrap().contains("职业")));
    let twice = d.path().join("twice.txt");
    std::fs::write(&twice, "军人\n专业技术人员\n军人\n").unwrap();
    let empty = d.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n\n").unwrap();
    let cases = [
        ("职业".to_string(), "COLUMN=FILE".to_string()),
        (
            format!("职业={}", d.path().join("none.txt").display()),
            "none.txt".into(),
        ),
        (
            format!("职业={}", twice.display()),
            "twice.txt:3: \"军人\" is listed twice".into(),
        ),
        (format!("职业={}", empty.display()), "no value".into()),
        (format!("工种={}", list.display()), "工种".into()),
    ];
    for (flag, needle) in cases {
        let bad_out = d.path().join("bad.csv");
        let o = synthesize(&spec, &data, &bad_out, &["--domain-from", &flag]);
        fails_with(&o, 2, &[&needle]);
        assert!(!bad_out.exists(), "{flag}");
    }
}
