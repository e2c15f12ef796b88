"""Data frames in: pyarrow Tables and RecordBatches, polars and pandas DataFrames, or anything
with the Arrow PyCapsule interface, read once into a datavisa Frame through the Arrow C stream
interface. A float64 column in one chunk, with NaN under any nulls (pandas' missing floats come
so), is shared with the frame, not copied; other types (int64 included) are converted."""

from __future__ import annotations

from typing import Any, List, Tuple

from . import _datavisa
from ._datavisa import BadInput, Frame


def _pandas_to_arrow(df: Any, name: str) -> Any:
    import pyarrow as pa

    names = [str(c) for c in df.columns]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            raise BadInput(
                f"{name}: columns {seen[n] + 1} and {i + 1} are both named {n!r}; rename one"
            )
        seen[n] = i
    columns = []
    for n, col in zip(names, (df.iloc[:, i] for i in range(len(names)))):
        text = _text_dictionary(pa, col)
        if text is not None:
            columns.append(text)
            continue
        try:
            columns.append(pa.array(col, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as e:
            # An object column mixing types: read it as text, as a CSV would be.
            try:
                columns.append(pa.array(col.map(_as_text), type=pa.string(), from_pandas=True))
            except Exception:
                raise BadInput(f"{name}: column {n!r} cannot be read: {e}") from None
    return pa.Table.from_arrays(columns, names=names)


def _text_dictionary(pa: Any, col: Any) -> Any:
    """An object column holding only text (and missing values) as a dictionary array, its
    distinct values in order of first appearance; None when it holds anything else. The engine
    encodes it by object identity (pandas keeps one object per distinct value it parsed);
    a column with other missing markers (pd.NA, NaT) goes through `pandas.factorize`."""
    if col.dtype != object:
        return None
    import numpy as np

    encoded = _datavisa.encode_text(col.to_numpy().tolist())
    if encoded is not None:
        codes = np.frombuffer(encoded[0], dtype=np.int32)
        uniques = encoded[1]
    else:
        import pandas as pd

        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        if not all(isinstance(u, str) for u in uniques):
            return None
    try:
        values = pa.array(uniques, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return None  # the general path names the column
    return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32(), mask=codes < 0), values)


def _as_text(v: Any) -> Any:
    if v is None:
        return None
    try:
        import math

        if isinstance(v, float) and math.isnan(v):
            return None
    except TypeError:
        pass
    return str(v)


def frame(data: Any, name: str = "frame") -> Frame:
    """The datavisa Frame of `data` (returned as is when it is one already)."""
    if isinstance(data, Frame):
        return data
    return _datavisa.read_stream(_stream(data, name), name)


def frames(*named: Tuple[Any, str]) -> List[Frame]:
    """The Frames of several `(data, name)` pairs, in order. The engine reads each one (without
    the GIL) on a thread of its own while the next is converted here, so the two overlap."""
    import threading

    out: List[Any] = [None] * len(named)
    errors: List[BaseException] = []

    def read(i: int, capsule: Any, name: str) -> None:
        try:
            out[i] = _datavisa.read_stream(capsule, name)
        except BaseException as e:  # re-raised in the caller's thread, in order
            errors.append(e)

    readers = []
    try:
        for i, (data, name) in enumerate(named):
            if isinstance(data, Frame):
                out[i] = data
                continue
            t = threading.Thread(target=read, args=(i, _stream(data, name), name), daemon=True)
            t.start()
            readers.append(t)
    finally:
        for t in readers:
            t.join()
    if errors:
        raise errors[0]
    return out


def _stream(data: Any, name: str) -> Any:
    """`data` as an Arrow C stream capsule, pandas converted first."""
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        data = _pandas_to_arrow(data, name)
    if hasattr(data, "__arrow_c_stream__"):
        return data.__arrow_c_stream__()
    if module == "pyarrow" and hasattr(data, "num_rows"):
        import pyarrow as pa

        # A RecordBatch (older pyarrow gives it only the array interface).
        return pa.Table.from_batches([data]).__arrow_c_stream__()
    raise BadInput(
        f"{name}: expected a pandas, polars or pyarrow table, got {type(data).__name__}"
    )
