//! Parquet read and write through arrow-rs, converted at the edge to our columnar table.

use crate::column::{Column, ColumnData, TypeEvidence, ValueType};
use crate::csv_read::type_columns;
use crate::dictionary::{Dictionary, MISSING};
use crate::error::{Result, TableError};
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
    Num(ValueType, Vec<f64>),
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
            Some(t) => Acc::Num(t, Vec::new()),
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
        for (acc, col) in accs.iter_mut().zip(batch.columns()) {
            append(path, acc, col, missing_tokens)?;
        }
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
            Acc::Num(t, v) => slots.push(Some(typed_numeric(name, t, v, declared))),
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
    v: Vec<f64>,
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
        Acc::Num(_, out) => {
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
