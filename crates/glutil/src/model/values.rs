//! Partition values kept compactly. A ten-year hourly table has 87,600
//! partitions of four values each; a `Vec<String>` spends a vector, four
//! string headers and four allocations on them (about 300 bytes with the
//! allocator's overhead). [`Values`] keeps them joined in one allocation
//! (about 40 bytes).

use std::fmt;

/// The separator between values. Glue refuses control characters other
/// than tab in partition values, so no value holds it; and as the smallest
/// character, it makes the joined strings sort exactly as the lists of
/// values do (a value sorts before any longer value it starts).
const SEPARATOR: char = '\0';

/// One value per partition key, in key order (at least one).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Values(Box<str>);

impl Values {
    /// The values, in order.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Self {
        let mut joined = String::new();
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                joined.push(SEPARATOR);
            }
            joined.push_str(value.as_ref());
        }
        Self(joined.into_boxed_str())
    }

    /// The values, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + Clone + '_ {
        self.0.split(SEPARATOR)
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.0.matches(SEPARATOR).count() + 1
    }

    /// Never: there is always at least one value.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.iter().nth(index)
    }

    /// The values as strings of their own.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// True when the first values are `prefix`.
    pub fn starts_with<S: AsRef<str>>(&self, prefix: &[S]) -> bool {
        let mut values = self.iter();
        prefix.iter().all(|p| values.next() == Some(p.as_ref()))
    }
}

impl From<Vec<String>> for Values {
    fn from(values: Vec<String>) -> Self {
        Self::new(values)
    }
}

impl From<&[String]> for Values {
    fn from(values: &[String]) -> Self {
        Self::new(values)
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Values {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.starts_with(other)
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Values {
    fn eq(&self, other: &Vec<S>) -> bool {
        self == other.as_slice()
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Values {
    fn eq(&self, other: &[S; N]) -> bool {
        self == other.as_slice()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Values {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> Self {
        Self::new(values)
    }
}

impl std::ops::Index<usize> for Values {
    type Output = str;

    /// The value at `index`; panics past the last, as a slice does.
    fn index(&self, index: usize) -> &str {
        match self.get(index) {
            Some(value) => value,
            None => panic!("value {index} of {} values", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a str;
    type IntoIter = std::str::Split<'a, char>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.split(SEPARATOR)
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for Values {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[&str]) -> Values {
        Values::new(values)
    }

    #[test]
    fn values_sort_compare_and_print_as_their_lists_do() {
        let lists: [&[&str]; 7] = [
            &["2019", "01"],
            &["2019", "01", "00"],
            &["2019", "010"],
            &["2019", "02"],
            &["2019a"],
            &["", "x"],
            &["a\tb", "c"],
        ];
        for a in lists {
            for b in lists {
                assert_eq!(v(a).cmp(&v(b)), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(v(a) == v(b), a == b);
            }
            assert_eq!(v(a).to_vec(), a, "round trip");
            assert_eq!(v(a).len(), a.len());
            assert_eq!(serde_json::to_value(v(a)).unwrap(), serde_json::json!(a));
            assert_eq!(format!("{:?}", v(a)), format!("{a:?}"));
        }
        let date = v(&["2019", "01", "02"]);
        assert!(date.starts_with(&["2019", "01"]) && !date.starts_with(&["2019", "02"]));
        assert_eq!((date.get(1), date.get(3)), (Some("01"), None));
        assert!(date == vec!["2019".to_string(), "01".into(), "02".into()]);
        let back: Values = serde_json::from_str(r#"["a",""]"#).unwrap();
        assert_eq!(back, v(&["a", ""]));
    }
}
