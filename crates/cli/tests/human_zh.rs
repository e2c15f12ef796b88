//! The verbs' human output in Chinese (`--lang zh`): headings and sentences come from the
//! catalogue, so after taking out the data a verb shows as written (file and column names, ids,
//! codes, dates, numbers), no English word remains.

mod common;

use common::{datavisa_in, small_demo, stray_latin};
use std::path::Path;

/// Latin words Chinese output may carry: statute abbreviations, model letters, the tool's name.
const ALLOWED: &[&str] = &["PIPL", "CIIO", "Art", "k", "l", "t", "sha", "datavisa"];

/// The human output of one verb in Chinese.
fn zh(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--lang", "zh"];
    all.extend_from_slice(args);
    let o = datavisa_in(&all, dir);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn has_all(out: &str, what: &str, needles: &[&str]) {
    for n in needles {
        assert!(out.contains(n), "{what}: {n:?} not in:\n{out}");
    }
}

fn no_stray(out: &str, what: &str, data: &[&str]) {
    let stray = stray_latin(out, data, ALLOWED);
    assert!(
        stray.is_empty(),
        "{what} in Chinese has English words {stray:?}:\n{out}"
    );
}

#[test]
fn the_verbs_human_output_in_chinese_has_no_untranslated_words() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    small_demo(p);
    let store = "demo/demo-store";
    // Data shown as written: the demo's names, recipients and columns.
    let data = [
        "Demo Retail (Shanghai) Co., Ltd.",
        "Demo Retail Group",
        "Demo Partner Analytics (Singapore) Pte. Ltd.",
        // The same name cut to its table cell.
        "Demo Partner Analytics (Singapore) Pte.…",
        "Group HR analytics (Munich)",
        "Marketing data broker",
        "partner-sg",
        "hr-analytics",
        "data-broker",
        "customer_id",
        "email",
        "icd10",
    ];

    let scan = zh(p, &["scan", "demo/customers.csv"]);
    has_all(
        &scan,
        "scan",
        &[
            "行，",
            "列",
            "角色",
            "敏感",
            "置信度",
            "依据",
            "敏感个人信息（",
        ],
    );
    assert!(
        !scan.contains("sensitive (") && !scan.contains("no PIPL"),
        "scan: {scan}"
    );

    let inspect = zh(p, &["inspect", "demo/customers.csv"]);
    has_all(
        &inspect,
        "inspect",
        &[
            "数据类型",
            "缺失",
            "不同值",
            "最常见的值",
            "的行在全部列上唯一",
        ],
    );

    let visas = zh(p, &["visa", "list", "--store", store]);
    has_all(
        &visas,
        "visa list",
        &["签证", "接收方", "结论", "状态", "复评标记"],
    );
    no_stray(&visas, "visa list", &data);
    let first = visas
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().next());
    let show = zh(p, &["visa", "show", first.unwrap(), "--store", store]);
    has_all(&show, "visa show", &["签证编号：", "复评日：", "结论："]);

    let report = zh(p, &["ledger", "report", "--year", "2026", "--store", store]);
    has_all(
        &report,
        "ledger report",
        &["2026年", "出境方", "一般个人信息", "传输次数", "适用规则"],
    );
    no_stray(&report, "ledger report", &data);

    let recipients = zh(p, &["ledger", "recipient", "list", "--store", store]);
    has_all(
        &recipients,
        "recipient list",
        &["接收方", "法域", "法定名称"],
    );
    no_stray(&recipients, "recipient list", &data);

    let key = [
        "--master-key-file",
        "demo/demo-master.key",
        "--store",
        store,
    ];
    let mut args = vec!["vault", "status"];
    args.extend_from_slice(&key);
    let vault = zh(p, &args);
    has_all(
        &vault,
        "vault status",
        &["密钥库", "位于", "域", "版本", "副本", "审批人："],
    );
    no_stray(&vault, "vault status", &data);

    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(&key);
    let audit = zh(p, &args);
    has_all(&audit, "audit verify", &["审计日志完整"]);
    no_stray(&audit, "audit verify", &data);
}

#[test]
fn english_stays_the_default() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), "a,b\n1,x\n2,y\n").unwrap();
    let o = datavisa_in(&["scan", "t.csv"], d.path());
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("t.csv: 2 rows, 2 columns")
            && out.contains("no PIPL sensitive personal information recognised"),
        "{out}"
    );
}
