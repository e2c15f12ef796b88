//! Reading real-world and broken tables.

use datavisa_table::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(p: &Path) -> Result<Table> {
    read_table(p, &ReadOptions::default())
}

fn err(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    read(&write(dir, name, bytes)).unwrap_err().to_string()
}

fn shared(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(p)
}

#[test]
fn bad_inputs_get_clear_messages() {
    let d = tempfile::tempdir().unwrap();
    assert!(err(&d, "e.csv", b"").contains("empty"));
    assert!(err(&d, "w.csv", b"  \n\n").contains("empty"));
    assert!(err(&d, "h.csv", b"a,b,c\n").contains("no data rows"));
    let e = err(&d, "r.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n");
    assert!(
        e.contains("line 3") && e.contains("expected 3 fields") && e.contains("found 2"),
        "{e}"
    );
    assert!(err(&d, "b.bin", b"a,b\x00\x01\x02").contains("binary"));
    assert!(err(&d, "u16.csv", b"\xff\xfea\x00,\x00").contains("UTF-16"));
    let e = err(&d, "latin1.csv", b"name,city\nJos\xe9,Par\xeds\n");
    assert!(
        e.contains("neither UTF-8 nor GB18030") && e.contains("line 2"),
        "{e}"
    );
    let e = err(&d, "q.csv", b"a,b\n1,2\n3,\"open\n5,6\n");
    assert!(e.contains("line 3") && e.contains("never closes"), "{e}");
    let big = format!("a,b\n1,{}\n", "x".repeat(10 << 20));
    let e = err(&d, "big.csv", big.as_bytes());
    assert!(
        e.contains("line 2, column 2") && e.contains("exceeds the limit"),
        "{e}"
    );
    let e = err(&d, "dup.csv", b"a,b,a\n1,2,3\n");
    assert!(
        e.contains("duplicate column name \"a\"") && e.contains("columns 1 and 3"),
        "{e}"
    );
    let e = read(&d.path().join("nope.csv")).unwrap_err().to_string();
    assert!(e.contains("nope.csv") && e.contains("cannot read"), "{e}");
    assert!(read(d.path())
        .unwrap_err()
        .to_string()
        .contains("directory"));
}

#[test]
fn sniffing_a_large_cjk_file_cuts_on_bytes() {
    // Regression: the 64 KiB sniff sample once split a three-byte character and panicked.
    let d = tempfile::tempdir().unwrap();
    let mut text = "名,备注\n".to_owned();
    while text.len() < 70_000 {
        text.push_str("张三,客户要求周末送货上门\n");
    }
    let t = read(&write(&d, "cjk.csv", text.as_bytes())).unwrap();
    assert_eq!(t.origin.delimiter, Some(','));
    assert_eq!(t.columns.len(), 2);
}

#[test]
fn last_record_without_newline_and_empty_last_field() {
    // Regression found by `text_reader_never_panics`: the fast path dropped this record's last field.
    let d = tempfile::tempdir().unwrap();
    let t = read(&write(&d, "f.csv", b"\"\",\n,")).unwrap();
    assert_eq!((t.n_rows, t.columns.len()), (1, 2));
    assert!(t.columns[1].is_missing(0));
    let t = read(&write(&d, "g.csv", b"a,b\n1,")).unwrap();
    assert_eq!(t.column("a").unwrap().display(0).as_deref(), Some("1"));
    assert!(t.column("b").unwrap().is_missing(0));
}

#[test]
fn mixed_column_is_text_with_evidence_and_declared_type_fails_with_line() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, "m.csv", b"id,v\n1,10\n2,20\n3,abc\n4,40\n");
    let t = read(&p).unwrap();
    let c = t.column("v").unwrap();
    assert_eq!(c.value_type, ValueType::Categorical);
    assert!(c.evidence.is_mixed());
    assert_eq!(c.evidence.first_text, Some(("abc".to_owned(), 4)));
    let mut o = ReadOptions::default();
    o.types.insert("v".into(), ValueType::Integer);
    let e = read_table(&p, &o).unwrap_err().to_string();
    assert!(
        e.contains("line 4, column 2") && e.contains("\"abc\""),
        "{e}"
    );
}

