"""The native API on small frames: hand-checked figures, the CLI's JSON, every input kind and
pandas' awkward dtypes."""

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import datavisa


def people(n=400, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "city": rng.choice(["Beijing", "Shanghai", "Shenzhen"], n),
            "sex": rng.choice(["F", "M"], n),
            "diagnosis": rng.choice(["asthma", "flu", "none"], n),
        }
    )


def test_risk_of_a_hand_made_table():
    # Classes on (a, b): {x,1} x3, {x,2} x2, {y,1} x1.
    df = pd.DataFrame({"a": ["x", "x", "x", "x", "x", "y"], "b": [1, 1, 1, 2, 2, 1]})
    r = datavisa.risk(df, quasi=["a", "b"])
    assert r.k == 1
    assert r.prosecutor["highest"] == 1.0
    assert r.prosecutor["average"] == pytest.approx(3 / 6)
    assert r.sample_uniqueness == pytest.approx(1 / 6)
    assert r["n_classes"] == 3
    assert json.loads(r.to_json())["k"] == 1
    assert r.to_dict()["inputs"]["file"]["rows"] == 6


def test_check_and_inspect():
    df = pd.DataFrame({"a": ["x"] * 4 + ["y"] * 4, "s": ["p", "q"] * 4})
    c = datavisa.check(df, quasi=["a"], sensitive=["s"], k=4, l=2)
    assert c.satisfied
    assert not datavisa.check(df, quasi=["a", "s"], k=3).satisfied
    i = datavisa.inspect(df)
    cols = i.columns()
    assert list(cols["name"]) == ["a", "s"]
    assert i.rows == 8


def test_scan_finds_an_identifier_with_evidence():
    df = pd.DataFrame(
        {
            "email": [f"user{i}@example.com" for i in range(50)],
            "n": [i % 5 for i in range(50)],
        }
    )
    s = datavisa.scan(df)
    text = s.to_json()
    assert "email" in text
    cols = {c["name"]: c for c in s["columns"]}
    assert cols["email"]["kind"] == "email", text
    assert cols["email"]["role"] == "identifier", text
    assert "e-mail" in cols["email"]["evidence"]
    assert cols["n"]["role"] != "identifier", text
    assert set(s.columns()["name"]) == {"email", "n"}


def test_attacks_are_seeded_and_measure_what_they_say():
    src, twin, control = people(seed=1), people(seed=2), people(seed=3)
    a = datavisa.attack.linkability(src, twin, aux_a=["age"], aux_b=["city", "sex"], control=control, n_attacks=200, seed=4)
    b = datavisa.attack.linkability(src, twin, aux_a=["age"], aux_b=["city", "sex"], control=control, n_attacks=200, seed=4)
    assert a.to_dict() == b.to_dict()
    assert 0.0 <= a.risk.low <= a.risk.value <= a.risk.high <= 1.0
    assert a.control_rate is not None
    inf = datavisa.attack.inference(src, src, secret="diagnosis", aux=["age", "city", "sex"], n_attacks=100, seed=1)
    # The twin is the source itself: the secret is read off exactly for most targets.
    assert inf.attack_rate.value > 0.5
    so = datavisa.attack.singling_out(src, twin, n_attacks=50, mode="univariate", seed=1)
    assert so.n_attacks == 50
    assert so.seed == 1


def test_utility_of_a_copy_is_perfect():
    df = people()
    u = datavisa.utility(df, df, queries=50)
    assert u.score == pytest.approx(1.0)
    assert set(u.columns()["column"]) == set(df.columns)


def timeless(r):
    d = r.to_dict()
    d.pop("seconds", None)
    return d


def test_pyarrow_polars_and_pandas_give_the_same_result():
    df = people()
    want = timeless(datavisa.risk(df, quasi=["age", "city"]))
    got = timeless(datavisa.risk(pa.Table.from_pandas(df, preserve_index=False), quasi=["age", "city"]))
    assert got == want
    batch = pa.RecordBatch.from_pandas(df, preserve_index=False)
    assert timeless(datavisa.risk(batch, quasi=["age", "city"])) == want
    pl = pytest.importorskip("polars")
    assert timeless(datavisa.risk(pl.from_pandas(df), quasi=["age", "city"])) == want
    f = datavisa.frame(df, "people")
    assert f.rows == len(df) and f.columns == list(df.columns)
    assert datavisa.frame(pa.Table.from_pandas(df, preserve_index=False)).sha256 == f.sha256


def test_pandas_dtypes_are_read_as_their_values():
    df = pd.DataFrame(
        {
            "cat": pd.Categorical(["a", "b", "a", None]),
            "int": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": pd.array([True, False, None, True], dtype="boolean"),
            "text": pd.array(["x", None, "y", "x"], dtype="string"),
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
            "when_tz": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-02", "2024-03-01"]).tz_localize("Asia/Shanghai"),
            "mixed": [1, "two", 3.0, None],
        }
    )
    i = datavisa.inspect(df)
    cols = {c["name"]: c for c in i["columns"]}
    assert cols["int"]["type"] == "integer"
    assert cols["int"]["missing_share"] == pytest.approx(0.25)
    assert cols["cat"]["missing_share"] == pytest.approx(0.25)
    assert cols["when"]["type"] in ("date", "datetime")
    assert cols["when_tz"]["type"] in ("date", "datetime")
    assert cols["text"]["missing_share"] == pytest.approx(0.25)
    assert cols["mixed"]["missing_share"] == pytest.approx(0.25)
    assert datavisa.risk(df, quasi=["cat", "flag"]).k >= 1


