//! Parquet read and write through arrow-rs, converted at the edge to our columnar table.

use crate::column::{Column, ColumnData, TypeEvidence, ValueType};
use crate::csv_read::type_columns;
use crate::dictionary::{Dictionary, MISSING};
use crate::error::{Result, TableError};
use crate::numbers::Numbers;
use crate::table::{FileFormat, Origin, RowLines, Table};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

fn perr(path: &Path, e: impl std::fmt::Display) -> TableError {
    TableError::Parquet {
        path: path.into(),
        message: e.to_string(),
    }
}

/// Accumulates one Parquet column across record batches.
enum Acc {
    Text(Dictionary, Vec<u32>),
    Num(ValueType, Nums),
}

/// A numeric column's values so far: nothing yet, one batch's Arrow buffer shared as it is, or
/// values copied (several batches, or a type whose values are not already datavisa's f64).
enum Nums {
    Empty,
    Shared(Numbers),
    Copied(Vec<f64>),
}

impl Nums {
    /// The values gathered, shared when they came as one shareable batch.
    fn finish(self) -> Numbers {
        match self {
            Nums::Empty => Numbers::from(Vec::new()),
            Nums::Shared(n) => n,
            Nums::Copied(v) => Numbers::from(v),
        }
    }

    /// A vector to extend with another batch (a shared first batch is copied into it).
    fn copied(&mut self) -> &mut Vec<f64> {
        let values = match std::mem::replace(self, Nums::Empty) {
            Nums::Empty => Vec::new(),
            Nums::Shared(n) => n.into_vec(),
            Nums::Copied(v) => v,
        };
        *self = Nums::Copied(values);
        match self {
            Nums::Copied(v) => v,
            _ => unreachable!("set above"),
        }
    }
}

/// Reads a Parquet file; string columns go through the same type inference as CSV. The
/// decoder is third-party code: a panic inside it is turned into an error naming the file.
pub fn read_parquet(
    path: &Path,
    missing_tokens: &[String],
    declared: &HashMap<String, ValueType>,
) -> Result<Table> {
    crate::boundary::decode(path, "Parquet", || {
        read_parquet_unguarded(path, missing_tokens, declared)
    })
}

fn read_parquet_unguarded(
    path: &Path,
    missing_tokens: &[String],
    declared: &HashMap<String, ValueType>,
) -> Result<Table> {
    let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
    // The embedded ARROW:schema is a hint written by arrow writers; a corrupted one crashed
    // arrow-ipc, and the Parquet schema alone says everything this reader needs.
    let options =
        parquet::arrow::arrow_reader::ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        .map_err(|e| perr(path, e))?;
    let schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| perr(path, e))?;
    let mut t = from_batches(path, &schema, reader, missing_tokens, declared)?;
    t.origin.path = Some(path.to_path_buf());
    t.origin.format = FileFormat::Parquet;
    t.origin.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(t)
}

/// A table from Arrow record batches (a Parquet file's, or a data frame's handed over through
/// the Arrow C stream interface), typed as a Parquet file is: numeric, date and timestamp
/// columns keep their types, text columns go through CSV's type inference. `name` stands for
/// the source in errors; the origin is `Memory` with no path.
///
/// Where the types allow, a column is not copied: a Float64 column that comes in one batch and
/// whose null slots (if any) already hold NaN shares the Arrow buffer, since its values are
/// exactly datavisa's. Every other column is converted into a new vector: integers, decimals,
/// Float16/32, dates and timestamps (their values change), nulls over other values, and any
/// column split over several batches.
pub fn from_batches(
    name: &Path,
    schema: &Schema,
    batches: impl IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
    missing_tokens: &[String],
    declared: &HashMap<String, ValueType>,
) -> Result<Table> {
    let path = name;
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    crate::csv_read::check_duplicate_names(path, &names)?;
    let mut accs: Vec<Acc> = schema
        .fields()
        .iter()
        .map(|f| match numeric_kind(f.data_type()) {
            Some(t) => Acc::Num(t, Nums::Empty),
            None => Acc::Text(Dictionary::new(), Vec::new()),
        })
        .collect();
    let mut n_rows = 0usize;
    for batch in batches {
        let batch = batch.map_err(|e| perr(path, e))?;
        if batch.num_columns() != accs.len() {
            return Err(perr(
                path,
                format!(
                    "a batch has {} columns where the schema has {}",
                    batch.num_columns(),
                    accs.len()
                ),
            ));
        }
        n_rows += batch.num_rows();
        // Columns are independent: each is appended on its own thread.
        use rayon::prelude::*;
        accs.par_iter_mut()
            .zip(batch.columns().par_iter())
            .try_for_each(|(acc, col)| append(path, acc, col, missing_tokens))?;
    }
    if n_rows == 0 {
        return Err(TableError::HeaderOnly { path: path.into() });
    }
    let row_lines = RowLines {
        first: 1,
        marks: Vec::new(),
    };
    let mut text_cols = Vec::new();
    let mut slots: Vec<Option<Column>> = Vec::new();
    for (name, acc) in names.iter().zip(accs) {
        match acc {
            Acc::Text(d, c) => {
                text_cols.push((name.clone(), d, c));
                slots.push(None);
            }
            Acc::Num(t, v) => slots.push(Some(typed_numeric(name, t, v.finish(), declared))),
        }
    }
    let (tn, raw): (Vec<String>, Vec<(Dictionary, Vec<u32>)>) =
        text_cols.into_iter().map(|(n, d, c)| (n, (d, c))).unzip();
    let mut typed = type_columns(path, tn, raw, &row_lines, declared)?.into_iter();
    let columns = slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| typed.next().expect("one typed column per text slot")))
        .collect();
    Ok(Table {
        columns,
        n_rows,
        origin: Origin {
            path: None,
            format: FileFormat::Memory,
            delimiter: None,
            encoding: None,
            has_header: true,
            row_lines,
            bytes: 0,
            unnamed_columns: Vec::new(),
            written: Default::default(),
        },
    })
}