#[test]
fn gbk_file_is_detected_and_decoded() {
    let d = tempfile::tempdir().unwrap();
    let text = "姓名,城市\n张三,北京\n李四,上海\n";
    let (gbk, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    let p = write(&d, "gbk.csv", &gbk);
    let t = read(&p).unwrap();
    assert_eq!(t.origin.encoding.as_deref(), Some("gb18030"));
    assert_eq!(t.column_names(), vec!["姓名", "城市"]);
    assert_eq!(
        t.column("城市").unwrap().display(1).as_deref(),
        Some("上海")
    );
    let o = ReadOptions {
        encoding: Encoding::Utf8,
        ..Default::default()
    };
    assert!(read_table(&p, &o)
        .unwrap_err()
        .to_string()
        .contains("not valid UTF-8"));
}

#[test]
fn bom_quotes_missing_tokens_and_trimming() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "q.csv",
        "\u{feff}name;note;n\r\n\"Li; Wei\";\"said \"\"hi\"\"\nthen left\"; 3 \r\n Wang ;NA;?\r\n"
            .as_bytes(),
    );
    let t = read(&p).unwrap();
    assert_eq!(t.origin.delimiter, Some(';'));
    assert_eq!(t.n_rows, 2);
    assert_eq!(
        t.column("name").unwrap().display(0).as_deref(),
        Some("Li; Wei")
    );
    assert_eq!(
        t.column("name").unwrap().display(1).as_deref(),
        Some("Wang")
    );
    let note = t.column("note").unwrap();
    assert_eq!(note.display(0).as_deref(), Some("said \"hi\"\nthen left"));
    assert!(note.is_missing(1));
    let n = t.column("n").unwrap();
    assert_eq!(n.value_type, ValueType::Integer);
    assert!(n.is_missing(1));
    // The record after a two-line record starts on line 4.
    assert_eq!(t.origin.row_lines.line_of(1), 4);
}

#[test]
fn arx_adult_semicolons() {
    let t = read(&shared("arx/adult.csv")).unwrap();
    assert_eq!(t.origin.delimiter, Some(';'));
    assert_eq!(t.n_rows, 30_162);
    assert_eq!(t.columns.len(), 9);
    assert_eq!(t.column("age").unwrap().value_type, ValueType::Integer);
    assert_eq!(t.column("sex").unwrap().value_type, ValueType::Categorical);
}

#[test]
fn anonymeter_adults_types() {
    let t = read(&shared("anonymeter/adults_ori.csv")).unwrap();
    assert_eq!(t.origin.delimiter, Some(','));
    assert_eq!(t.n_rows, 100);
    for (c, ty) in [
        ("age", ValueType::Integer),
        ("education_num", ValueType::Integer),
        ("income", ValueType::Categorical),
        ("country", ValueType::Categorical),
    ] {
        assert_eq!(t.column(c).unwrap().value_type, ty, "{c}");
    }
}

#[test]
fn parquet_round_trip_keeps_types_and_missing() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "t.csv",
        b"id,score,day,at,city\n1,1.5,2020-01-02,2020-01-02 03:04:05,Beijing\n2,,2021-12-31,,\n",
    );
    let t = read(&p).unwrap();
    let pq = d.path().join("t.parquet");
    write_table(&t, &pq).unwrap();
    let back = read(&pq).unwrap();
    assert_eq!(back.origin.format, FileFormat::Parquet);
    for c in &t.columns {
        let b = back.column(&c.name).unwrap();
        assert_eq!(b.value_type, c.value_type, "{}", c.name);
        for r in 0..t.n_rows {
            assert_eq!(b.display(r), c.display(r), "{} row {r}", c.name);
        }
    }
    let csv2 = d.path().join("t2.csv");
    write_table(&back, &csv2).unwrap();
    let again = read(&csv2).unwrap();
    assert_eq!(
        again.column("at").unwrap().display(0).as_deref(),
        Some("2020-01-02 03:04:05")
    );
}

#[test]
fn shared_dictionaries_make_codes_comparable() {
    let d = tempfile::tempdir().unwrap();
    let a = read(&write(&d, "a.csv", b"c,n\nx,1\ny,2\n")).unwrap();
    let b = read(&write(&d, "b.csv", b"n,c\n3,z\n4,x\n")).unwrap();
    let s = encode_shared(&[&a, &b]).unwrap();
    let (ca, cb) = match (
        &s[0].column("c").unwrap().data,
        &s[1].column("c").unwrap().data,
    ) {
        (ColumnData::Categorical(x), ColumnData::Categorical(y)) => (x, y),
        _ => panic!("categorical expected"),
    };
    assert!(std::sync::Arc::ptr_eq(ca.dict(), cb.dict()));
    assert_eq!(ca.codes()[0], cb.codes()[1]);
    assert_eq!(s[1].column_names(), vec!["c", "n"]);
    let other = read(&write(&d, "o.csv", b"q\n1\n")).unwrap();
    assert!(encode_shared(&[&a, &other]).is_err());
}

