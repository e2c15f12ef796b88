"""Zero-copy hand-over (issue 25): a 1,000,000-row pyarrow table's float64 columns are read
into a Frame and measured without being copied, as the process's resident memory shows beside
the same values as int64, which have to be converted (and so copied)."""

import os

import numpy as np
import pyarrow as pa
import pytest

import datavisa

ROWS = 1_000_000
COLUMNS = 6
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    """Resident bytes of this process, from /proc/self/statm (its second field, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def table(dtype, seed=7):
    rng = np.random.default_rng(seed)
    return pa.table(
        {f"c{j}": rng.integers(0, 40, ROWS).astype(dtype) for j in range(COLUMNS)}
    )


def growth(data):
    """Resident memory gained while making a Frame of `data` and measuring its risk once, with
    the Frame (and whatever it holds) still alive; and the measure's result."""
    before = rss()
    f = datavisa.frame(data, name="big")
    r = datavisa.risk(f, quasi=["c0"])
    gained = rss() - before
    assert f.rows == ROWS
    return gained, r


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_float64_columns_are_not_copied_and_int64_ones_are():
    # One-time costs before anything is measured: the extension's pages, its threads, and the
    # measure's own working memory on a table of this size, which the allocator keeps for the
    # next call. The warm-up frame stays alive, so a copy made later cannot reuse its memory.
    warm = datavisa.frame(table("float64", seed=8), name="warm")
    datavisa.risk(warm, quasi=["c0"])
    floats, ints = table("float64"), table("int64")
    column_bytes = COLUMNS * ROWS * 8
    assert floats.nbytes == column_bytes and ints.nbytes == column_bytes
    shared, r_shared = growth(floats)
    copied, r_copied = growth(ints)
    assert shared < column_bytes / 4, (shared, copied, column_bytes)
    assert copied > column_bytes * 3 / 4, (shared, copied, column_bytes)
    # The same values give the same figures whichever way they were handed over.
    assert r_shared.k == r_copied.k
    assert r_shared.prosecutor == r_copied.prosecutor
    assert r_shared["n_classes"] == r_copied["n_classes"] == 40
    assert warm.rows == ROWS
