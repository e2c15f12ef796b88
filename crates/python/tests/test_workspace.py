"""`datavisa.Workspace` on a store: the whole flow (vault, pseudonymized twin, assessments,
visas, transfers, the year's counts, the reports in both languages) against hand-counted
people and against the CLI doing the same steps; secrets from a file or the environment as
the CLI reads them, and never in a result or a file written."""

import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest

import datavisa

KEY = "a master key only this test knows 4f1c"

SPEC = """
[[columns]]
name = "pid"
role = "identifier"
[[columns]]
name = "a"
role = "quasi"
[[columns]]
name = "b"
role = "quasi"
[[columns]]
name = "c"
role = "quasi"
[[columns]]
name = "s"
role = "sensitive"

[[recipients]]
id = "r"
knows = ["a"]
[recipients.controls]
no_reidentification = true
no_relinking = true
audited_security = true
"""


def people(n, first, seed):
    """`n` people from id `first`: pid, a (4 values), b (10), c (10), s (empty for every
    fourth person, so that person has no sensitive PI in the file)."""
    r = random.Random(seed)
    return [
        [
            f"P{first + i:06d}",
            f"a{r.randrange(4)}",
            f"b{r.randrange(10)}",
            f"c{r.randrange(10)}",
            "" if (first + i) % 4 == 0 else ["flu", "asthma", "none"][r.randrange(3)],
        ]
        for i in range(n)
    ]


def write(path, rows, cols):
    names = ["pid", "a", "b", "c", "s"]
    lines = [",".join(names[c] for c in cols)] + [",".join(x[c] for c in cols) for x in rows]
    path.write_text("\n".join(lines) + "\n")


def inputs(d):
    """The flow's files in `d`: 2,000 people, 2,000 others as control, a release of (a, s),
    a second file of 300 of the same people and 200 new ones, the spec and the key file."""
    d.mkdir(parents=True, exist_ok=True)
    src = people(2000, 0, 1)
    write(d / "people.csv", src, [0, 1, 2, 3, 4])
    write(d / "control.csv", people(2000, 5000, 2), [0, 1, 2, 3, 4])
    write(d / "release.csv", src, [1, 4])
    write(d / "second.csv", src[:300] + people(200, 2000, 3), [0, 1, 2, 3, 4])
    (d / "spec.toml").write_text(SPEC)
    key = d / "master.key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    return src


def cli(args, cwd, ok=True):
    out = subprocess.run(
        [os.environ["DATAVISA_CLI"], *args],
        cwd=cwd, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DATAVISA_")},
    )
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def cli_json(args, cwd):
    return json.loads(cli([*args, "--format", "json"], cwd).stdout)


ASSESS = ["--spec", "spec.toml", "--source", "people.csv", "--recipient", "r",
          "--control", "control.csv", "--n-attacks", "300"]


def transfer(file, **extra):
    return dict(exporter="Acme", recipient="r", file=file, **extra)


def run_python_flow(d, monkeypatch):
    """Every step through `datavisa.Workspace`, in `d` with relative paths as the CLI takes
    them; returns each step's result."""
    monkeypatch.chdir(d)
    ws = datavisa.Workspace("st", master_key_file="master.key")
    on_day = datavisa.Workspace("st", as_of="2026-02-01")
    r = {"vault": ws.vault_init(kdf_memory_mib=7, kdf_passes=5)}
    r["twin"] = ws.pseudonymize("people.csv", "twin.csv", "r", spec="spec.toml")
    r["a1"] = ws.assess("twin.csv", "people.csv", "r", spec="spec.toml",
                        control="control.csv", n_attacks=300)
    r["v1"] = on_day.issue_visa(r["a1"].id)
    # Assessed before anything is sent, the release of (a, s) alone is anonymized for r.
    r["a2"] = ws.assess("release.csv", "people.csv", "r", spec="spec.toml",
                        control="control.csv", n_attacks=300)
    r["v2"] = on_day.issue_visa(r["a2"].id)
    ws.add_exporter("Acme")
    ws.add_recipient("r", jurisdiction="DE")
    r["release"] = ws.ledger_record(**transfer("release.csv", visa=r["v2"].id,
                                               date="2026-03-01"))
    counted = dict(person_column="pid", sensitive_columns=["s"], date="2026-03-01")
    r["sent"] = ws.ledger_record(**transfer("twin.csv", **counted))
    r["second"] = ws.ledger_record(**transfer("second.csv", **counted))
    with pytest.raises(datavisa.BadInput) as e:
        ws.ledger_record(**transfer("twin.csv", visa=r["v1"].id, date="2026-03-01"))
    r["not_covered"] = str(e.value)
    r["year"] = ws.ledger_report(year=2026)
    for lang, ext in [("zh", "html"), ("en", "md")]:
        assert ws.report_assessment(r["a1"].id, f"report.{lang}.{ext}", lang=lang) == Path(
            f"report.{lang}.{ext}")
        written = ws.report_pipia(exporter="Acme", recipient="r", year=2026,
                                  output=f"pipia.{lang}.md", lang=lang)
        assert written == Path(f"pipia.{lang}.md")
    return ws, r


