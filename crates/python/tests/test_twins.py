"""Twins from frames: a hand-made frame generalized to k=2, hierarchies as ARX files and as
frames, seeded synthesis, each against the CLI's twin and JSON for the same CSV; bad inputs."""

import json
import os
import subprocess

import pandas as pd
import pyarrow as pa
import pytest

import datavisa

needs_cli = pytest.mark.skipif("DATAVISA_CLI" not in os.environ, reason="the CLI binary is not built")

# Ages 31-34 and 41-44, sex F F M M in each decade: at k=2 only (decade, sex) makes classes of
# two without generalizing sex (every age alone is unique, sex alone loses more).
AGES = [31, 32, 33, 34, 41, 42, 43, 44]
SEXES = ["F", "F", "M", "M", "F", "F", "M", "M"]
AGE_ARX = "".join(f"{a};{'30-39' if a < 40 else '40-49'};*\n" for a in AGES)

SPEC = """[[columns]]
name = "age"
domain = { min = 30, max = 49 }

[[columns]]
name = "sex"
domain = { categories = ["F", "M"] }
"""


def people():
    return pd.DataFrame({"age": AGES, "sex": SEXES})


def cli(cwd, *args):
    out = subprocess.run(
        [os.environ["DATAVISA_CLI"], *args, "--format", "json"],
        cwd=cwd, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def as_text(df):
    """A table's cells as text, missing as empty, for comparing a CSV read back with a frame."""
    return df.astype(object).where(df.notna(), "").astype(str).reset_index(drop=True)


def comparable(manifest):
    """A manifest without what names or hashes the files and what the clock says."""
    d = json.loads(json.dumps(manifest))
    for key in ("manifest", "created_at_unix", "timings_seconds"):
        d.pop(key, None)
    d["source"] = {k: d["source"][k] for k in ("rows", "columns")}
    d["output"] = {k: d["output"][k] for k in ("rows", "columns")}
    d.get("search", {}).pop("seconds", None)
    return d


def test_a_hand_made_frame_generalized_to_k_2(tmp_path):
    (tmp_path / "age.csv").write_text(AGE_ARX)
    twin = datavisa.generalize(people(), quasi=["age", "sex"], k=2, hierarchies={"age": tmp_path / "age.csv"})
    assert isinstance(twin.table, pd.DataFrame)
    assert list(twin.table["age"]) == ["30-39"] * 4 + ["40-49"] * 4
    assert list(twin.table["sex"]) == SEXES
    assert twin.levels == {"age": 1, "sex": 0}
    assert twin.classes == 4 and twin.suppressed == 0
    assert twin.table.groupby(["age", "sex"]).size().min() == 2
    k = next(m for m in twin.models if m["model"] == "k-anonymity")
    assert k["achieved"] == 2 and k["holds"]
    assert twin.source["path"] == "<frame>"
    assert twin.source["sha256"] == datavisa.frame(people()).sha256
    assert twin.output["path"] == "<twin>" and twin.written is None
    assert json.loads(twin.to_json())["levels"] == twin.levels


@needs_cli
def test_the_twin_and_figures_equal_the_clis(tmp_path):
    people().to_csv(tmp_path / "source.csv", index=False)
    (tmp_path / "age.csv").write_text(AGE_ARX)
    want = cli(tmp_path, "twin", "generalize", "source.csv", "-o", "twin.csv", "--quasi", "age,sex",
               "--k", "2", "--hierarchy", f"age={tmp_path / 'age.csv'}")
    source = pd.read_csv(tmp_path / "source.csv")
    got = datavisa.generalize(source, quasi=["age", "sex"], k=2, hierarchies={"age": str(tmp_path / "age.csv")})
    assert comparable(got.to_dict()) == comparable(want)
    assert as_text(got.table).equals(as_text(pd.read_csv(tmp_path / "twin.csv", dtype=str)))

    # Written with out=: the CLI's files and JSON, the source evidence the frame's.
    written = datavisa.generalize(source, quasi=["age", "sex"], k=2,
                                  hierarchies={"age": str(tmp_path / "age.csv")}, out=tmp_path / "py.csv")
    assert written.written == str(tmp_path / "py.csv.manifest.json")
    on_disk = json.loads((tmp_path / "py.csv.manifest.json").read_text())
    assert {k: v for k, v in written.to_dict().items() if k != "manifest"} == on_disk
    assert on_disk["source"]["sha256"] == datavisa.frame(source).sha256
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "twin.csv").read_bytes()
    assert comparable(written.to_dict()) == comparable(want)


def test_a_hierarchy_frame_equals_the_same_arx_file(tmp_path):
    (tmp_path / "age.csv").write_text(AGE_ARX)
    from_file = datavisa.generalize(people(), quasi=["age", "sex"], k=2, hierarchies={"age": tmp_path / "age.csv"})
    frame = pd.read_csv(tmp_path / "age.csv", sep=";", header=None)
    from_frame = datavisa.generalize(people(), quasi=["age", "sex"], k=2, hierarchies={"age": frame})
    assert from_frame.table.equals(from_file.table)
    a, b = comparable(from_frame.to_dict()), comparable(from_file.to_dict())
    src = a["recipe"]["hierarchies"][0].pop("source")
    b["recipe"]["hierarchies"][0].pop("source")
    assert a == b
    assert src["kind"] == "table"
    assert datavisa.frame(frame, "hierarchy:age").sha256 in src["detail"]