def test_bad_frames_are_bad_input_naming_the_column():
    with pytest.raises(datavisa.BadInput, match="no rows|header"):
        datavisa.inspect(pd.DataFrame({"a": pd.Series([], dtype="int64")}))
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(datavisa.BadInput, match="'a'"):
        datavisa.inspect(dup)
    with pytest.raises(datavisa.BadInput, match="nope"):
        datavisa.risk(people(), quasi=["nope"])
    with pytest.raises(datavisa.BadInput, match="expected a pandas"):
        datavisa.risk([1, 2, 3], quasi=["a"])
    assert issubclass(datavisa.BadInput, datavisa.Error)
    assert issubclass(datavisa.Refused, datavisa.Error)


@pytest.mark.skipif("DATAVISA_CLI" not in os.environ, reason="the CLI binary is not built")
def test_results_equal_the_clis_json(tmp_path):
    src, twin = people(seed=1), people(seed=2)
    src.to_csv(tmp_path / "source.csv", index=False)
    twin.to_csv(tmp_path / "twin.csv", index=False)
    cli = json.loads(
        subprocess.run(
            [
                os.environ["DATAVISA_CLI"], "attack", "inference", "--source", "source.csv",
                "--twin", "twin.csv", "--secret", "diagnosis", "--n-attacks", "150",
                "--seed", "9", "--format", "json",
            ],
            cwd=tmp_path, check=True, capture_output=True, text=True,
        ).stdout
    )
    py = datavisa.attack.inference(
        pd.read_csv(tmp_path / "source.csv"), pd.read_csv(tmp_path / "twin.csv"),
        secret="diagnosis", n_attacks=150, seed=9,
    ).to_dict()
    for side in ("source", "twin"):
        assert py["inputs"][side]["rows"] == cli["inputs"][side]["rows"]
        del py["inputs"][side], cli["inputs"][side]
    assert py == cli


INTERRUPTED = r"""
import sys
import numpy as np, pandas as pd, datavisa
rng = np.random.default_rng(0)
df = pd.DataFrame({c: rng.choice([f"{c}{i}" for i in range(n)], 2000) for c, n in zip("abc", (4, 10, 10))})
# Every row twice: no query isolates one row, so the search runs until it is stopped.
df = pd.concat([df, df], ignore_index=True)
print("go", flush=True)
try:
    datavisa.attack.singling_out(df, df, n_attacks=500, max_attempts=10**13)
except datavisa.Interrupted as e:
    print("interrupted:", e, flush=True)
    sys.exit(0)
print("finished", flush=True)
sys.exit(1)
"""


def test_ctrl_c_stops_a_long_attack():
    import signal
    import sys

    p = subprocess.Popen([sys.executable, "-c", INTERRUPTED], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "go"
    import time

    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 0, out
    assert "interrupted" in out


def test_text_columns_read_the_same_whichever_way_they_come():
    # Equal strings as distinct objects, None and NaN missing, non-ASCII text: the engine's
    # encoding by object identity gives what pyarrow's own conversion gives, by content hash.
    a, b = "".join(["北", "京"]), "".join(["北", "京"])
    assert a is not b
    df = pd.DataFrame(
        {
            "city": [a, "上海", None, b, float("nan"), "上海"] * 50,
            "n": list(range(300)),
            "na": pd.Series(["x", pd.NA, "y", "x", None, "y"] * 50, dtype=object),
            "odd": ["ok", "\ud800", "ok", "x", "y", "z"] * 50,
        }
    )
    plain = datavisa.frame(pa.Table.from_pandas(df.drop(columns=["odd"]), preserve_index=False))
    assert datavisa.frame(df.drop(columns=["odd"])).sha256 == plain.sha256
    i = {c["name"]: c for c in datavisa.inspect(df.drop(columns=["odd"]))["columns"]}
    assert i["city"]["missing_share"] == pytest.approx(2 / 6)
    assert i["na"]["missing_share"] == pytest.approx(2 / 6)
    # Text UTF-8 cannot hold is refused naming its column, not mangled.
    with pytest.raises(datavisa.BadInput, match="odd"):
        datavisa.frame(df)


def test_frames_read_together_keep_their_order_and_errors():
    from datavisa._frames import frames

    a, b = people(), people().rename(columns={"age": "years"})
    fa, fb = frames((a, "a"), (b, "b"))
    assert (fa.name, fb.name) == ("a", "b") and "years" in fb.columns
    assert fa.sha256 == datavisa.frame(a, "a").sha256
    empty = pd.DataFrame({"x": pd.Series([], dtype="float64")})
    with pytest.raises(datavisa.BadInput, match="empty"):
        frames((a, "a"), (empty, "empty"))