def test_the_whole_flow_counts_people_exactly_and_writes_both_languages(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAVISA_MASTER_KEY", raising=False)
    src = inputs(tmp_path)
    ws, r = run_python_flow(tmp_path, monkeypatch)
    assert r["vault"].id.startswith("vault-")
    # The twin: every row, the identifier tokenized, the other columns kept as written.
    twin = r["twin"]
    assert twin.kind == "pseudonymized_twin" and twin.output["rows"] == 2000
    assert {c["column"]: c["method"] for c in twin.columns} == {
        "pid": "token", "a": "keep", "b": "keep", "c": "keep", "s": "keep"}
    lines = (tmp_path / "twin.csv").read_text().splitlines()[1:]
    assert [x.split(",")[1:] for x in lines] == [p[1:] for p in src]
    assert not {x.split(",")[0] for x in lines} & {p[0] for p in src}
    assert ws.vault_status().twins[0]["id"] == twin.twin_id
    # Live keys: de-identified at best; the release alone: anonymized.
    assert (r["a1"].twin_kind, r["a1"].verdict) == ("pseudonymized", "de_identified")
    assert r["a2"].verdict == "anonymized"
    assert r["v1"].issued_on == "2026-02-01" and r["v1"].review_on == "2027-02-01"
    # 2,000 people, every fourth without s: 1,500 with sensitive PI.
    sent = r["sent"]
    assert (sent.persons, sent.sensitive_persons, sent.new_ordinary, sent.new_sensitive) == (
        2000, 1500, 2000, 1500)
    assert sent.people_from == "twin_in_vault"
    # 300 known (225 with s) and 200 new (ids 2000..2199, 150 with s): only the new count.
    second = r["second"]
    assert (second.persons, second.sensitive_persons) == (500, 375)
    assert (second.new_ordinary, second.new_sensitive) == (200, 150)
    assert second.totals == {"ordinary": 2200, "sensitive": 1650}
    # Sent under the anonymized visa: recorded, not counted, and the visa marked sent.
    assert r["release"].counted is False and r["release"].totals["ordinary"] == 0
    assert ws.visa(r["v2"].id).sent_on == "2026-03-01"
    assert "its verdict is de_identified, not anonymized" in r["not_covered"]
    (year,) = r["year"].exporters
    assert (year["counts"], year["transfers"]) == ({"ordinary": 2200, "sensitive": 1650}, 3)
    # The reports, in each language.
    en, zh = (tmp_path / "pipia.en.md").read_text(), (tmp_path / "pipia.zh.md").read_text()
    assert "| People sent abroad in 2026 (ordinary PI) | 2200 |" in en
    assert f"visa {r['v2'].id} for release.csv: anonymized" in en
    assert re.search("[\u4e00-\u9fff]", zh) and "2200" in zh and "1650" in zh
    assert "People sent abroad" not in zh
    report_zh = (tmp_path / "report.zh.html").read_text()
    assert r["a1"].id in report_zh and re.search("[\u4e00-\u9fff]", report_zh)
    assert r["a1"].id in (tmp_path / "report.en.md").read_text()
    # Lists and shows as typed records.
    listed = ws.assessments(recipient="r")
    assert {a.id for a in listed} == {r["a1"].id, r["a2"].id}
    assert json.loads(listed.to_json()) == listed.to_list()
    assert ws.assessment(r["v1"].id).id == r["a1"].id
    # The key is in no result and no file but its own.
    results = [x.to_json() for x in r.values() if hasattr(x, "to_json")]
    assert not [t for t in results if KEY in t]
    assert not files_holding(tmp_path, KEY.encode(), but=tmp_path / "master.key")


def files_holding(root, secret, but):
    return [
        p for p in Path(root).rglob("*")
        if p.is_file() and p != but and secret in p.read_bytes()
    ]


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


@pytest.mark.skipif("DATAVISA_CLI" not in os.environ, reason="the CLI binary is not built")
def test_the_cli_doing_the_same_steps_gives_the_same_json(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAVISA_MASTER_KEY", raising=False)
    py_dir, cli_dir = tmp_path / "py", tmp_path / "cli"
    inputs(py_dir)
    inputs(cli_dir)
    ws, r = run_python_flow(py_dir, monkeypatch)
    key = ["--store", "st", "--master-key-file", "master.key"]
    st = ["--store", "st"]
    c = {}
    cli(["vault", "init", *key, "--kdf-memory-mib", "7", "--kdf-passes", "5"], cli_dir)
    c["twin"] = cli_json(["twin", "pseudonymize", "people.csv", "-o", "twin.csv",
                          "--recipient", "r", "--spec", "spec.toml", *key], cli_dir)
    c["a1"] = cli_json(["assess", "--twin", "twin.csv", *ASSESS, *key], cli_dir)
    c["v1"] = cli_json(["visa", "issue", "--assessment", c["a1"]["id"],
                        "--as-of", "2026-02-01", *st], cli_dir)
    c["a2"] = cli_json(["assess", "--twin", "release.csv", *ASSESS, *key], cli_dir)
    c["v2"] = cli_json(["visa", "issue", "--assessment", c["a2"]["id"],
                        "--as-of", "2026-02-01", *st], cli_dir)
    cli(["ledger", "exporter", "add", "Acme", *st], cli_dir)
    cli(["ledger", "recipient", "add", "r", "--jurisdiction", "DE", *st], cli_dir)
    record = ["ledger", "record", "--exporter", "Acme", "--recipient", "r"]
    c["release"] = cli_json([*record, "--file", "release.csv", "--visa", c["v2"]["id"],
                             "--date", "2026-03-01", *key], cli_dir)
    counted = ["--person-column", "pid", "--sensitive-columns", "s", "--date", "2026-03-01"]
    c["sent"] = cli_json([*record, "--file", "twin.csv", *counted, *key], cli_dir)
    c["second"] = cli_json([*record, "--file", "second.csv", *counted, *key], cli_dir)
    refused = cli([*record, "--file", "twin.csv", "--visa", c["v1"]["id"], "--date",
                   "2026-03-01", *key], cli_dir, ok=False)
    c["year"] = cli_json(["ledger", "report", "--year", "2026", *st], cli_dir)

    # The twin's manifest: the same plan, keys, files and source (the tokens differ: each
    # vault has its own keys).
    same_twin = ("columns", "kind", "legal_status", "recipient", "source", "redacted")
    assert {k: r["twin"][k] for k in same_twin} == {k: c["twin"][k] for k in same_twin}
    assert without(r["twin"].output, "sha256") == without(c["twin"]["output"], "sha256")
    # The assessments: the same figures, checks, reasons and verdicts.
    figures = ("verdict", "keys", "twin_kind", "checks", "attacks", "reasons", "classic",
               "utility", "margins")
    for a in ("a1", "a2"):
        assert {k: r[a][k] for k in figures} == {k: c[a][k] for k in figures}, a
    visa_fields = ("verdict", "issued_on", "review_on", "conditions", "status", "recipient")
    for v in ("v1", "v2"):
        assert {k: r[v][k] for k in visa_fields} == {k: c[v][k] for k in visa_fields}
    # The transfers and the year: the same counts.
    def counts(x, visa):
        text = json.dumps(without(x, "transfer_id"), sort_keys=True)
        return json.loads(text.replace(visa, "VISA"))

    for t in ("release", "sent", "second"):
        assert counts(r[t].to_dict(), r["v2"].id) == counts(c[t], c["v2"]["id"]), t
    assert r["year"].to_dict() == c["year"]
    assert refused.returncode == 2
    assert r["not_covered"].replace(r["v1"].id, "V") in refused.stderr.replace(
        c["v1"]["id"], "V")

    # The CLI reading the store Python wrote prints exactly what Python returned.
    assert ws.assessments().to_list() == cli_json(["assess", "list", *st], py_dir)
    assert ws.assessment(r["a2"].id).to_dict() == cli_json(
        ["assess", "show", r["a2"].id, *st], py_dir)
    assert ws.vault_status().to_dict() == cli_json(["vault", "status", *key], py_dir)
    on_day = datavisa.Workspace("st", as_of="2026-02-01")
    assert on_day.visa(r["v1"].id).to_dict() == cli_json(
        ["visa", "show", r["v1"].id, "--as-of", "2026-02-01", *st], py_dir)
    assert [v.to_dict() for v in on_day.visas()] == cli_json(
        ["visa", "list", "--as-of", "2026-02-01", *st], py_dir)
    assert sorted(files_holding(tmp_path, KEY.encode(), but=None)) == sorted(
        [py_dir / "master.key", cli_dir / "master.key"])


def test_the_key_comes_from_the_environment_when_no_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAVISA_MASTER_KEY", KEY)
    v = datavisa.Workspace("st").vault_init(kdf_memory_mib=7, kdf_passes=5)
    assert datavisa.Workspace("st").vault_status().vault == v.to_dict()
    # A wrong key file wins over the variable, and is refused.
    (tmp_path / "other.key").write_text("another key\n")
    with pytest.raises(datavisa.Error):
        datavisa.Workspace("st", master_key_file="other.key").vault_status()


MISSING = "no master key: set DATAVISA_MASTER_KEY or pass "


def test_a_missing_key_is_bad_input_with_the_clis_message(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAVISA_MASTER_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(datavisa.BadInput) as e:
        datavisa.Workspace("st").vault_init()
    assert str(e.value) == MISSING + "master_key_file=FILE"
    with pytest.raises(datavisa.BadInput) as e:
        datavisa.Workspace("st", master_key_file="absent.key").vault_init()
    assert str(e.value).startswith("master_key_file=absent.key: cannot read the master key file")
    assert not (tmp_path / "st" / "vault.db").exists()
    if "DATAVISA_CLI" in os.environ:
        out = cli(["vault", "init", "--store", "st"], tmp_path, ok=False)
        assert out.returncode == 2
        assert MISSING + "--master-key-file FILE" in out.stderr


def test_a_server_store_is_refused(tmp_path):
    with pytest.raises(datavisa.BadInput) as e:
        datavisa.Workspace("postgres://dv@db.example/datavisa")
    assert "stores on a server are not supported yet" in str(e.value)
    assert isinstance(e.value, datavisa.Error)
    with pytest.raises(datavisa.BadInput) as e:
        datavisa.Workspace(tmp_path / "st", as_of="2026-02-30")
    assert str(e.value) == 'as_of "2026-02-30" is not a date (use YYYY-MM-DD)'


def test_no_output_overwrites_an_input_or_the_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inputs(tmp_path)
    ws = datavisa.Workspace("st", master_key_file="master.key")
    ws.vault_init(kdf_memory_mib=7, kdf_passes=5)
    before = (tmp_path / "people.csv").read_bytes()
    for output in ["people.csv", "spec.toml", "st/vault.db"]:
        with pytest.raises(datavisa.Error):
            ws.pseudonymize("people.csv", output, "r", spec="spec.toml")
    assert (tmp_path / "people.csv").read_bytes() == before
    assert ws.vault_status().twins == []
