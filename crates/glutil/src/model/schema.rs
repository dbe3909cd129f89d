//! Column types as the Glue Data Catalog (Hive) spells them, parsed into a
//! tree so that schemas from many files can be merged: `bigint`,
//! `decimal(10,2)`, `array<string>`, `map<string,int>`,
//! `struct<a:int,b:string>` (no spaces, field names lower-cased, as Glue
//! writes them).

use std::fmt;

/// A column type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// `boolean`
    Boolean,
    /// `tinyint`: 8-bit signed.
    TinyInt,
    /// `smallint`: 16-bit signed.
    SmallInt,
    /// `int`: 32-bit signed.
    Int,
    /// `bigint`: 64-bit signed.
    BigInt,
    /// `float`: 32-bit.
    Float,
    /// `double`: 64-bit.
    Double,
    /// `decimal(precision,scale)`.
    Decimal(u32, u32),
    /// `date`
    Date,
    /// `timestamp`
    Timestamp,
    /// `string`
    String,
    /// `binary`
    Binary,
    /// `array<T>`
    Array(Box<ColumnType>),
    /// `map<K,V>`
    Map(Box<ColumnType>, Box<ColumnType>),
    /// `struct<a:T,b:U>`, fields in order.
    Struct(Vec<(String, ColumnType)>),
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::TinyInt => f.write_str("tinyint"),
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Int => f.write_str("int"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Float => f.write_str("float"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Decimal(p, s) => write!(f, "decimal({p},{s})"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::String => f.write_str("string"),
            ColumnType::Binary => f.write_str("binary"),
            ColumnType::Array(item) => write!(f, "array<{item}>"),
            ColumnType::Map(k, v) => write!(f, "map<{k},{v}>"),
            ColumnType::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}:{t}")?;
                }
                f.write_str(">")
            }
        }
    }
}

impl ColumnType {
    /// Parses a Glue/Hive type name (`decimal(10, 2)`, `array<struct<a:int>>`);
    /// spaces and case are forgiven. `integer` is `int`, `char`/`varchar`
    /// are `string`. The error names what could not be read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut parser = Parser {
            text: &compact,
            at: 0,
        };
        let parsed = parser.column_type()?;
        if parser.at != compact.len() {
            return Err(format!("`{text}`: unexpected `{}`", &compact[parser.at..]));
        }
        Ok(parsed)
    }

    /// The wider of two types when one can hold every value of the other
    /// (tinyint → smallint → int → bigint, float → double, decimal of the
    /// same scale to a higher precision, structs by the union of their
    /// fields, arrays and maps element-wise), or `None` when they conflict.
    pub fn widen(&self, other: &ColumnType) -> Option<ColumnType> {
        use ColumnType::*;
        if self == other {
            return Some(self.clone());
        }
        let rank = |t: &ColumnType| match t {
            TinyInt => Some(0),
            SmallInt => Some(1),
            Int => Some(2),
            BigInt => Some(3),
            _ => None,
        };
        match (self, other) {
            (a, b) if rank(a).is_some() && rank(b).is_some() => {
                Some(if rank(a) > rank(b) { a } else { b }.clone())
            }
            (Float, Double) | (Double, Float) => Some(Double),
            (Decimal(p1, s1), Decimal(p2, s2)) if s1 == s2 => Some(Decimal(*p1.max(p2), *s1)),
            (Array(a), Array(b)) => Some(Array(Box::new(a.widen(b)?))),
            (Map(k1, v1), Map(k2, v2)) => {
                Some(Map(Box::new(k1.widen(k2)?), Box::new(v1.widen(v2)?)))
            }
            (Struct(a), Struct(b)) => union_fields(a, b).map(Struct),
            _ => None,
        }
    }
}

/// The fields of `a`, widened where `b` has them too, then `b`'s new fields
/// in their order; `None` when a shared field conflicts.
fn union_fields(
    a: &[(String, ColumnType)],
    b: &[(String, ColumnType)],
) -> Option<Vec<(String, ColumnType)>> {
    let mut merged = Vec::with_capacity(a.len().max(b.len()));
    for (name, t) in a {
        match b.iter().find(|(other, _)| other == name) {
            Some((_, u)) => merged.push((name.clone(), t.widen(u)?)),
            None => merged.push((name.clone(), t.clone())),
        }
    }
    for (name, u) in b {
        if !a.iter().any(|(other, _)| other == name) {
            merged.push((name.clone(), u.clone()));
        }
    }
    Some(merged)
}