def test_the_twin_comes_back_in_the_inputs_library():
    arrow = pa.Table.from_pandas(people(), preserve_index=False)
    twin = datavisa.generalize(arrow, quasi=["age", "sex"], k=2)
    assert isinstance(twin.table, pa.Table)
    assert twin.table.num_rows == 8
    pl = pytest.importorskip("polars")
    twin = datavisa.generalize(pl.from_pandas(people()), quasi=["age", "sex"], k=2)
    assert isinstance(twin.table, pl.DataFrame)
    assert twin.table.shape == (8, 2)


def test_synthesis_is_seeded_and_a_domain_dict_is_the_spec(tmp_path):
    (tmp_path / "spec.toml").write_text(SPEC)
    a = datavisa.synthesize(people(), domain=tmp_path / "spec.toml", epsilon=2.0, seed=7, rows=40)
    b = datavisa.synthesize(people(), domain=tmp_path / "spec.toml", epsilon=2.0, seed=7, rows=40)
    assert a.table.equals(b.table)
    assert comparable(a.to_dict()) == comparable(b.to_dict())
    assert len(a.table) == 40 and a.kind == "synthetic_twin" and a.seed == 7
    given = datavisa.synthesize(
        people(), domain={"age": {"min": 30, "max": 49}, "sex": ["F", "M"]}, epsilon=2.0, seed=7, rows=40
    )
    assert given.table.equals(a.table)
    assert given["spec"] == "<domain>"
    other = datavisa.synthesize(people(), domain=tmp_path / "spec.toml", epsilon=2.0, seed=8, rows=40)
    assert not other.table.equals(a.table)


@needs_cli
def test_synthesis_equals_the_clis_for_the_same_seed(tmp_path, monkeypatch):
    people().to_csv(tmp_path / "source.csv", index=False)
    (tmp_path / "spec.toml").write_text(SPEC)
    want = cli(tmp_path, "twin", "synthesize", "source.csv", "-o", "syn.csv", "--spec", "spec.toml",
               "--epsilon", "1.5", "--seed", "11")
    monkeypatch.chdir(tmp_path)
    got = datavisa.synthesize(pd.read_csv("source.csv"), domain="spec.toml", epsilon=1.5, seed=11)
    assert comparable(got.to_dict()) == comparable(want)
    assert as_text(got.table).equals(as_text(pd.read_csv(tmp_path / "syn.csv", dtype=str)))
    written = datavisa.synthesize(pd.read_csv("source.csv"), domain="spec.toml", epsilon=1.5, seed=11, out="py.csv")
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "syn.csv").read_bytes()
    on_disk = json.loads((tmp_path / "py.csv.manifest.json").read_text())
    assert on_disk["source"]["sha256"] == datavisa.frame(people()).sha256
    assert comparable(on_disk) == comparable(want)
    assert written.written == "py.csv.manifest.json"


def test_values_outside_a_declared_domain_are_warned_about_not_recorded():
    # The four "M" rows are not in sex's declared domain.
    with pytest.warns(UserWarning, match=r'4 value\(s\) of "sex" are outside its declared domain'):
        twin = datavisa.synthesize(people(), domain={"age": {"min": 30, "max": 49}, "sex": ["F"]},
                                   epsilon=1.0, seed=2)
    assert "outside" not in twin.to_json()


def test_bad_inputs_are_bad_input_naming_the_column(tmp_path):
    with pytest.raises(datavisa.BadInput, match="nosuch"):
        datavisa.generalize(people(), quasi=["age", "nosuch"], k=2)
    short = pd.DataFrame({"value": AGES[:-1], "decade": ["30-39"] * 4 + ["40-49"] * 3, "top": ["*"] * 7})
    with pytest.raises(datavisa.BadInput, match='"44" of column "age"'):
        datavisa.generalize(people(), quasi=["age", "sex"], k=2, hierarchies={"age": short})
    gap = short.assign(top=["*", None, "*", "*", "*", "*", "*"])
    with pytest.raises(datavisa.BadInput, match='hierarchy for "age".*row 2 has no value in its column "top"'):
        datavisa.generalize(people(), quasi=["age", "sex"], k=2, hierarchies={"age": gap})
    (tmp_path / "spec.toml").write_text(SPEC)
    with pytest.raises(datavisa.BadInput, match="epsilon must be positive"):
        datavisa.synthesize(people(), domain=tmp_path / "spec.toml", epsilon=-1.0, seed=1)
    with pytest.raises(datavisa.BadInput, match="column 'sex'.*list of categories"):
        datavisa.synthesize(people(), domain={"age": {"min": 30, "max": 49}, "sex": 3}, epsilon=1.0)
    with pytest.raises(datavisa.BadInput, match='column "age".*unknown field `step`'):
        datavisa.synthesize(people(), domain={"age": {"min": 30, "step": 2}, "sex": ["F", "M"]}, epsilon=1.0)
    with pytest.raises(datavisa.BadInput, match='domain of "age"'):
        datavisa.synthesize(people(), domain={"age": {"min": 49, "max": 30}, "sex": ["F", "M"]}, epsilon=1.0)
    with pytest.raises(datavisa.BadInput, match='"height" is not in the table'):
        datavisa.synthesize(people(), domain={"height": {"min": 1, "max": 2}}, epsilon=1.0)
    with pytest.raises(datavisa.BadInput, match="method 'gan'|method \"gan\""):
        datavisa.synthesize(people(), domain=tmp_path / "spec.toml", epsilon=1.0, method="gan")
