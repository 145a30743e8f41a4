//! Codat's query language (`using-the-api/querying`), as the mock's listing
//! reads its `query` parameter: clauses `property<op>value` with the
//! operators `=`, `!=`, `~` (contains), `>`, `<`, `>=` and `<=`, joined by
//! `&&` and `||` and grouped with `{` and `}`; `&&` binds tighter than
//! `||`. A property may name a sub-property with a dot (`sourceType`,
//! `connectionInfo.region`).
//!
//! Values compare as numbers when both sides are numbers, as instants when
//! both are dates (any of Codat's date forms), and otherwise as text,
//! ignoring case (Codat's own examples write `status != paid` for `Paid`);
//! `~` applies to text only, and `>`, `<`, `>=`, `<=` to numbers and dates
//! only. A property a connection lacks, or holds `null` in, matches no
//! clause (Codat does not query on null fields). A query that does not
//! parse, or is 2,048 characters or longer, is an error that names what
//! is wrong; so is a property the listed schema lacks
//! ([`Query::unresolved`]).

use serde_json::Value;

/// The longest query Codat accepts, in characters (exclusive).
pub(in crate::mock) const MAX_LENGTH: usize = 2048;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::mock) enum Query {
    /// Every one holds.
    All(Vec<Query>),
    /// Any one holds.
    Any(Vec<Query>),
    /// One comparison.
    Clause {
        /// The property, split at its dots.
        path: Vec<String>,
        operator: Operator,
        value: String,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::mock) enum Operator {
    Equals,
    NotEquals,
    Contains,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

/// The operators, longest first so that `!=` is not read as `!` and `=`.
const OPERATORS: [(&str, Operator); 7] = [
    ("!=", Operator::NotEquals),
    (">=", Operator::GreaterOrEqual),
    ("<=", Operator::LessOrEqual),
    ("=", Operator::Equals),
    ("~", Operator::Contains),
    (">", Operator::Greater),
    ("<", Operator::Less),
];

impl Query {
    /// Parses `text`, or says what is wrong with it.
    pub(in crate::mock) fn parse(text: &str) -> Result<Query, String> {
        if text.chars().count() >= MAX_LENGTH {
            return Err(format!(
                "the query must be under {MAX_LENGTH} characters long"
            ));
        }
        let mut parser = Parser { rest: text };
        let query = parser.any()?;
        match parser.rest.trim_start() {
            "" => Ok(query),
            rest => Err(format!("unexpected {:?} in the query", shorten(rest))),
        }
    }

    /// The first property the query names that `fields` (a schema's
    /// properties, each with whether it holds an object) cannot resolve: one
    /// the schema lacks, or a sub-property of one that holds no object.
    pub(in crate::mock) fn unresolved(&self, fields: &[(String, bool)]) -> Option<String> {
        match self {
            Query::All(parts) | Query::Any(parts) => {
                parts.iter().find_map(|q| q.unresolved(fields))
            }
            Query::Clause { path, .. } => {
                let found = fields.iter().find(|(name, _)| *name == path[0]);
                match found {
                    Some((_, holds_object)) if *holds_object || path.len() == 1 => None,
                    _ => Some(path.join(".")),
                }
            }
        }
    }

    /// Whether `item` (a connection as JSON) matches.
    pub(in crate::mock) fn matches(&self, item: &Value) -> bool {
        match self {
            Query::All(all) => all.iter().all(|q| q.matches(item)),
            Query::Any(any) => any.iter().any(|q| q.matches(item)),
            Query::Clause {
                path,
                operator,
                value,
            } => {
                let found = path.iter().try_fold(item, |at, key| at.get(key.as_str()));
                found.is_some_and(|found| compare(found, *operator, value))
            }
        }
    }
}

/// Whether `found` stands in `operator` to the query's `value`.
fn compare(found: &Value, operator: Operator, value: &str) -> bool {
    use std::cmp::Ordering;
    let text = match found {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        // Null, arrays and objects: Codat does not query on them.
        _ => return false,
    };
    let ordering = match (text.parse::<f64>(), value.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b),
        _ => match (instant(&text), instant(value)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        },
    };
    match (operator, ordering) {
        (Operator::Greater, Some(o)) => o == Ordering::Greater,
        (Operator::Less, Some(o)) => o == Ordering::Less,
        (Operator::GreaterOrEqual, Some(o)) => o != Ordering::Less,
        (Operator::LessOrEqual, Some(o)) => o != Ordering::Greater,
        (Operator::Equals, Some(o)) => o == Ordering::Equal,
        (Operator::NotEquals, Some(o)) => o != Ordering::Equal,
        (Operator::Equals, None) => text.eq_ignore_ascii_case(value),
        (Operator::NotEquals, None) => !text.eq_ignore_ascii_case(value),
        (Operator::Contains, _) => text.to_lowercase().contains(&value.to_lowercase()),
        // Ordering text: not something Codat's language does.
        (_, None) => false,
    }
}

/// A date in any of Codat's forms, as an instant (a date without an offset
/// is read as UTC).
fn instant(text: &str) -> Option<chrono::NaiveDateTime> {
    let date: crate::DateTime = text.parse().ok()?;
    date.to_utc()
        .map(|utc| utc.naive_utc())
        .or_else(|| date.naive_local())
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A recursive-descent reader over what is left of the query.
struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    /// `all ('||' all)*`
    fn any(&mut self) -> Result<Query, String> {
        self.joined("||", Self::all, Query::Any)
    }

    /// `term ('&&' term)*`
    fn all(&mut self) -> Result<Query, String> {
        self.joined("&&", Self::term, Query::All)
    }

    /// `part (token part)*`: one part alone, or `join` of them all.
    fn joined(
        &mut self,
        token: &str,
        part: fn(&mut Self) -> Result<Query, String>,
        join: fn(Vec<Query>) -> Query,
    ) -> Result<Query, String> {
        let mut parts = vec![part(self)?];
        while self.eat(token) {
            parts.push(part(self)?);
        }
        Ok(match parts.len() {
            1 => parts.remove(0),
            _ => join(parts),
        })
    }

    /// `'{' any '}'` or a clause.
    fn term(&mut self) -> Result<Query, String> {
        if self.eat("{") {
            let inner = self.any()?;
            if !self.eat("}") {
                return Err("a `{` in the query is not closed by a `}`".to_owned());
            }
            return Ok(inner);
        }
        self.clause()
    }

    /// `property operator value`
    fn clause(&mut self) -> Result<Query, String> {
        let rest = self.rest.trim_start();
        let property_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let property = &rest[..property_end];
        if property.is_empty() {
            return Err(match rest.chars().next() {
                None => {
                    "the query ends where a clause (property, operator, value) should be".to_owned()
                }
                Some(_) => format!(
                    "expected a property name at {:?} in the query",
                    shorten(rest)
                ),
            });
        }
        let path: Vec<String> = property.split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("{property:?} is not a property name"));
        }
        let after = rest[property_end..].trim_start();
        let Some((symbol, operator)) = OPERATORS
            .iter()
            .find(|(symbol, _)| after.starts_with(symbol))
        else {
            return Err(format!(
                "expected an operator (=, !=, ~, >, <, >=, <=) after {property:?} in the query"
            ));
        };
        let after = &after[symbol.len()..];
        let value_end = ["&&", "||", "}"]
            .iter()
            .filter_map(|stop| after.find(stop))
            .min()
            .unwrap_or(after.len());
        let value = after[..value_end].trim();
        if value.is_empty() {
            return Err(format!("{property:?}{symbol} has no value in the query"));
        }
        self.rest = &after[value_end..];
        Ok(Query::Clause {
            path,
            operator: *operator,
            value: value.to_owned(),
        })
    }

    /// Consumes `token` (after any spaces) when it comes next.
    fn eat(&mut self, token: &str) -> bool {
        match self.rest.trim_start().strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn connection() -> Value {
        json!({
            "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd",
            "status": "Linked",
            "platformName": "Basiq",
            "sourceType": "Banking",
            "created": "2022-10-27T09:53:29Z",
            "lastSync": null,
            "dataConnectionErrors": [],
            "connectionInfo": {"region": "eu", "tier": 3},
        })
    }

    #[test]
    fn a_property_the_schema_lacks_is_unresolved() {
        let fields = [
            ("status".to_owned(), false),
            ("connectionInfo".to_owned(), true),
        ];
        let unresolved = |q: &str| Query::parse(q).unwrap().unresolved(&fields);
        assert_eq!(
            unresolved("status=Linked || connectionInfo.region=eu"),
            None
        );
        assert_eq!(
            unresolved("status=Linked && {colour=blue}").as_deref(),
            Some("colour")
        );
        assert_eq!(unresolved("status.code=1").as_deref(), Some("status.code"));
    }

    fn matches(query: &str) -> bool {
        Query::parse(query).unwrap().matches(&connection())
    }

    #[test]
    fn each_operator_compares_as_codat_documents() {
        assert!(matches("status=Linked"));
        assert!(matches("status = linked"), "text ignores case");
        assert!(!matches("status=Deauthorized"));
        assert!(matches("status!=Deauthorized"));
        assert!(matches("platformName~asi"));
        assert!(!matches("platformName~xero"));
        assert!(matches("created>2022-10-01"));
        assert!(matches("created<=2022-10-27T09:53:29Z"));
        assert!(!matches("created<2022-10-27T09:53:29Z"));
        assert!(
            matches("created>=2022-10-27T10:53:29+01:00"),
            "an offset is an instant"
        );
        assert!(matches("connectionInfo.tier>2"));
        assert!(!matches("connectionInfo.tier>=4"));
        assert!(matches("connectionInfo.region=EU"));
        assert!(matches("id=ee2eb431-c0fa-4dc9-93fa-d29781c12bcd"));
        // Ordering text, and anything about a null or missing property,
        // matches nothing.
        assert!(!matches("platformName>A"));
        assert!(!matches("lastSync>2020-01-01"));
        assert!(!matches("lastSync!=2020-01-01"));
        assert!(!matches("nowhere=x"));
    }

    #[test]
    fn and_binds_tighter_than_or_and_braces_group() {
        assert!(matches(
            "status=Deauthorized || sourceType=Banking && platformName=Basiq"
        ));
        assert!(!matches(
            "{status=Deauthorized || sourceType=Banking} && platformName=Xero"
        ));
        assert!(matches(
            "{ status=Deauthorized || sourceType=Banking } && platformName=Basiq"
        ));
        assert_eq!(
            Query::parse("a=1&&b=2||c=3").unwrap(),
            Query::Any(vec![
                Query::All(vec![clause("a", "1"), clause("b", "2")]),
                clause("c", "3"),
            ])
        );
    }

    fn clause(property: &str, value: &str) -> Query {
        Query::Clause {
            path: vec![property.to_owned()],
            operator: Operator::Equals,
            value: value.to_owned(),
        }
    }

    #[test]
    fn a_malformed_query_says_what_is_wrong() {
        for (query, says) in [
            ("", "ends where a clause"),
            ("status", "expected an operator"),
            ("status=", "has no value"),
            ("=Linked", "expected a property name"),
            ("{status=Linked", "not closed"),
            ("status=Linked}", "unexpected"),
            ("status=Linked&&", "ends where a clause"),
            ("a..b=1", "is not a property name"),
        ] {
            let err = Query::parse(query).unwrap_err();
            assert!(err.contains(says), "{query:?}: {err}");
        }
        let long = format!("id={}", "x".repeat(MAX_LENGTH));
        assert!(Query::parse(&long).unwrap_err().contains("2048"));
        assert!(Query::parse(&long[..MAX_LENGTH - 1]).is_ok());
    }
}
