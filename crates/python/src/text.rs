//! Text columns of pandas object arrays, encoded without a Python-level pass: pandas keeps one
//! string object per distinct value of a column it parsed, so each object is looked up by its
//! identity first and its text read once, and the column comes back as codes over its distinct
//! values in order of first appearance (what `pandas.factorize` gives, without its checks).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyList, PyString};
use std::collections::HashMap;

/// A fast hash for object identities and short text (no need for DoS resistance here: the
/// keys are the caller's own objects).
type Fast = foldhash::fast::FixedState;

/// The code of a missing value (None or a float NaN).
const MISSING: i32 = -1;

/// Encodes the list of a column's values: `(codes, values)` with the codes as little-endian
/// i32 bytes (-1 for None or NaN) over the distinct values in order of first appearance; None
/// when a value is neither text nor missing, for the caller's general path.
#[pyfunction]
pub fn encode_text<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyList>,
) -> PyResult<Option<(Bound<'py, PyBytes>, Vec<String>)>> {
    let mut by_object: HashMap<usize, i32, Fast> = HashMap::default();
    let mut by_text: HashMap<String, i32, Fast> = HashMap::default();
    let mut values: Vec<String> = Vec::new();
    let mut codes: Vec<u8> = Vec::with_capacity(4 * items.len());
    for item in items.iter() {
        let id = item.as_ptr() as usize;
        let code = match by_object.get(&id) {
            Some(&c) => c,
            None => {
                let Some(c) = code_of(&item, &mut by_text, &mut values)? else {
                    return Ok(None);
                };
                // The list holds every item, so no identity is reused while this runs.
                by_object.insert(id, c);
                c
            }
        };
        codes.extend_from_slice(&code.to_le_bytes());
    }
    Ok(Some((PyBytes::new(py, &codes), values)))
}

/// The code of one value seen for the first time: missing, the code of equal text seen before,
/// or a new code; None for a value that is not text.
fn code_of(
    item: &Bound<'_, PyAny>,
    by_text: &mut HashMap<String, i32, Fast>,
    values: &mut Vec<String>,
) -> PyResult<Option<i32>> {
    if item.is_none() {
        return Ok(Some(MISSING));
    }
    if let Ok(f) = item.cast::<PyFloat>() {
        return Ok(f.value().is_nan().then_some(MISSING));
    }
    let Ok(s) = item.cast::<PyString>() else {
        return Ok(None);
    };
    // Text Python can hold but UTF-8 cannot (a lone surrogate) goes the general way.
    let Ok(text) = s.to_cow() else {
        return Ok(None);
    };
    if let Some(&c) = by_text.get(text.as_ref()) {
        return Ok(Some(c));
    }
    let c = values.len() as i32;
    by_text.insert(text.to_string(), c);
    values.push(text.into_owned());
    Ok(Some(c))
}