/// A recursive-descent reader of compact (space-free) type names.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn eat(&mut self, token: &str) -> Result<(), String> {
        if self.rest().starts_with(token) {
            self.at += token.len();
            Ok(())
        } else {
            Err(format!(
                "`{}`: expected `{token}` at `{}`",
                self.text,
                self.rest()
            ))
        }
    }

    fn word(&mut self) -> String {
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let word = self.rest()[..len].to_string();
        self.at += len;
        word
    }

    fn number(&mut self) -> Result<u32, String> {
        let word = self.word();
        word.parse()
            .map_err(|_| format!("`{}`: `{word}` is not a number", self.text))
    }

    fn column_type(&mut self) -> Result<ColumnType, String> {
        let name = self.word().to_ascii_lowercase();
        Ok(match name.as_str() {
            "boolean" => ColumnType::Boolean,
            "tinyint" => ColumnType::TinyInt,
            "smallint" => ColumnType::SmallInt,
            "int" | "integer" => ColumnType::Int,
            "bigint" => ColumnType::BigInt,
            "float" | "real" => ColumnType::Float,
            "double" => ColumnType::Double,
            "date" => ColumnType::Date,
            "timestamp" => ColumnType::Timestamp,
            "string" => ColumnType::String,
            "char" | "varchar" => {
                if self.rest().starts_with('(') {
                    self.eat("(")?;
                    self.number()?;
                    self.eat(")")?;
                }
                ColumnType::String
            }
            "binary" => ColumnType::Binary,
            "decimal" => self.decimal()?,
            "array" => {
                self.eat("<")?;
                let item = self.column_type()?;
                self.eat(">")?;
                ColumnType::Array(Box::new(item))
            }
            "map" => {
                self.eat("<")?;
                let key = self.column_type()?;
                self.eat(",")?;
                let value = self.column_type()?;
                self.eat(">")?;
                ColumnType::Map(Box::new(key), Box::new(value))
            }
            "struct" => self.struct_fields()?,
            "" => return Err(format!("`{}`: a type is missing", self.text)),
            other => return Err(format!("`{}`: unknown type `{other}`", self.text)),
        })
    }

    fn decimal(&mut self) -> Result<ColumnType, String> {
        // Hive's bare `decimal` is decimal(10,0).
        if !self.rest().starts_with('(') {
            return Ok(ColumnType::Decimal(10, 0));
        }
        self.eat("(")?;
        let precision = self.number()?;
        let scale = if self.rest().starts_with(',') {
            self.eat(",")?;
            self.number()?
        } else {
            0
        };
        self.eat(")")?;
        Ok(ColumnType::Decimal(precision, scale))
    }

    fn struct_fields(&mut self) -> Result<ColumnType, String> {
        self.eat("<")?;
        let mut fields = Vec::new();
        loop {
            let name = self.word().to_lowercase();
            self.eat(":")?;
            fields.push((name, self.column_type()?));
            if self.rest().starts_with(',') {
                self.eat(",")?;
            } else {
                break;
            }
        }
        self.eat(">")?;
        Ok(ColumnType::Struct(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnType::*;
    use super::*;

    #[test]
    fn types_print_as_glue_writes_them() {
        let t = Struct(vec![
            ("a".into(), Array(Box::new(Decimal(38, 9)))),
            (
                "b".into(),
                Map(
                    Box::new(String),
                    Box::new(Struct(vec![("c".into(), BigInt)])),
                ),
            ),
        ]);
        assert_eq!(
            t.to_string(),
            "struct<a:array<decimal(38,9)>,b:map<string,struct<c:bigint>>>"
        );
        assert_eq!(ColumnType::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn parsing_forgives_spaces_case_and_aliases() {
        assert_eq!(
            ColumnType::parse(" Decimal( 10 , 2 ) ").unwrap(),
            Decimal(10, 2)
        );
        assert_eq!(ColumnType::parse("decimal").unwrap(), Decimal(10, 0));
        assert_eq!(ColumnType::parse("INTEGER").unwrap(), Int);
        assert_eq!(ColumnType::parse("varchar(20)").unwrap(), String);
        assert_eq!(
            ColumnType::parse("struct<A : int>").unwrap(),
            Struct(vec![("a".into(), Int)])
        );
        let err = ColumnType::parse("array<int").unwrap_err();
        assert!(err.contains("expected `>`"), "{err}");
        let err = ColumnType::parse("uuidish").unwrap_err();
        assert!(err.contains("unknown type `uuidish`"), "{err}");
        assert!(ColumnType::parse("int extra").is_err());
    }

    #[test]
    fn only_the_listed_widenings_are_allowed() {
        assert_eq!(TinyInt.widen(&BigInt), Some(BigInt));
        assert_eq!(Int.widen(&SmallInt), Some(Int));
        assert_eq!(Float.widen(&Double), Some(Double));
        assert_eq!(Decimal(10, 2).widen(&Decimal(12, 2)), Some(Decimal(12, 2)));
        assert_eq!(Decimal(10, 2).widen(&Decimal(10, 3)), None);
        assert_eq!(String.widen(&Int), None);
        assert_eq!(Timestamp.widen(&BigInt), None);
        assert_eq!(Double.widen(&BigInt), None);
        assert_eq!(
            Array(Box::new(Int)).widen(&Array(Box::new(BigInt))),
            Some(Array(Box::new(BigInt)))
        );
    }

    #[test]
    fn structs_widen_by_the_union_of_their_fields() {
        let a = Struct(vec![("x".into(), Int), ("y".into(), String)]);
        let b = Struct(vec![("z".into(), Date), ("x".into(), BigInt)]);
        assert_eq!(
            a.widen(&b),
            Some(Struct(vec![
                ("x".into(), BigInt),
                ("y".into(), String),
                ("z".into(), Date)
            ]))
        );
        let c = Struct(vec![("x".into(), String)]);
        assert_eq!(a.widen(&c), None);
    }
}
