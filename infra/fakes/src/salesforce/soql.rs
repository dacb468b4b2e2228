//! The SOQL subset FakeSalesforce answers (salesforce.md §1), parsed honestly enough to
//! filter: `SELECT f, … FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]] [LIMIT n]`, where
//! `cond` is `AND`/`OR`/`NOT`/parentheses over `field = | != | LIKE literal`, with string
//! literals in single quotes and Salesforce's backslash escapes. Anything else is a
//! `MALFORMED_QUERY`, as Salesforce answers an invalid query; the fake never guesses.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Expr>,
    /// (field, descending)
    pub order: Option<(String, bool)>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: String,
        op: Op,
        value: Literal,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Like,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Bool(bool),
    Null,
    Number(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Comma,
    Open,
    Close,
    Eq,
    Ne,
}

/// Why a query was refused: the message of a `MALFORMED_QUERY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

fn malformed<T>(what: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(what.into()))
}

fn tokens(text: &str) -> Result<Vec<Token>, Malformed> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            ',' => {
                chars.next();
                out.push(Token::Comma);
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '=' => {
                chars.next();
                out.push(Token::Eq);
            }
            '!' | '<' => {
                chars.next();
                let next = chars.next();
                match (c, next) {
                    ('!', Some('=')) | ('<', Some('>')) => out.push(Token::Ne),
                    _ => return malformed("unsupported operator"),
                }
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return malformed("unterminated string literal"),
                        Some('\'') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('r') => s.push('\r'),
                            Some('t') => s.push('\t'),
                            Some('b') => s.push('\u{8}'),
                            Some('f') => s.push('\u{c}'),
                            Some(e @ ('\\' | '\'' | '"')) => s.push(e),
                            // Kept escaped: only LIKE gives them meaning.
                            Some(e @ ('%' | '_')) => {
                                s.push('\\');
                                s.push(e);
                            }
                            _ => return malformed("invalid escape sequence"),
                        },
                        Some(other) => s.push(other),
                    }
                }
                out.push(Token::Text(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut s = String::new();
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' || (d == '-' && s.is_empty()) {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let n = s.parse().or_else(|_| malformed("invalid number"))?;
                out.push(Token::Number(n));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::new();
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' || d == '.' {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(s));
            }
            other => return malformed(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), Malformed> {
        if self.keyword(word) {
            Ok(())
        } else {
            malformed(format!("expected {word}"))
        }
    }

    fn field(&mut self) -> Result<String, Malformed> {
        match self.next() {
            Some(Token::Word(w)) if !is_keyword(&w) => Ok(w),
            _ => malformed("expected a field"),
        }
    }

    fn or(&mut self) -> Result<Expr, Malformed> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Malformed> {
        let mut left = self.unary()?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Malformed> {
        if self.keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return malformed("expected )");
            }
            return Ok(inner);
        }
        let field = self.field()?;
        let op = match self.next() {
            Some(Token::Eq) => Op::Eq,
            Some(Token::Ne) => Op::Ne,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("LIKE") => Op::Like,
            _ => return malformed("expected =, != or LIKE"),
        };
        let value = match self.next() {
            Some(Token::Text(s)) => Literal::Text(s),
            Some(Token::Number(n)) => Literal::Number(n),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return malformed("expected a literal"),
        };
        if op == Op::Like && !matches!(value, Literal::Text(_)) {
            return malformed("LIKE takes a string");
        }
        Ok(Expr::Compare { field, op, value })
    }
}

const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "ORDER", "BY", "ASC", "DESC", "LIMIT",
];