#[test]
fn take_and_unique_share() {
    let d = tempfile::tempdir().unwrap();
    let t = read(&write(&d, "u.csv", b"a,b\n1,x\n1,x\n2,x\n3,y\n")).unwrap();
    assert!((t.unique_row_share() - 0.5).abs() < 1e-12);
    let s = t.take(&[3, 0]);
    assert_eq!(s.column("b").unwrap().display(0).as_deref(), Some("y"));
}

fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ]{0,6}",
        "\"[a-z,;\\n ]{0,6}\"",
        Just("\"a\"\"b\"".to_owned()),
        Just("NA".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn chunked_parse_equals_sequential(
        rows in proptest::collection::vec(proptest::collection::vec(csv_field(), 3), 1..40),
        chunk in 1usize..64,
    ) {
        let d = tempfile::tempdir().unwrap();
        let mut text = "a,b,c\n".to_owned();
        for r in &rows { text.push_str(&r.join(",")); text.push('\n'); }
        let p = write(&d, "p.csv", text.as_bytes());
        let whole = read_table(&p, &ReadOptions { delimiter: Some(b','), ..Default::default() });
        let chunked = read_table(&p, &ReadOptions { delimiter: Some(b','), chunk_bytes: chunk, ..Default::default() });
        match (whole, chunked) {
            (Ok(w), Ok(c)) => {
                prop_assert_eq!(w.n_rows, c.n_rows);
                for (x, y) in w.columns.iter().zip(&c.columns) {
                    for r in 0..w.n_rows { prop_assert_eq!(x.display(r), y.display(r)); }
                }
                for r in 0..w.n_rows {
                    prop_assert_eq!(w.origin.row_lines.line_of(r), c.origin.row_lines.line_of(r));
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "differ: {:?} vs {:?}", a.map(|t| t.n_rows), b.map(|t| t.n_rows)),
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    // The quote-free fast path must read exactly what the csv crate reads.
    #[test]
    fn plain_path_matches_csv_crate(
        rows in proptest::collection::vec(proptest::collection::vec("[a-z0-9 张]{0,5}", 3), 1..50),
        crlf: bool,
        blank_every in 0usize..7,
        chunk in 1usize..80,
        last_newline: bool,
    ) {
        let d = tempfile::tempdir().unwrap();
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("a;b;c{nl}");
        for (i, r) in rows.iter().enumerate() {
            if blank_every > 0 && i % blank_every == 0 { text.push_str(nl); }
            text.push_str(&r.join(";"));
            text.push_str(nl);
        }
        if !last_newline {
            text.truncate(text.len() - nl.len());
        }
        let p = write(&d, "p.csv", text.as_bytes());
        let ours = read_table(&p, &ReadOptions { delimiter: Some(b';'), chunk_bytes: chunk, ..Default::default() });
        let mut rdr = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
        let expect: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(|f| f.trim().to_owned()).collect()).collect();
        match ours {
            Ok(t) => {
                prop_assert_eq!(t.n_rows, expect.len());
                for (r, row) in expect.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        let got = t.columns[c].display(r).unwrap_or_default();
                        let want = if DEFAULT_MISSING.contains(&v.as_str()) { String::new() } else { v.clone() };
                        // Numbers may print differently from their text ("007" stays text, "7" is 7).
                        prop_assert!(got == want || got.parse::<f64>().ok() == want.parse::<f64>().ok(), "row {} col {}: {:?} vs {:?}", r, c, got, want);
                    }
                }
            }
            Err(e) => prop_assert!(expect.is_empty(), "{}", e),
        }
    }
}

proptest! {
    // Fuzzers: default config (256 cases; raise with PROPTEST_CASES for a long local run).
    #[test]
    fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "f.csv", &bytes);
        let _ = read(&p);
        if let Ok(s) = std::str::from_utf8(&bytes) { let _ = csv_read::sniff_delimiter(s); }
    }

    #[test]
    fn text_reader_never_panics(s in "[a-z0-9,;|\\t\"\\n ]{0,200}") {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", s.as_bytes());
        let _ = read(&p);
    }
}