fn typed_numeric(
    name: &str,
    t: ValueType,
    v: Numbers,
    declared: &HashMap<String, ValueType>,
) -> Column {
    let missing = v.iter().filter(|x| x.is_nan()).count() as u64;
    let present = v.len() as u64 - missing;
    let mut evidence = TypeEvidence {
        missing,
        ..Default::default()
    };
    match t {
        ValueType::Integer => evidence.integer = present,
        ValueType::Date => evidence.date = present,
        ValueType::Datetime => evidence.datetime = present,
        _ => evidence.float = present,
    }
    // A declared type among the numeric ones re-labels the column (e.g. float -> integer).
    let value_type = match declared.get(name) {
        Some(&d) if d.is_numeric() => {
            evidence.declared = true;
            d
        }
        _ => t,
    };
    Column {
        name: name.to_owned(),
        value_type,
        data: ColumnData::Numeric(v),
        evidence,
    }
}

fn numeric_kind(dt: &DataType) -> Option<ValueType> {
    use DataType::*;
    match dt {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => Some(ValueType::Integer),
        Float16 | Float32 | Float64 | Decimal128(..) | Decimal256(..) => Some(ValueType::Float),
        Date32 | Date64 => Some(ValueType::Date),
        Timestamp(..) => Some(ValueType::Datetime),
        _ => None,
    }
}

fn append(path: &Path, acc: &mut Acc, col: &ArrayRef, missing: &[String]) -> Result<()> {
    match acc {
        Acc::Num(_, nums @ Nums::Empty) if shareable(col) => {
            let f = col.as_primitive::<Float64Type>();
            *nums = Nums::Shared(Numbers::shared(f.values().clone()));
        }
        Acc::Num(_, nums) => {
            let out = nums.copied();
            let f = to_f64(col).map_err(|e| perr(path, e))?;
            let f = f.as_primitive::<Float64Type>();
            let scale = seconds_scale(col.data_type());
            out.extend((0..f.len()).map(|i| {
                if f.is_null(i) {
                    f64::NAN
                } else {
                    f.value(i) * scale
                }
            }));
        }
        Acc::Text(dict, codes) => {
            if let Some(keys) = text_dictionary(col) {
                return append_dictionary(dict, codes, keys, missing).map_err(|e| perr(path, e));
            }
            let s = arrow_cast::cast(col, &DataType::Utf8).map_err(|e| {
                perr(
                    path,
                    format!(
                        "column of type {} cannot be read as text: {e}",
                        col.data_type()
                    ),
                )
            })?;
            let s = s.as_string::<i32>();
            codes.extend((0..s.len()).map(|i| {
                if s.is_null(i) {
                    return MISSING;
                }
                let v = s.value(i);
                if missing.iter().any(|m| m == v) {
                    MISSING
                } else {
                    dict.intern(v)
                }
            }));
        }
    }
    Ok(())
}

