//! Parquet footers: reading a file's schema from the end of the file, and
//! mapping Parquet types (physical type plus logical or converted
//! annotation) to Glue column types, as a Glue crawler does.
//!
//! A footer is the file's last 8 bytes (the metadata length, little
//! endian, and `PAR1`) preceded by the Thrift-encoded metadata. One read of
//! the last 64 KiB usually holds all of it; [`read_footer`] says how many
//! bytes it needs when it does not.

use std::collections::BTreeSet;

use parquet::basic::{Compression, ConvertedType, LogicalType, Repetition, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::schema::types::Type;

use crate::model::schema::ColumnType;

/// Bytes read from the end of a file first: enough for most footers.
pub const FIRST_READ: u64 = 64 * 1024;

const MAGIC: &[u8; 4] = b"PAR1";
const ENCRYPTED_MAGIC: &[u8; 4] = b"PARE";

/// What one file's footer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSchema {
    /// Top-level columns, names lower-cased as Glue stores them, in file
    /// order.
    pub columns: Vec<(String, ColumnType)>,
    /// Compression codecs of its column chunks (`snappy`, `gzip`, `zstd`,
    /// `none`, ...); empty for a file without row groups.
    pub codecs: BTreeSet<String>,
    /// Rows in the file.
    pub rows: i64,
}

/// The outcome of reading a footer from the bytes at a file's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Footer {
    /// The schema.
    Schema(FileSchema),
    /// The footer is longer than the bytes given: read this many bytes
    /// from the end of the file and try again.
    NeedsBytes(u64),
    /// The file is not Parquet (no `PAR1` at its end, or shorter than the
    /// 12 bytes the smallest Parquet file has): why.
    NotParquet(&'static str),
}

/// Reads a footer from `tail`, the last bytes of a file of `size` bytes.
/// A file that ends in `PAR1` but whose footer cannot be decoded is an
/// error naming what is wrong (a truncated or corrupt file).
pub fn read_footer(tail: &[u8], size: u64) -> Result<Footer, String> {
    if size < 12 || tail.len() < 8 {
        return Ok(Footer::NotParquet("shorter than a Parquet file can be"));
    }
    let end = &tail[tail.len() - 4..];
    if end == ENCRYPTED_MAGIC {
        return Err("its footer is encrypted (PARE), which glutil cannot read".into());
    }
    if end != MAGIC {
        return Ok(Footer::NotParquet("no PAR1 magic at its end"));
    }
    // When the read covers the whole file, its head must be Parquet too.
    if tail.len() as u64 == size && &tail[..4] != MAGIC {
        return Err("it ends in PAR1 but does not start with it".into());
    }
    let length_bytes: [u8; 4] = tail[tail.len() - 8..tail.len() - 4]
        .try_into()
        .expect("four bytes");
    let metadata_length = u64::from(u32::from_le_bytes(length_bytes));
    let needed = metadata_length + 8;
    if needed + 4 > size {
        return Err(format!(
            "its footer claims {metadata_length} bytes of metadata, more than the file's {size} bytes (truncated?)"
        ));
    }
    if (tail.len() as u64) < needed {
        return Ok(Footer::NeedsBytes(needed));
    }
    let metadata = &tail[tail.len() - needed as usize..tail.len() - 8];
    let decoded = ParquetMetaDataReader::decode_metadata(metadata)
        .map_err(|e| format!("its footer cannot be decoded: {e}"))?;
    let codecs = decoded
        .row_groups()
        .iter()
        .flat_map(|g| g.columns().iter().map(|c| codec_name(c.compression())))
        .collect();
    let root = decoded.file_metadata().schema_descr().root_schema();
    Ok(Footer::Schema(FileSchema {
        columns: top_level_columns(root)?,
        codecs,
        rows: decoded.file_metadata().num_rows(),
    }))
}

/// The name Glue's `compressionType` uses for a codec.
fn codec_name(codec: Compression) -> String {
    match codec {
        Compression::UNCOMPRESSED => "none",
        Compression::SNAPPY => "snappy",
        Compression::GZIP(_) => "gzip",
        Compression::LZO => "lzo",
        Compression::BROTLI(_) => "brotli",
        Compression::LZ4 | Compression::LZ4_RAW => "lz4",
        Compression::ZSTD(_) => "zstd",
    }
    .to_string()
}