#[test]
fn all_text_keeps_values_exactly_and_types_on_demand() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "t.csv",
        b"code,amount,day\n007,1.50,2024-01-02\n010,2,2024-02-03\n",
    );
    let opts = ReadOptions {
        all_text: true,
        ..Default::default()
    };
    let t = read_table(&p, &opts).unwrap();
    assert!(t
        .columns
        .iter()
        .all(|c| c.value_type == ValueType::Categorical));
    assert_eq!(t.column("code").unwrap().display(0).as_deref(), Some("007"));
    assert_eq!(
        t.column("amount").unwrap().display(0).as_deref(),
        Some("1.50")
    );
    let names = vec!["amount".to_owned(), "day".to_owned()];
    let typed = datavisa_table::csv_read::infer_text_columns(&t, &names).unwrap();
    assert_eq!(typed.columns[0].value_type, ValueType::Float);
    assert_eq!(typed.columns[1].value_type, ValueType::Date);
    // Already typed columns (as Parquet gives them) pass through.
    let again = datavisa_table::csv_read::infer_text_columns(&typed, &names).unwrap();
    assert_eq!(again.columns[1].value_type, ValueType::Date);
    // Typed from the text, the numbers still know how they were written.
    assert_eq!(typed.columns[0].display(0).as_deref(), Some("1.5"));
    assert_eq!(typed.as_written(0, 0).as_deref(), Some("1.50"));
    assert_eq!(typed.as_written(0, 1).as_deref(), Some("2"));
}

#[test]
fn numbers_and_dates_keep_how_they_were_written() {
    let d = tempfile::tempdir().unwrap();
    // `age` parses straight to numbers, `when` to dates in two forms, `v` is declared (the
    // dictionary path is the one of `infer_text_columns`, above).
    let p = write(
        &d,
        "t.csv",
        b"age;when;v\n39.0;2020/5/7;2119.0\n4;2020-05-08;7\n39.0;2020/5/7;\n-0.50;2020-05-08;1e3\n",
    );
    let mut opts = ReadOptions::default();
    opts.types.insert("v".into(), ValueType::Float);
    let t = read_table(&p, &opts).unwrap();
    let col = |name: &str| t.index_of(name).unwrap();
    let written =
        |c: usize| -> Vec<Option<String>> { (0..4).map(|r| t.as_written(c, r)).collect() };
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(t.columns[col("age")].value_type, ValueType::Float);
    assert_eq!(t.columns[col("age")].display(0).as_deref(), Some("39"));
    assert_eq!(
        written(col("age")),
        [s("39.0"), s("4"), s("39.0"), s("-0.50")]
    );
    assert_eq!(t.columns[col("when")].value_type, ValueType::Date);
    assert_eq!(
        written(col("when")),
        [
            s("2020/5/7"),
            s("2020-05-08"),
            s("2020/5/7"),
            s("2020-05-08")
        ]
    );
    assert_eq!(written(col("v")), [s("2119.0"), s("7"), None, s("1e3")]);
    // Only the forms that print otherwise are kept.
    assert_eq!(t.origin.written["age"].len(), 2);
    assert_eq!(
        t.top_values_as_written(col("age"), 1),
        [("39.0".to_owned(), 2)]
    );
}

/// A corrupted embedded ARROW:schema crashed arrow-ipc (exit 101). The reader no longer trusts
/// it, and any decoder panic is an error naming the file: hundreds of mutations of the schema
/// entry read or fail, never panic.
#[test]
fn a_corrupted_arrow_schema_entry_never_panics() {
    let d = tempfile::tempdir().unwrap();
    let src = write(
        &d,
        "a.csv",
        b"name,age,score\nwang,30,1.5\nli,41,2.25\nzhao,,3\n",
    );
    let pq = d.path().join("a.parquet");
    write_table(&read(&src).unwrap(), &pq).unwrap();
    let bytes = std::fs::read(&pq).unwrap();
    let at = bytes
        .windows(12)
        .position(|w| w == b"ARROW:schema")
        .expect("the writer embeds an arrow schema");
    // The base64 value follows the key after a field header and its varint length: the first
    // long run of base64 characters after the key.
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let is_b64 = |c: u8| b64.contains(&c) || c == b'=';
    let start = (at + 12..bytes.len())
        .find(|&i| (i..i + 16).all(|j| j < bytes.len() && is_b64(bytes[j])))
        .unwrap();
    let end = (start..bytes.len()).find(|&i| !is_b64(bytes[i])).unwrap();
    assert!(end > start + 16, "found the encoded schema");
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let (mut ok, mut failed) = (0, 0);
    for i in 0..300 {
        let mut m = bytes.clone();
        for _ in 0..1 + next(4) {
            let pos = start + next(end - start);
            m[pos] = b64[next(64)];
        }
        let p = d.path().join(format!("m{i}.parquet"));
        std::fs::write(&p, &m).unwrap();
        match read(&p) {
            Ok(t) => {
                assert_eq!(t.n_rows, 3);
                ok += 1;
            }
            Err(e) => {
                assert!(e.to_string().contains(&format!("m{i}.parquet")), "{e}");
                failed += 1;
            }
        }
    }
    assert_eq!(ok + failed, 300);
}