fn is_keyword(w: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

pub fn parse(text: &str) -> Result<Select, Malformed> {
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    p.expect("SELECT")?;
    let mut fields = vec![p.field()?];
    while p.peek() == Some(&Token::Comma) {
        p.next();
        fields.push(p.field()?);
    }
    p.expect("FROM")?;
    let object = p.field()?;
    let filter = if p.keyword("WHERE") {
        Some(p.or()?)
    } else {
        None
    };
    let order = if p.keyword("ORDER") {
        p.expect("BY")?;
        let field = p.field()?;
        let desc = if p.keyword("DESC") {
            true
        } else {
            p.keyword("ASC");
            false
        };
        Some((field, desc))
    } else {
        None
    };
    let limit = if p.keyword("LIMIT") {
        match p.next() {
            Some(Token::Number(n)) if n >= 0.0 && n.fract() == 0.0 => Some(n as usize),
            _ => return malformed("LIMIT takes a whole number"),
        }
    } else {
        None
    };
    if p.peek().is_some() {
        return malformed("unexpected text after the query");
    }
    Ok(Select {
        fields,
        object,
        filter,
        order,
        limit,
    })
}

impl Expr {
    /// The fields the condition reads (to refuse unknown ones as Salesforce does).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut f = a.fields();
                f.extend(b.fields());
                f
            }
            Expr::Not(e) => e.fields(),
            Expr::Compare { field, .. } => vec![field.as_str()],
        }
    }

    pub fn matches(&self, record: &Map<String, Value>) -> bool {
        match self {
            Expr::And(a, b) => a.matches(record) && b.matches(record),
            Expr::Or(a, b) => a.matches(record) || b.matches(record),
            Expr::Not(e) => !e.matches(record),
            Expr::Compare { field, op, value } => {
                // Field names are case-insensitive in SOQL.
                let got = record
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(field))
                    .map_or(&Value::Null, |(_, v)| v);
                let equal = equals(got, value);
                match op {
                    Op::Eq => equal,
                    Op::Ne => !equal,
                    Op::Like => match (got, value) {
                        (Value::String(s), Literal::Text(p)) => like(s, p),
                        _ => false,
                    },
                }
            }
        }
    }
}

/// SOQL compares text case-insensitively.
fn equals(got: &Value, want: &Literal) -> bool {
    match (got, want) {
        (Value::Null, Literal::Null) => true,
        (Value::String(s), Literal::Text(t)) => s.to_lowercase() == unescape(t).to_lowercase(),
        (Value::Bool(b), Literal::Bool(w)) => b == w,
        (Value::Number(n), Literal::Number(w)) => n.as_f64() == Some(*w),
        _ => false,
    }
}

/// `\%` and `\_` outside LIKE are plain characters.
fn unescape(t: &str) -> String {
    t.replace("\\%", "%").replace("\\_", "_")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat {
    Any,
    One,
    Char(char),
}

/// LIKE: `%` any run, `_` one character, `\%`/`\_` themselves; case-insensitive.
pub fn like(value: &str, pattern: &str) -> bool {
    let mut pat = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pat.push(match c {
            '%' => Pat::Any,
            '_' => Pat::One,
            '\\' => Pat::Char(chars.next().unwrap_or('\\')),
            c => Pat::Char(c),
        });
    }
    let value: Vec<char> = value.to_lowercase().chars().collect();
    let pat: Vec<Pat> = pat
        .into_iter()
        .map(|p| match p {
            Pat::Char(c) => Pat::Char(c.to_lowercase().next().unwrap_or(c)),
            other => other,
        })
        .collect();
    // matches[i][j]: value[i..] against pat[j..]
    let (n, m) = (value.len(), pat.len());
    let mut table = vec![vec![false; m + 1]; n + 1];
    table[n][m] = true;
    for i in (0..=n).rev() {
        for j in (0..m).rev() {
            table[i][j] = match pat[j] {
                Pat::Any => table[i][j + 1] || (i < n && table[i + 1][j]),
                Pat::One => i < n && table[i + 1][j + 1],
                Pat::Char(c) => i < n && value[i] == c && table[i + 1][j + 1],
            };
        }
    }
    table[0][0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_parses_and_injection_stays_inside_the_literal() {
        let q = parse(
            "SELECT Id, Name FROM Account WHERE (Website = 'acme.com' OR Website LIKE '%://acme.com/%') \
             AND NOT Name != 'x' ORDER BY Name DESC LIMIT 20",
        )
        .unwrap();
        assert_eq!(q.fields, ["Id", "Name"]);
        assert_eq!(q.order, Some(("Name".into(), true)));
        assert_eq!(q.limit, Some(20));
        let injected =
            parse(r"SELECT Id FROM Account WHERE Name LIKE '%x\' OR Name != \'%'").unwrap();
        let mut rec = Map::new();
        rec.insert("Name".into(), Value::String("Globex".into()));
        assert!(!injected.filter.unwrap().matches(&rec));
        for bad in [
            "SELECT FROM Account",
            "SELECT Id FROM Account WHERE Name = 'x",
            "SELECT Id FROM Account WHERE Name IN ('a')",
            "SELECT Id FROM Account LIMIT 5 extra",
            "DELETE FROM Account",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn like_has_wildcards_escapes_and_no_case() {
        assert!(like("https://WWW.acme.com/", "%://www.acme.com/%"));
        assert!(!like("https://notacme.com", "%://acme.com"));
        assert!(like("50% off", r"50\% off"));
        assert!(!like("50x off", r"50\% off"));
        assert!(like("a_b", r"a\_b") && !like("axb", r"a\_b") && like("axb", "a_b"));
    }
}