/// The file's columns; two whose names differ only in case are an error,
/// since Glue lower-cases names and could not tell them apart.
fn top_level_columns(root: &Type) -> Result<Vec<(String, ColumnType)>, String> {
    let mut columns: Vec<(String, ColumnType)> = Vec::new();
    for field in root.get_fields() {
        let name = field.name().to_lowercase();
        if let Some((other, _)) = columns.iter().find(|(n, _)| *n == name) {
            return Err(format!(
                "it has two columns whose names differ only in case (`{}` and one more named `{other}`)",
                field.name()
            ));
        }
        columns.push((name, column_type(field)?));
    }
    Ok(columns)
}

/// A field's Glue type, with its repetition: a repeated field outside a
/// LIST is an array of its type (the legacy one-level list).
fn column_type(field: &Type) -> Result<ColumnType, String> {
    let inner = if field.is_primitive() {
        primitive_type(field)?
    } else {
        group_type(field)?
    };
    let repeated = field.get_basic_info().has_repetition()
        && field.get_basic_info().repetition() == Repetition::REPEATED;
    Ok(if repeated {
        ColumnType::Array(Box::new(inner))
    } else {
        inner
    })
}

fn group_type(field: &Type) -> Result<ColumnType, String> {
    let info = field.get_basic_info();
    let list = matches!(info.logical_type_ref(), Some(LogicalType::List))
        || info.converted_type() == ConvertedType::LIST;
    let map = matches!(info.logical_type_ref(), Some(LogicalType::Map))
        || matches!(
            info.converted_type(),
            ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE
        );
    if list {
        return list_type(field);
    }
    if map {
        return map_type(field);
    }
    let fields = field
        .get_fields()
        .iter()
        .map(|f| Ok((f.name().to_lowercase(), column_type(f)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ColumnType::Struct(fields))
}

/// A LIST group, by the Parquet spec's rules for the three-level layout
/// and the legacy two-level ones.
fn list_type(field: &Type) -> Result<ColumnType, String> {
    let [repeated] = field.get_fields() else {
        return Err(format!(
            "LIST column `{}` does not have exactly one repeated field",
            field.name()
        ));
    };
    let element = if repeated.is_primitive() {
        // Two-level: the repeated field is the element.
        primitive_type(repeated)?
    } else {
        let children = repeated.get_fields();
        let legacy_name =
            repeated.name() == "array" || repeated.name() == format!("{}_tuple", field.name());
        if children.len() == 1 && !legacy_name {
            // Three-level: the repeated group's one child is the element.
            column_type(&children[0])?
        } else {
            // Two-level: the repeated group itself is the element.
            group_type(repeated)?
        }
    };
    Ok(ColumnType::Array(Box::new(element)))
}

/// A MAP group: `repeated group key_value { key; value }`.
fn map_type(field: &Type) -> Result<ColumnType, String> {
    let key_value = match field.get_fields() {
        [kv] if kv.is_group() => kv,
        _ => {
            return Err(format!(
                "MAP column `{}` does not have one repeated key-value group",
                field.name()
            ))
        }
    };
    match key_value.get_fields() {
        [key] => Ok(ColumnType::Map(
            Box::new(column_type(key)?),
            Box::new(ColumnType::String),
        )),
        [key, value] => Ok(ColumnType::Map(
            Box::new(column_type(key)?),
            Box::new(column_type(value)?),
        )),
        _ => Err(format!(
            "MAP column `{}` does not have a key and a value",
            field.name()
        )),
    }
}

fn primitive_type(field: &Type) -> Result<ColumnType, String> {
    let info = field.get_basic_info();
    if let Some(logical) = info.logical_type_ref() {
        if let Some(t) = logical_type(logical) {
            return Ok(t);
        }
    }
    if let Some(t) = converted_type(info.converted_type(), field) {
        return Ok(t);
    }
    Ok(match field.get_physical_type() {
        PhysicalType::BOOLEAN => ColumnType::Boolean,
        PhysicalType::INT32 => ColumnType::Int,
        PhysicalType::INT64 => ColumnType::BigInt,
        PhysicalType::INT96 => ColumnType::Timestamp,
        PhysicalType::FLOAT => ColumnType::Float,
        PhysicalType::DOUBLE => ColumnType::Double,
        PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY => ColumnType::Binary,
    })
}

fn decimal(field: &Type) -> ColumnType {
    ColumnType::Decimal(
        field.get_precision().max(0) as u32,
        field.get_scale().max(0) as u32,
    )
}

/// The Glue type of a logical annotation; `None` for annotations that do
/// not change the physical type's mapping.
fn logical_type(logical: &LogicalType) -> Option<ColumnType> {
    Some(match logical {
        LogicalType::String
        | LogicalType::Enum
        | LogicalType::Json
        | LogicalType::Uuid
        // Athena has no time type.
        | LogicalType::Time(_) => ColumnType::String,
        LogicalType::Decimal(d) => ColumnType::Decimal(d.precision.max(0) as u32, d.scale.max(0) as u32),
        LogicalType::Date => ColumnType::Date,
        // Millis, micros or nanos, UTC-adjusted or not.
        LogicalType::Timestamp(_) => ColumnType::Timestamp,
        LogicalType::Integer(i) => integer_type(i.bit_width, i.is_signed),
        LogicalType::Float16 => ColumnType::Float,
        _ => return None,
    })
}

fn converted_type(converted: ConvertedType, field: &Type) -> Option<ColumnType> {
    Some(match converted {
        ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON => ColumnType::String,
        ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS => ColumnType::String,
        ConvertedType::DECIMAL => decimal(field),
        ConvertedType::DATE => ColumnType::Date,
        ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS => ColumnType::Timestamp,
        ConvertedType::INT_8 => integer_type(8, true),
        ConvertedType::INT_16 => integer_type(16, true),
        ConvertedType::INT_32 => integer_type(32, true),
        ConvertedType::INT_64 => integer_type(64, true),
        ConvertedType::UINT_8 => integer_type(8, false),
        ConvertedType::UINT_16 => integer_type(16, false),
        ConvertedType::UINT_32 => integer_type(32, false),
        ConvertedType::UINT_64 => integer_type(64, false),
        _ => return None,
    })
}

/// Integers: signed ones by width; unsigned ones in the next wider signed
/// type, and 64-bit unsigned in decimal(20,0), which holds 2^64 - 1.
fn integer_type(bits: i8, signed: bool) -> ColumnType {
    match (bits, signed) {
        (8, true) => ColumnType::TinyInt,
        (16, true) | (8, false) => ColumnType::SmallInt,
        (32, true) | (16, false) => ColumnType::Int,
        (64, true) | (32, false) => ColumnType::BigInt,
        (64, false) => ColumnType::Decimal(20, 0),
        _ => ColumnType::BigInt,
    }
}

/// Why an object under a table's prefix is not read as Parquet, judged by
/// its key and size alone; `None` for objects worth reading.
pub fn skip_reason(key: &str, size: i64) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let lower = name.to_ascii_lowercase();
    if key.ends_with('/') || size == 0 {
        Some("empty object or folder marker")
    } else if name.starts_with('_') || name.starts_with('.') {
        Some("hidden file (_SUCCESS, _metadata, .crc, ...)")
    } else if [
        ".json",
        ".jsonl",
        ".csv",
        ".tsv",
        ".txt",
        ".crc",
        ".avro",
        ".orc",
        ".gz",
        ".manifest",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
    {
        Some("not a Parquet file name (json, csv, text, avro, orc, ...)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::ColumnType::*;
    use super::*;

    fn columns(message: &str) -> Vec<(std::string::String, ColumnType)> {
        top_level_columns(&parse_message_type(message).unwrap()).unwrap()
    }

    fn one(field: &str) -> ColumnType {
        columns(&format!("message m {{ {field} }}")).remove(0).1
    }

    #[test]
    fn primitives_map_as_the_crawler_maps_them() {
        let cases = [
            ("required boolean a;", Boolean),
            ("optional int32 a;", Int),
            ("optional int32 a (INTEGER(8,true));", TinyInt),
            ("optional int32 a (INTEGER(16,true));", SmallInt),
            ("optional int32 a (INTEGER(8,false));", SmallInt),
            ("optional int32 a (INTEGER(16,false));", Int),
            ("optional int32 a (INTEGER(32,false));", BigInt),
            ("optional int64 a;", BigInt),
            ("optional int64 a (INTEGER(64,false));", Decimal(20, 0)),
            ("optional int32 a (UINT_8);", SmallInt),
            ("optional int64 a (UINT_64);", Decimal(20, 0)),
            ("optional int32 a (INT_16);", SmallInt),
            ("optional float a;", Float),
            ("optional double a;", Double),
            ("optional fixed_len_byte_array(2) a (FLOAT16);", Float),
            ("optional int32 a (DECIMAL(9,2));", Decimal(9, 2)),
            ("optional int64 a (DECIMAL(18,4));", Decimal(18, 4)),
            (
                "optional fixed_len_byte_array(16) a (DECIMAL(38,10));",
                Decimal(38, 10),
            ),
            ("optional binary a (DECIMAL(40,5));", Decimal(40, 5)),
            ("optional int32 a (DATE);", Date),
            ("optional int64 a (TIMESTAMP(MILLIS,true));", Timestamp),
            ("optional int64 a (TIMESTAMP(MICROS,false));", Timestamp),
            ("optional int64 a (TIMESTAMP(NANOS,true));", Timestamp),
            ("optional int64 a (TIMESTAMP_MILLIS);", Timestamp),
            ("optional int96 a;", Timestamp),
            ("optional int32 a (TIME(MILLIS,true));", String),
            ("optional int64 a (TIME_MICROS);", String),
            ("optional binary a (UTF8);", String),
            ("optional binary a (STRING);", String),
            ("optional binary a (ENUM);", String),
            ("optional binary a (JSON);", String),
            ("optional fixed_len_byte_array(16) a (UUID);", String),
            ("optional binary a;", Binary),
            ("optional fixed_len_byte_array(4) a;", Binary),
        ];
        for (field, expected) in cases {
            assert_eq!(one(field), expected, "{field}");
        }
    }

    #[test]
    fn lists_in_every_layout_become_arrays() {
        let three_level =
            "optional group a (LIST) { repeated group list { optional int32 element; } }";
        assert_eq!(one(three_level), Array(Box::new(Int)));
        let two_level_primitive = "optional group a (LIST) { repeated int64 item; }";
        assert_eq!(one(two_level_primitive), Array(Box::new(BigInt)));
        let legacy_array =
            "optional group a (LIST) { repeated group array { optional binary s (UTF8); } }";
        assert_eq!(
            one(legacy_array),
            Array(Box::new(Struct(vec![("s".into(), String)])))
        );
        let legacy_tuple =
            "optional group a (LIST) { repeated group a_tuple { optional int32 x; } }";
        assert_eq!(
            one(legacy_tuple),
            Array(Box::new(Struct(vec![("x".into(), Int)])))
        );
        let two_fields =
            "optional group a (LIST) { repeated group e { optional int32 x; optional int32 y; } }";
        assert_eq!(
            one(two_fields),
            Array(Box::new(Struct(vec![("x".into(), Int), ("y".into(), Int)])))
        );
        assert_eq!(one("repeated int32 a;"), Array(Box::new(Int)));
        let nested = "optional group a (LIST) { repeated group list { optional group element (LIST) { repeated group list { optional double element; } } } }";
        assert_eq!(one(nested), Array(Box::new(Array(Box::new(Double)))));
    }

    #[test]
    fn maps_and_structs() {
        let map = "optional group m (MAP) { repeated group key_value { required binary key (UTF8); optional int64 value; } }";
        assert_eq!(one(map), Map(Box::new(String), Box::new(BigInt)));
        let legacy = "optional group m (MAP_KEY_VALUE) { repeated group map { required int32 key; optional group value { optional boolean b; } } }";
        assert_eq!(
            one(legacy),
            Map(Box::new(Int), Box::new(Struct(vec![("b".into(), Boolean)])))
        );
        let nested = "optional group S { optional int32 Inner_A; optional group deeper { optional binary x (UTF8); } }";
        assert_eq!(
            one(nested),
            Struct(vec![
                ("inner_a".into(), Int),
                ("deeper".into(), Struct(vec![("x".into(), String)]))
            ])
        );
        assert_eq!(
            one(nested).to_string(),
            "struct<inner_a:int,deeper:struct<x:string>>"
        );
    }

    #[test]
    fn names_are_lower_cased_and_case_twins_are_an_error() {
        let cols = columns("message m { optional int32 Year; optional binary Name (UTF8); }");
        assert_eq!(cols[0].0, "year");
        assert_eq!(cols[1].0, "name");
        let twins =
            parse_message_type("message m { optional int32 id; optional int64 ID; }").unwrap();
        let err = top_level_columns(&twins).unwrap_err();
        assert!(err.contains("differ only in case"), "{err}");
    }

    /// A real file from the parquet crate's writer, with `rows` rows of
    /// an int32 column written in `groups` row groups.
    fn file(message: &str, groups: usize) -> Vec<u8> {
        let schema = Arc::new(parse_message_type(message).unwrap());
        let props = Arc::new(WriterProperties::builder().build());
        let mut out = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut out, schema, props).unwrap();
        for _ in 0..groups {
            let mut group = writer.next_row_group().unwrap();
            while let Some(mut column) = group.next_column().unwrap() {
                column
                    .typed::<parquet::data_type::Int32Type>()
                    .write_batch(&[1, 2, 3], None, None)
                    .unwrap();
                column.close().unwrap();
            }
            group.close().unwrap();
        }
        writer.close().unwrap();
        out
    }

    #[test]
    fn footers_are_read_from_the_end_of_the_file() {
        let bytes = file(
            "message m { required int32 a; required int32 b (INTEGER(16,true)); }",
            2,
        );
        let size = bytes.len() as u64;
        let Footer::Schema(schema) = read_footer(&bytes, size).unwrap() else {
            panic!("a schema")
        };
        assert_eq!(schema.columns, [("a".into(), Int), ("b".into(), SmallInt)]);
        assert_eq!(schema.rows, 6);
        assert_eq!(schema.codecs, BTreeSet::from(["none".to_owned()]));
        // A tail too short for the footer says how much to read.
        let Footer::NeedsBytes(needed) = read_footer(&bytes[bytes.len() - 10..], size).unwrap()
        else {
            panic!("needs more")
        };
        assert!(needed > 10 && needed < size);
        let tail = &bytes[bytes.len() - needed as usize..];
        assert!(matches!(
            read_footer(tail, size).unwrap(),
            Footer::Schema(_)
        ));
    }

    #[test]
    fn a_file_without_row_groups_has_a_schema_and_no_codec() {
        let bytes = file("message m { required int32 a; }", 0);
        let Footer::Schema(schema) = read_footer(&bytes, bytes.len() as u64).unwrap() else {
            panic!("a schema")
        };
        assert_eq!(schema.columns, [("a".into(), Int)]);
        assert!(schema.codecs.is_empty());
        assert_eq!(schema.rows, 0);
    }

    #[test]
    fn other_files_are_not_parquet_and_broken_ones_are_errors() {
        assert_eq!(
            read_footer(b"PAR1", 4).unwrap(),
            Footer::NotParquet("shorter than a Parquet file can be")
        );
        let json = b"{\"a\": 1, \"b\": 2}\n";
        assert!(matches!(
            read_footer(json, json.len() as u64).unwrap(),
            Footer::NotParquet(_)
        ));
        let bytes = file("message m { required int32 a; }", 1);
        let size = bytes.len() as u64;
        // Truncated at the front: the tail claims more than is there.
        let mut lying = bytes.clone();
        let n = lying.len();
        lying[n - 8..n - 4].copy_from_slice(&(size as u32).to_le_bytes());
        let err = read_footer(&lying, size).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        // Garbage where the metadata should be.
        let mut corrupt = bytes.clone();
        let footer_start =
            n - 8 - u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        for b in &mut corrupt[footer_start..n - 8] {
            *b = 0xff;
        }
        let err = read_footer(&corrupt, size).unwrap_err();
        assert!(err.contains("cannot be decoded"), "{err}");
        // PAR1 at the end only.
        let mut head = bytes.clone();
        head[0] = b'X';
        assert!(read_footer(&head, size)
            .unwrap_err()
            .contains("does not start"));
        let mut encrypted = bytes;
        encrypted[n - 4..].copy_from_slice(b"PARE");
        assert!(read_footer(&encrypted, size)
            .unwrap_err()
            .contains("encrypted"));
    }

    #[test]
    fn objects_are_skipped_by_name_before_any_read() {
        assert!(skip_reason("t/year=2024/_SUCCESS", 0).is_some());
        assert!(skip_reason("t/year=2024/_committed_123", 10).is_some());
        assert!(skip_reason("t/manifest.json", 10).is_some());
        assert!(skip_reason("t/data.CSV", 10).is_some());
        assert!(skip_reason("t/year=2024/", 0).is_some());
        assert_eq!(
            skip_reason("t/year=2024/part-0000.snappy.parquet", 10),
            None
        );
        assert_eq!(skip_reason("t/firehose-output-1", 10), None);
    }
}