/// A write killed midway leaves a partial named after its output; the next write of that
/// output removes it (a live writer's partial stays).
#[test]
fn partials_are_named_after_their_output_and_cleaned_on_the_next_run() {
    let d = tempfile::tempdir().unwrap();
    let src = write(&d, "a.csv", b"x\n1\n");
    let t = read(&src).unwrap();
    // pid_max is at most 4,194,304 on Linux: this writer is gone.
    let stale = d.path().join("out.datavisa-partial-4194999-abc.csv");
    let live = d.path().join("out.datavisa-partial-1-def.csv");
    std::fs::write(&stale, "half a twin").unwrap();
    std::fs::write(&live, "another writer's").unwrap();
    write_table(&t, &d.path().join("out.csv")).unwrap();
    assert!(!stale.exists(), "the killed writer's partial is removed");
    assert!(live.exists(), "a live writer's partial is left alone");
    let leftovers: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("datavisa-partial") && !n.contains("-1-def"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn digit_codes_with_leading_zeros_are_one_code_column_not_a_mix() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "codes.csv",
        b"zip,v\n100020,1\n010020,2\n200000,3\n0755,4\n",
    );
    let t = read(&p).unwrap();
    let c = t.column("zip").unwrap();
    assert_eq!(c.value_type, ValueType::Categorical);
    assert!(!c.evidence.is_mixed(), "{:?}", c.evidence);
    assert_eq!(c.evidence.codes, 2);
    assert!(c.evidence.first_text.is_none());
    assert_eq!(c.display(1).as_deref(), Some("010020"));
    assert_eq!(c.display(0).as_deref(), Some("100020"));
    assert!(c.evidence.sentence(c.value_type).starts_with("codes:"));
    // Real text among the numbers still makes a mix, named by the text, not by a code.
    let p = write(&d, "mix.csv", b"zip\n100020\n010020\nunknown\n200000\n");
    let c = read(&p).unwrap().column("zip").unwrap().clone();
    assert!(c.evidence.is_mixed());
    assert_eq!(c.evidence.first_text, Some(("unknown".to_owned(), 4)));
}

/// A dictionary-encoded text column (a pandas categorical, a factorized column) reads exactly as
/// the same values as plain strings: the same codes in the same order, missing tokens and nulls
/// missing, unused dictionary values left out, and a key outside the values refused.
#[test]
fn dictionary_arrays_read_as_their_strings() {
    use arrow_array::{ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;
    let rows = [Some("b"), Some("a"), None, Some("NA"), Some("b"), Some("c")];
    let plain: ArrayRef = Arc::new(StringArray::from(rows.to_vec()));
    let keys = Int32Array::from(vec![Some(1), Some(0), None, Some(3), Some(1), Some(2)]);
    let values = StringArray::from(vec!["a", "b", "c", "NA", "unused"]);
    let dict: ArrayRef = Arc::new(DictionaryArray::try_new(keys, Arc::new(values)).unwrap());
    let read = |col: ArrayRef| {
        let schema = Schema::new(vec![Field::new("x", col.data_type().clone(), true)]);
        let batch = RecordBatch::try_new(Arc::new(schema.clone()), vec![col]).unwrap();
        parquet_io::from_batches(
            Path::new("<f>"),
            &schema,
            [Ok(batch)],
            &["NA".to_owned()],
            &Default::default(),
        )
    };
    let (a, b) = (read(plain).unwrap(), read(dict).unwrap());
    let (ColumnData::Categorical(x), ColumnData::Categorical(y)) =
        (&a.columns[0].data, &b.columns[0].data)
    else {
        panic!("text columns expected");
    };
    assert_eq!(x.codes(), y.codes());
    assert_eq!(x.dict().len(), 3);
    assert_eq!(y.dict().len(), 3);
    assert_eq!(a.columns[0].evidence.missing, 2);
    assert_eq!(b.columns[0].evidence.missing, 2);
    // A key outside the values (only unchecked construction makes one) is an error.
    let bad_keys = Int32Array::from(vec![Some(0), Some(7)]);
    // SAFETY: deliberately malformed to test the check; only read back through from_batches,
    // which looks at the keys before using them.
    let bad: ArrayRef = Arc::new(unsafe {
        DictionaryArray::new_unchecked(bad_keys, Arc::new(StringArray::from(vec!["a"])))
    });
    let e = read(bad).unwrap_err().to_string();
    assert!(e.contains("dictionary key (7)"), "{e}");
}