/// A dictionary-encoded text column (a pandas categorical, a factorized column) as its keys
/// (as i32, a no-op for the i32 keys the Python package makes) and its values, when its values
/// are UTF-8 text and its keys fit.
fn text_dictionary(col: &ArrayRef) -> Option<(arrow_array::Int32Array, arrow_array::StringArray)> {
    let DataType::Dictionary(_, value_type) = col.data_type() else {
        return None;
    };
    if !matches!(
        **value_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        return None;
    }
    let d = col.as_any_dictionary_opt()?;
    let values = arrow_cast::cast(d.values(), &DataType::Utf8).ok()?;
    let values = values.as_string::<i32>().clone();
    let keys = arrow_cast::cast(d.keys(), &DataType::Int32).ok()?;
    Some((keys.as_primitive::<Int32Type>().clone(), values))
}

/// Appends a dictionary-encoded column, interning each of its values once, at its first use,
/// so the codes come out exactly as the row-by-row path gives them; a key outside the values
/// (malformed data) is refused.
fn append_dictionary(
    dict: &mut Dictionary,
    codes: &mut Vec<u32>,
    (keys, values): (arrow_array::Int32Array, arrow_array::StringArray),
    missing: &[String],
) -> std::result::Result<(), String> {
    let n = values.len();
    let valid = |i: usize| !keys.is_null(i);
    if let Some(i) = (0..keys.len()).find(|&i| valid(i) && !(0..n as i32).contains(&keys.value(i)))
    {
        return Err(format!(
            "a dictionary key ({}) is outside its {n} values",
            keys.value(i)
        ));
    }
    const UNSEEN: u32 = u32::MAX - 1;
    let mut code_of = vec![UNSEEN; n];
    codes.reserve(keys.len());
    for (i, &k) in keys.values().iter().enumerate() {
        let k = k as usize;
        if !valid(i) || values.is_null(k) {
            codes.push(MISSING);
            continue;
        }
        if code_of[k] == UNSEEN {
            let v = values.value(k);
            code_of[k] = if missing.iter().any(|m| m == v) {
                MISSING
            } else {
                dict.intern(v)
            };
        }
        codes.push(code_of[k]);
    }
    Ok(())
}

/// True for a Float64 array whose values buffer is already datavisa's column: every null slot
/// holds the NaN a copy would write there (pandas' missing floats come so from pyarrow).
fn shareable(col: &ArrayRef) -> bool {
    if col.data_type() != &DataType::Float64 {
        return false;
    }
    let f = col.as_primitive::<Float64Type>();
    match f.nulls() {
        None => true,
        Some(nulls) => nulls
            .iter()
            .zip(f.values().iter())
            .all(|(valid, x)| valid || x.to_bits() == f64::NAN.to_bits()),
    }
}

// Dates become day numbers and timestamps raw ticks: integers first, then f64.
fn to_f64(col: &ArrayRef) -> std::result::Result<ArrayRef, arrow_schema::ArrowError> {
    match col.data_type() {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            let ints = arrow_cast::cast(col, &DataType::Int64)?;
            arrow_cast::cast(&ints, &DataType::Float64)
        }
        _ => arrow_cast::cast(col, &DataType::Float64),
    }
}

fn seconds_scale(dt: &DataType) -> f64 {
    match dt {
        DataType::Date64 => 1.0 / 86_400_000.0,
        DataType::Timestamp(TimeUnit::Second, _) => 1.0,
        DataType::Timestamp(TimeUnit::Millisecond, _) => 1e-3,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1e-6,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 1e-9,
        _ => 1.0,
    }
}

/// Writes a table as Parquet (Snappy) to `out`; types map to Int64, Float64, Date32,
/// Timestamp(µs) and Utf8.
pub fn write_parquet<W: std::io::Write + Send>(table: &Table, out: W, path: &Path) -> Result<()> {
    let batch = to_record_batch(table, path)?;
    let schema = batch.schema();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(out, schema, Some(props)).map_err(|e| perr(path, e))?;
    w.write(&batch).map_err(|e| perr(path, e))?;
    w.close().map_err(|e| perr(path, e))?;
    Ok(())
}

/// A table as one Arrow record batch, typed as [`write_parquet`] writes it; `path` names the
/// table in errors.
pub fn to_record_batch(table: &Table, path: &Path) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in &table.columns {
        let (dt, arr) = to_arrow(c);
        fields.push(Field::new(&c.name, dt, true));
        arrays.push(arr);
    }
    let schema = Arc::new(Schema::new(fields));
    RecordBatch::try_new(schema, arrays).map_err(|e| perr(path, e))
}

