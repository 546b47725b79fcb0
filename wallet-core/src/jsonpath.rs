//! Bounded RFC 9535 JSONPath for untrusted queries (Presentation Exchange `path`,
//! `descriptor_map` paths).
//!
//! Evaluation is done by `serde_json_path` (an RFC 9535 implementation), compiled
//! without its function extensions. Before an expression reaches that parser it is
//! screened here so that a query written by an untrusted verifier cannot run away:
//!
//! - at most [`MAX_EXPRESSION_LEN`] bytes and [`MAX_NESTING`] levels of `[`/`(`;
//! - no function extensions at all (`length()`, `count()`, `match()`, `search()`,
//!   `value()`): RFC 9535 §2.4 `match`/`search` would compile a regular expression
//!   per evaluated node, and none is needed by Presentation Exchange;
//! - at most one descendant segment (`..`), and never inside a filter or bracket:
//!   a descendant query inside a filter evaluated under a descendant segment costs
//!   quadratic time in the size of the credential;
//! - at most [`MAX_RESULTS`] nodes per evaluation.

use serde_json::Value;
use serde_json_path::JsonPath;

/// Longest accepted JSONPath expression, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 256;
/// Deepest accepted nesting of brackets and parentheses.
pub const MAX_NESTING: usize = 4;
/// Most nodes one evaluation may return.
pub const MAX_RESULTS: usize = 1024;

/// Why a JSONPath expression was rejected or its evaluation stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonPathError {
    /// The expression is longer than [`MAX_EXPRESSION_LEN`].
    #[error("JSONPath expression longer than {MAX_EXPRESSION_LEN} bytes")]
    TooLong,
    /// Brackets or parentheses nest deeper than [`MAX_NESTING`].
    #[error("JSONPath expression nests deeper than {MAX_NESTING} levels")]
    TooDeep,
    /// The expression calls a function extension (RFC 9535 §2.4); none is accepted.
    #[error("JSONPath function extension `{0}` is not accepted in untrusted queries")]
    FunctionExtension(String),
    /// More than one descendant segment, or one inside a bracket or filter.
    #[error("JSONPath descendant segment `..` only allowed once, outside brackets")]
    DescendantNotAllowed,
    /// The expression is not valid RFC 9535 syntax.
    #[error("invalid JSONPath expression: {0}")]
    Syntax(String),
    /// Evaluation selected more than [`MAX_RESULTS`] nodes.
    #[error("JSONPath evaluation selected more than {MAX_RESULTS} nodes")]
    TooManyResults,
}

/// A screened, parsed JSONPath expression.
#[derive(Debug, Clone)]
pub struct Query {
    source: String,
    path: JsonPath,
}

/// One node selected by a [`Query`]: its location as a JSON Pointer (RFC 6901) and
/// its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<'v> {
    /// Where the node is, e.g. `/credentialSubject/email`.
    pub pointer: String,
    /// The node itself.
    pub value: &'v Value,
}

impl Query {
    /// Screens and parses `expression`.
    pub fn parse(expression: &str) -> Result<Self, JsonPathError> {
        screen(expression)?;
        let path = JsonPath::parse(expression).map_err(|e| JsonPathError::Syntax(e.to_string()))?;
        Ok(Self {
            source: expression.to_owned(),
            path,
        })
    }

    /// The expression as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Evaluates the query against `value`, returning every selected node in
    /// document order.
    pub fn select<'v>(&self, value: &'v Value) -> Result<Vec<Located<'v>>, JsonPathError> {
        let nodes = self.path.query_located(value);
        if nodes.len() > MAX_RESULTS {
            return Err(JsonPathError::TooManyResults);
        }
        Ok(nodes
            .iter()
            .map(|n| Located {
                pointer: n.location().to_json_pointer(),
                value: n.node(),
            })
            .collect())
    }
}

/// Lexical screen run before parsing: length, nesting, function extensions and
/// descendant segments. String literals (single or double quoted, with backslash
/// escapes, RFC 9535 §2.3.1.1) are skipped so that `$['a(b']` is a plain name.
fn screen(expression: &str) -> Result<(), JsonPathError> {
    if expression.len() > MAX_EXPRESSION_LEN {
        return Err(JsonPathError::TooLong);
    }
    let chars: Vec<char> = expression.chars().collect();
    let mut depth = 0usize;
    let mut descendants = 0usize;
    let mut i = 0usize;
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' => {
                i += 1;
                while let Some(&d) = chars.get(i) {
                    if d == '\\' {
                        i += 2;
                        continue;
                    }
                    if d == c {
                        break;
                    }
                    i += 1;
                }
            }
            '[' | '(' => {
                // A name directly before `(` is a function call (RFC 9535 §2.4.1).
                if c == '(' {
                    let mut j = i;
                    while j > 0 && chars.get(j - 1).is_some_and(|p| p.is_whitespace()) {
                        j -= 1;
                    }
                    let end = j;
                    while j > 0
                        && chars
                            .get(j - 1)
                            .is_some_and(|p| p.is_ascii_alphanumeric() || *p == '_')
                    {
                        j -= 1;
                    }
                    if j < end {
                        let name: String = chars.get(j..end).unwrap_or_default().iter().collect();
                        return Err(JsonPathError::FunctionExtension(name));
                    }
                }
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(JsonPathError::TooDeep);
                }
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            '.' if chars.get(i + 1) == Some(&'.') => {
                descendants += 1;
                if descendants > 1 || depth > 0 {
                    return Err(JsonPathError::DescendantNotAllowed);
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}
