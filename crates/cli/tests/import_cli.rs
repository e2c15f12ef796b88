//! End-to-end tests of `spec import-arx` and `spec import-sdv`: ARX's Adult files give a spec
//! whose generalization is ARX's golden optimum; a project's definition XML and SDV metadata map
//! to the right roles, types and hierarchies; every bad input fails with its message and exit 2.

mod common;

use common::{datavisa, fails_with, json_of, shared, ADULT_QI};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn arx() -> PathBuf {
    PathBuf::from(shared("arx"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The imported column named `name`.
fn col<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {v}"))
}

/// `twin generalize` of Adult with the imported spec: levels in golden.rs's order, loss,
/// suppressed records and classes.
fn generalize_with(spec: &Path, k: &str, sup: &str, out: &Path) -> (Vec<u64>, f64, u64, u64) {
    let v = json_of(&datavisa(&[
        "twin",
        "generalize",
        s(&arx().join("adult.csv")),
        "-o",
        s(out),
        "--spec",
        s(spec),
        "--k",
        k,
        "--suppression",
        sup,
        "--format",
        "json",
    ]));
    let qi = ADULT_QI;
    let levels = qi
        .iter()
        .map(|q| v["levels"][q].as_u64().unwrap())
        .collect();
    (
        levels,
        v["quality"]["value"].as_f64().unwrap(),
        v["suppressed"].as_u64().unwrap(),
        v["classes"].as_u64().unwrap(),
    )
}

#[test]
fn arx_adult_files_reproduce_the_golden_optimum() {
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().join("adult.toml");
    let o = datavisa(&[
        "spec",
        "import-arx",
        s(&arx()),
        "--sensitive",
        "salary-class",
        "-o",
        s(&spec),
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    // What was inferred is said: a hierarchy makes a quasi-identifier; the flag's role wins.
    assert!(
        err.contains("age: quasi-identifier, because adult_hierarchy_age.csv is its hierarchy"),
        "{err}"
    );
    assert!(
        err.contains("salary-class: role as --sensitive states"),
        "{err}"
    );
    assert!(err.contains("9 columns (0 identifiers, 8 quasi-identifiers, 1 sensitive)"));
    assert_eq!(v["source_kind"], "arx-files");
    assert_eq!(col(&v, "salary-class")["role"], "sensitive");
    assert_eq!(col(&v, "occupation")["role"], "quasi");
    // Hierarchy paths are relative to the spec and resolve from its directory.
    let h = col(&v, "age")["hierarchy"].as_str().unwrap();
    assert!(
        !h.starts_with('/') && h.ends_with("adult_hierarchy_age.csv"),
        "{h}"
    );
    assert!(d.path().join(h).is_file());
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("delimiter = \";\""), "{text}");
    // ARX 3.9.2's optima (crates/twin/tests/golden.rs, ../shared/specs/arx-models.md §3.3).
    let (levels, loss, sup, classes) = generalize_with(&spec, "5", "0", &d.path().join("a.csv"));
    assert_eq!(levels, [4, 0, 0, 2, 3, 2, 2, 1]);
    assert!((loss - 0.5915849773).abs() < 1e-9, "{loss}");
    assert_eq!((sup, classes), (0, 30));
    let (levels, loss, sup, classes) = generalize_with(&spec, "5", "0.05", &d.path().join("b.csv"));
    assert_eq!(levels, [3, 0, 0, 0, 1, 1, 1, 2]);
    assert!((loss - 0.2518517152).abs() < 1e-9, "{loss}");
    assert_eq!((sup, classes), (1458, 399));
}

#[test]
fn arx_import_never_overwrites_an_input() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("p");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("t.csv"), "a;b\n1;x\n").unwrap();
    std::fs::write(dir.join("t_hierarchy_a.csv"), "1;*\n").unwrap();
    for target in ["t.csv", "t_hierarchy_a.csv"] {
        let o = datavisa(&["spec", "import-arx", s(&dir), "-o", s(&dir.join(target))]);
        assert_eq!(o.status.code(), Some(2), "{target}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("t.csv")).unwrap(),
        "a;b\n1;x\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("t_hierarchy_a.csv")).unwrap(),
        "1;*\n"
    );
}

/// A small ARX project as ARX saves it unpacked: project.xml, data/input.csv,
/// input/definition.xml and input/hierarchies/.
fn write_project(root: &Path, definition: &str) {
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::create_dir_all(root.join("input/hierarchies")).unwrap();
    std::fs::write(
        root.join("project.xml"),
        "<project>\n<name>clinic</name>\n<separator>;</separator>\n</project>\n",
    )
    .unwrap();
    std::fs::write(
        root.join("data/input.csv"),
        "name;zip;born;visit;disease;visits\n\
         Li Lei;100871;1980-02-03;03.04.2020;flu;2\n\
         Han Meimei;100872;1981-05-06;04.04.2020;asthma;1\n\
         Wang Fang;100873;1980-07-08;05.04.2020;flu;3\n\
         Zhang Wei;100874;1981-09-10;06.04.2020;gastritis;1\n",
    )
    .unwrap();
    std::fs::write(
        root.join("input/hierarchies/zip.csv"),
        "100871;10087*;1008**;*\n100872;10087*;1008**;*\n100873;10087*;1008**;*\n100874;10087*;1008**;*\n",
    )
    .unwrap();
    std::fs::write(root.join("input/definition.xml"), definition).unwrap();
}

fn assignment(name: &str, ty: &str, dt: &str, extra: &str) -> String {
    format!(
        "  <assigment>\n    <name>{name}</name>\n    <type>{ty}</type>\n    <datatype>{dt}</datatype>\n{extra}  </assigment>\n"
    )
}

fn clinic_definition() -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<definition>\n");
    x += &assignment("name", "IDENTIFYING_ATTRIBUTE", "String", "");
    x += &assignment(
        "zip",
        "QUASI_IDENTIFYING_ATTRIBUTE",
        "String",
        "    <ref>hierarchies/zip.csv</ref>\n    <min>All</min>\n    <max>All</max>\n",
    );
    x += &assignment(
        "born",
        "Quasi-identifying attribute",
        "Date/Time",
        "    <format>yyyy-MM-dd</format>\n",
    );
    x += &assignment(
        "visit",
        "INSENSITIVE_ATTRIBUTE",
        "Date/Time",
        "    <format>dd.MM.yyyy</format>\n",
    );
    x += &assignment("disease", "SENSITIVE_ATTRIBUTE", "String", "");
    x += &assignment("visits", "Insensitive attribute", "Integer", "");
    x + "</definition>\n"
}

#[test]
fn arx_project_definition_maps_roles_types_and_hierarchies() {
    let d = tempfile::tempdir().unwrap();
    let proj = d.path().join("clinic");
    write_project(&proj, &clinic_definition());
    std::fs::create_dir(d.path().join("specs")).unwrap();
    let spec = d.path().join("specs/clinic.toml");
    let o = datavisa(&[
        "spec",
        "import-arx",
        s(&proj),
        "-o",
        s(&spec),
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    assert_eq!(v["source_kind"], "arx-project");
    let expect = [
        ("name", "identifier", Value::from("categorical")),
        ("zip", "quasi", Value::from("categorical")),
        ("born", "quasi", Value::from("date")),
        // A day-first date is not read as a date: categorical, values as written.
        ("visit", "other", Value::from("categorical")),
        ("disease", "sensitive", Value::from("categorical")),
        ("visits", "other", Value::from("integer")),
    ];
    for (name, role, ty) in expect {
        let c = col(&v, name);
        assert_eq!(c["role"], role, "{name}");
        assert_eq!(c["type"], ty, "{name}");
    }
    assert_eq!(
        col(&v, "zip")["hierarchy"],
        "../clinic/input/hierarchies/zip.csv"
    );
    assert!(col(&v, "born")["hierarchy"].is_null());
    assert!(col(&v, "born")["from"]
        .as_str()
        .unwrap()
        .contains("(yyyy-MM-dd)"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("visit: the date format dd.MM.yyyy is not year-first"),
        "{err}"
    );
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(
        text.contains("file = \"../clinic/data/input.csv\""),
        "{text}"
    );
    assert!(text.contains("delimiter = \";\""), "{text}");
    // The spec drives a generalization as it stands: zip by its hierarchy, the identifier out.
    let twin = d.path().join("twin.csv");
    let g = json_of(&datavisa(&[
        "twin",
        "generalize",
        s(&proj.join("data/input.csv")),
        "-o",
        s(&twin),
        "--spec",
        s(&spec),
        "--quasi",
        "zip",
        "--k",
        "2",
        "--format",
        "json",
    ]));
    assert_eq!(g["levels"]["zip"], 1);
    let out = std::fs::read_to_string(&twin).unwrap();
    assert!(!out.contains("Li Lei") && out.contains("10087*"), "{out}");
}

#[test]
fn arx_bad_inputs_exit_2_with_their_message() {
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().join("out.toml");
    let run = |dir: &Path, extra: &[&str]| {
        let mut a = vec!["spec", "import-arx", s(dir), "-o", s(&spec)];
        a.extend(extra);
        datavisa(&a)
    };
    fails_with(
        &run(&d.path().join("nowhere"), &[]),
        2,
        &["no such directory"],
    );
    let deid = d.path().join("p.deid");
    std::fs::write(&deid, "PK").unwrap();
    fails_with(&run(&deid, &[]), 2, &["zip archive", "unzip"]);
    // Several data files: named, and --data asked for; --data settles it.
    let two = d.path().join("two");
    std::fs::create_dir(&two).unwrap();
    std::fs::write(two.join("a.csv"), "x;y\n1;2\n").unwrap();
    std::fs::write(two.join("b.csv"), "x;y\n1;2\n").unwrap();
    fails_with(
        &run(&two, &[]),
        2,
        &["several data files (a.csv, b.csv)", "--data FILE"],
    );
    let v = json_of(&run(
        &two,
        &["--data", s(&two.join("b.csv")), "--format", "json"],
    ));
    assert_eq!(col(&v, "x")["role"], "other");
    std::fs::remove_file(&spec).unwrap();
    // Only hierarchies: no data file.
    let none = d.path().join("none");
    std::fs::create_dir(&none).unwrap();
    std::fs::write(none.join("t_hierarchy_a.csv"), "1;*\n").unwrap();
    fails_with(&run(&none, &[]), 2, &["no data file", "--data FILE"]);
    // A hierarchy for a column the data lacks.
    std::fs::write(none.join("t.csv"), "b;c\n1;2\n").unwrap();
    fails_with(
        &run(&none, &[]),
        2,
        &["t_hierarchy_a.csv", "column \"a\"", "(it has: b, c)"],
    );
    // A role flag naming no column, or a column given two roles.
    fails_with(
        &run(&two, &["--data", s(&two.join("a.csv")), "--sensitive", "z"]),
        2,
        &["--sensitive \"z\": not a column"],
    );
    fails_with(
        &run(
            &two,
            &[
                "--data",
                s(&two.join("a.csv")),
                "--sensitive",
                "x",
                "--insensitive",
                "x",
            ],
        ),
        2,
        &["both --sensitive and --insensitive"],
    );
    // Malformed XML: file, line and column.
    let bad = d.path().join("bad");
    write_project(
        &bad,
        "<definition>\n  <assigment>\n    <name>zip</name>\n</definition>\n",
    );
    fails_with(&run(&bad, &[]), 2, &["definition.xml:4:", "malformed XML"]);
    // An unknown attribute type, at its assignment's line.
    let mut def = clinic_definition();
    def = def.replace("<type>SENSITIVE_ATTRIBUTE", "<type>SECRET_ATTRIBUTE");
    let unknown = d.path().join("unknown");
    write_project(&unknown, &def);
    fails_with(
        &run(&unknown, &[]),
        2,
        &["definition.xml:28:3", "unknown type \"SECRET_ATTRIBUTE\""],
    );
    // An attribute the data does not have; a hierarchy file that is missing.
    let ghost = d.path().join("ghost");
    write_project(
        &ghost,
        &clinic_definition().replace("<name>visits</name>", "<name>stays</name>"),
    );
    fails_with(
        &run(&ghost, &[]),
        2,
        &["attribute \"stays\" is not a column", "(it has: name, zip"],
    );
    let lost = d.path().join("lost");
    write_project(&lost, &clinic_definition());
    std::fs::remove_file(lost.join("input/hierarchies/zip.csv")).unwrap();
    fails_with(
        &run(&lost, &[]),
        2,
        &["definition.xml:8:3", "hierarchy \"hierarchies/zip.csv\""],
    );
    assert!(!spec.exists());
}

const SINGLE: &str = r#"{
  "METADATA_SPEC_VERSION": "SINGLE_TABLE_V1",
  "primary_key": "guest_email",
  "alternate_keys": ["credit_card_number"],
  "columns": {
    "guest_email": { "sdtype": "email", "pii": true },
    "has_rewards": { "sdtype": "boolean" },
    "room_type": { "sdtype": "categorical" },
    "amenities_fee": { "sdtype": "numerical", "computer_representation": "Float" },
    "nights": { "sdtype": "numerical", "computer_representation": "Int64" },
    "checkin_date": { "sdtype": "datetime", "datetime_format": "%Y-%m-%d" },
    "checkout_date": { "sdtype": "datetime", "datetime_format": "%d %b %Y" },
    "billing_address": { "sdtype": "address", "pii": true },
    "credit_card_number": { "sdtype": "credit_card_number" },
    "guest_hash": { "sdtype": "id" },
    "loyalty_tier": { "sdtype": "fancy_tier" },
    "notes": { "sdtype": "text", "pii": true }
  }
}"#;

#[test]
fn sdv_single_table_metadata_maps_sdtypes() {
    let d = tempfile::tempdir().unwrap();
    let meta = d.path().join("metadata.json");
    std::fs::write(&meta, SINGLE).unwrap();
    let spec = d.path().join("hotel.toml");
    let o = datavisa(&[
        "spec",
        "import-sdv",
        s(&meta),
        "-o",
        s(&spec),
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    let names: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // The metadata's order, not alphabetical.
    assert_eq!(names[..3], ["guest_email", "has_rewards", "room_type"]);
    let null = Value::Null;
    let expect = [
        ("guest_email", Value::from("identifier"), null.clone()),
        ("has_rewards", null.clone(), Value::from("categorical")),
        ("room_type", null.clone(), Value::from("categorical")),
        ("amenities_fee", null.clone(), Value::from("float")),
        ("nights", null.clone(), Value::from("integer")),
        ("checkin_date", null.clone(), Value::from("date")),
        ("checkout_date", null.clone(), Value::from("categorical")),
        ("billing_address", Value::from("identifier"), null.clone()),
        // An alternate key is an identifier whatever its sdtype.
        (
            "credit_card_number",
            Value::from("identifier"),
            null.clone(),
        ),
        ("guest_hash", Value::from("identifier"), null.clone()),
        ("loyalty_tier", null.clone(), null.clone()),
        ("notes", Value::from("identifier"), null.clone()),
    ];
    for (name, role, ty) in expect {
        assert_eq!(col(&v, name)["role"], role, "{name}");
        assert_eq!(col(&v, name)["type"], ty, "{name}");
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("loyalty_tier: unknown sdtype fancy_tier; its type is left to inference"),
        "{err}"
    );
    assert!(err.contains("checkout_date: the date format %d %b %Y is not year-first"));
    assert!(
        err.contains("12 columns (5 identifiers, 0 quasi-identifiers, 0 sensitive)"),
        "{err}"
    );
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(!text.contains("[source]"), "{text}");
    assert!(text.contains("role = \"identifier\""));
}

const MULTI: &str = r#"{
  "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
  "tables": {
    "hotels": {
      "primary_key": "hotel_id",
      "columns": {
        "hotel_id": { "sdtype": "id", "regex_format": "HID_[0-9]{3}" },
        "city": { "sdtype": "categorical" },
        "rating": { "sdtype": "numerical" }
      }
    },
    "guests": {
      "primary_key": "guest_email",
      "columns": {
        "guest_email": { "sdtype": "email" },
        "hotel_id": { "sdtype": "id" },
        "checkin_date": { "sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S" },
        "room_type": { "sdtype": "categorical" }
      }
    }
  },
  "relationships": [{ "parent_table_name": "hotels", "parent_primary_key": "hotel_id",
                      "child_table_name": "guests", "child_foreign_key": "hotel_id" }]
}"#;

#[test]
fn sdv_multi_table_metadata_needs_a_table() {
    let d = tempfile::tempdir().unwrap();
    let meta = d.path().join("multi.json");
    std::fs::write(&meta, MULTI).unwrap();
    let spec = d.path().join("guests.toml");
    let run = |extra: &[&str]| {
        let mut a = vec![
            "spec",
            "import-sdv",
            s(&meta),
            "-o",
            s(&spec),
            "--format",
            "json",
        ];
        a.extend(extra);
        datavisa(&a)
    };
    fails_with(&run(&[]), 2, &["tables hotels, guests", "--table NAME"]);
    fails_with(
        &run(&["--table", "rooms"]),
        2,
        &["no table \"rooms\" (it has: hotels, guests)"],
    );
    let v = json_of(&run(&["--table", "guests"]));
    let names: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["guest_email", "hotel_id", "checkin_date", "room_type"]
    );
    assert_eq!(col(&v, "guest_email")["role"], "identifier");
    assert_eq!(col(&v, "hotel_id")["role"], "identifier");
    assert_eq!(col(&v, "checkin_date")["type"], "datetime");
    assert!(col(&v, "room_type")["role"].is_null());
    let v = json_of(&run(&["--table", "hotels"]));
    // No computer_representation: the type is left to inference.
    assert!(col(&v, "rating")["type"].is_null());
}

#[test]
fn sdv_bad_inputs_exit_2_with_their_message() {
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().join("out.toml");
    let meta = d.path().join("m.json");
    let run = || datavisa(&["spec", "import-sdv", s(&meta), "-o", s(&spec)]);
    fails_with(&run(), 2, &["m.json"]);
    // A syntax error: line and column.
    std::fs::write(
        &meta,
        "{\n  \"columns\": {\n    \"a\": { \"sdtype\": \"email\" },\n  }\n}",
    )
    .unwrap();
    fails_with(&run(), 2, &["m.json:4:3"]);
    // A value of the wrong shape, also at its place.
    std::fs::write(
        &meta,
        "{\n  \"METADATA_SPEC_VERSION\": \"SINGLE_TABLE_V1\",\n  \"columns\": [1]\n}",
    )
    .unwrap();
    fails_with(&run(), 2, &["m.json:3:", "expected an object"]);
    std::fs::write(&meta, r#"{"METADATA_SPEC_VERSION": "V9", "columns": {}}"#).unwrap();
    fails_with(&run(), 2, &["\"V9\" is not one datavisa reads"]);
    std::fs::write(
        &meta,
        r#"{"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "primary_key": "id", "columns": {"a": {"sdtype": "id"}}}"#,
    )
    .unwrap();
    fails_with(&run(), 2, &["the key \"id\" is not one of the columns"]);
    assert!(!spec.exists());
    // The metadata itself is never the output.
    fails_with(
        &datavisa(&["spec", "import-sdv", s(&meta), "-o", s(&meta)]),
        2,
        &[],
    );
}

#[test]
fn import_speaks_chinese() {
    let d = tempfile::tempdir().unwrap();
    let meta = d.path().join("m.json");
    std::fs::write(&meta, SINGLE).unwrap();
    let o = datavisa(&[
        "--lang",
        "zh",
        "spec",
        "import-sdv",
        s(&meta),
        "-o",
        s(&d.path().join("s.toml")),
    ]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("未知的语义类型 fancy_tier"), "{err}");
    assert!(err.contains("直接标识符 5 列"), "{err}");
}