fn to_arrow(c: &Column) -> (DataType, ArrayRef) {
    use arrow_array::*;
    match (&c.data, c.value_type) {
        (ColumnData::Categorical(cat), _) => (
            DataType::Utf8,
            Arc::new(StringArray::from_iter(
                cat.codes()
                    .iter()
                    .map(|&x| (x != MISSING).then(|| cat.dict().get(x))),
            )),
        ),
        (ColumnData::Numeric(v), ValueType::Integer) => (
            DataType::Int64,
            Arc::new(Int64Array::from_iter(
                v.iter().map(|x| (!x.is_nan()).then_some(*x as i64)),
            )),
        ),
        (ColumnData::Numeric(v), ValueType::Date) => (
            DataType::Date32,
            Arc::new(Date32Array::from_iter(
                v.iter().map(|x| (!x.is_nan()).then_some(*x as i32)),
            )),
        ),
        (ColumnData::Numeric(v), ValueType::Datetime) => (
            DataType::Timestamp(TimeUnit::Microsecond, None),
            Arc::new(TimestampMicrosecondArray::from_iter(
                v.iter()
                    .map(|x| (!x.is_nan()).then_some((*x * 1e6).round() as i64)),
            )),
        ),
        (ColumnData::Numeric(v), _) => (
            DataType::Float64,
            Arc::new(Float64Array::from_iter(
                v.iter().map(|x| (!x.is_nan()).then_some(*x)),
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array};

    fn read(columns: Vec<(&str, ArrayRef)>, batches: usize) -> Table {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        let all = (0..batches).map(|_| Ok(batch.clone()));
        from_batches(Path::new("frame"), &schema, all, &[], &HashMap::new()).unwrap()
    }

    fn numbers(t: &Table, c: usize) -> &Numbers {
        match &t.columns[c].data {
            ColumnData::Numeric(v) => v,
            other => panic!("column {c} is not numeric: {other:?}"),
        }
    }

    #[test]
    fn a_float64_column_in_one_batch_shares_the_arrow_buffer() {
        let a = Float64Array::from(vec![1.5, -0.0, f64::NAN, 4.0]);
        let ptr = a.values().as_ptr();
        let t = read(vec![("x", Arc::new(a))], 1);
        let v = numbers(&t, 0);
        assert!(v.is_shared());
        assert_eq!(v.as_ptr(), ptr);
        assert_eq!(t.columns[0].value_type, ValueType::Float);
        assert_eq!(t.columns[0].evidence.missing, 1);
        assert_eq!(t.columns[0].evidence.float, 3);
        // A clone of the table (as a frame's read hands out) still points at the same buffer.
        assert_eq!(numbers(&t.clone(), 0).as_ptr(), ptr);
    }

    #[test]
    fn nulls_over_nan_are_shared_and_nulls_over_other_values_copied() {
        // Null slots holding NaN, as pyarrow makes them from pandas' missing floats.
        let values = arrow_buffer::ScalarBuffer::from(vec![1.0, f64::NAN, 3.0]);
        let nulls = arrow_buffer::NullBuffer::from(vec![true, false, true]);
        let over_nan = Float64Array::new(values, Some(nulls));
        let ptr = over_nan.values().as_ptr();
        // Null slots holding 0.0, as an array built from Options has them.
        let over_zero = Float64Array::from(vec![Some(1.0), None, Some(3.0)]);
        let t = read(
            vec![("a", Arc::new(over_nan)), ("b", Arc::new(over_zero))],
            1,
        );
        let (a, b) = (numbers(&t, 0), numbers(&t, 1));
        assert!(a.is_shared());
        assert_eq!(a.as_ptr(), ptr);
        assert!(!b.is_shared());
        for v in [a, b] {
            assert_eq!((v[0], v[2]), (1.0, 3.0));
            assert_eq!(v[1].to_bits(), f64::NAN.to_bits());
        }
        assert_eq!(t.columns[0].evidence.missing, 1);
        assert_eq!(t.columns[1].evidence.missing, 1);
    }

    #[test]
    fn integers_and_several_batches_are_copied_with_the_same_values() {
        let ints = Int64Array::from(vec![Some(7), None, Some(-2)]);
        let floats = Float64Array::from(vec![0.5, 1.5, 2.5]);
        let t = read(vec![("i", Arc::new(ints)), ("f", Arc::new(floats))], 2);
        assert_eq!(t.n_rows, 6);
        let (i, f) = (numbers(&t, 0), numbers(&t, 1));
        assert!(!i.is_shared() && !f.is_shared());
        assert_eq!(t.columns[0].value_type, ValueType::Integer);
        assert_eq!((i[0], i[2], i[3], i[5]), (7.0, -2.0, 7.0, -2.0));
        assert!(i[1].is_nan() && i[4].is_nan());
        assert_eq!(f, &vec![0.5, 1.5, 2.5, 0.5, 1.5, 2.5]);
    }
}
