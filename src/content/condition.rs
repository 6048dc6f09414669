//! Conditions authors write on choices and branches, e.g. `anxiety >= 4 and avoidance < 4`.
//!
//! A deliberately small language: numbers, variable names, comparisons (`< <= > >= == !=`),
//! `and`, `or`, `not` and parentheses. Parsing happens once at load time so that a typo is a
//! validation error with a column, never a runtime surprise.

use std::fmt;

/// A parsed condition, ready to evaluate against a set of variables.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, CompareOp, Operand),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(f64),
    Variable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Why a condition did not parse, with the 0-based character offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Condition {
    pub fn parse(source: &str) -> Result<Condition, ConditionError> {
        let tokens = tokenize(source)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            end: source.len(),
        };
        let condition = parser.or()?;
        match parser.peek() {
            None => Ok(condition),
            Some((offset, token)) => Err(ConditionError {
                offset: *offset,
                message: format!("unexpected {token} in condition"),
            }),
        }
    }

    /// Evaluate with `lookup` giving each variable's value.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> f64) -> bool {
        match self {
            Condition::Compare(a, op, b) => {
                let (a, b) = (a.value(lookup), b.value(lookup));
                match op {
                    CompareOp::Lt => a < b,
                    CompareOp::Le => a <= b,
                    CompareOp::Gt => a > b,
                    CompareOp::Ge => a >= b,
                    CompareOp::Eq => (a - b).abs() < 1e-9,
                    CompareOp::Ne => (a - b).abs() >= 1e-9,
                }
            }
            Condition::And(a, b) => a.eval(lookup) && b.eval(lookup),
            Condition::Or(a, b) => a.eval(lookup) || b.eval(lookup),
            Condition::Not(a) => !a.eval(lookup),
        }
    }

    /// Every variable name the condition reads.
    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_variables(&mut out);
        out
    }

    fn collect_variables<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::Compare(a, _, b) => {
                for operand in [a, b] {
                    if let Operand::Variable(name) = operand {
                        out.push(name);
                    }
                }
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_variables(out);
                b.collect_variables(out);
            }
            Condition::Not(a) => a.collect_variables(out),
        }
    }
}

impl Operand {
    fn value(&self, lookup: &dyn Fn(&str) -> f64) -> f64 {
        match self {
            Operand::Number(n) => *n,
            Operand::Variable(name) => lookup(name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Ident(String),
    Op(CompareOp),
    And,
    Or,
    Not,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(n) => write!(f, "number {n}"),
            Token::Ident(name) => write!(f, "name `{name}`"),
            Token::Op(_) => f.write_str("comparison"),
            Token::And => f.write_str("`and`"),
            Token::Or => f.write_str("`or`"),
            Token::Not => f.write_str("`not`"),
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
        }
    }
}

fn tokenize(source: &str) -> Result<Vec<(usize, Token)>, ConditionError> {
    let chars: Vec<(usize, char)> = source.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (offset, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let (token, width) = match (c, next) {
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            ('<', Some('=')) => (Token::Op(CompareOp::Le), 2),
            ('>', Some('=')) => (Token::Op(CompareOp::Ge), 2),
            ('=', Some('=')) => (Token::Op(CompareOp::Eq), 2),
            ('!', Some('=')) => (Token::Op(CompareOp::Ne), 2),
            ('<', _) => (Token::Op(CompareOp::Lt), 1),
            ('>', _) => (Token::Op(CompareOp::Gt), 1),
            ('=', _) => {
                return Err(ConditionError {
                    offset,
                    message: "use `==` to compare (a single `=` is not a comparison)".into(),
                });
            }
            _ if c.is_ascii_digit() || c == '.' || c == '-' => {
                let len = chars[i + 1..]
                    .iter()
                    .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
                    .count()
                    + 1;
                let end = chars.get(i + len).map_or(source.len(), |&(o, _)| o);
                let text = &source[offset..end];
                let n: f64 = text.parse().map_err(|_| ConditionError {
                    offset,
                    message: format!("`{text}` is not a number"),
                })?;
                (Token::Number(n), len)
            }
            _ if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
                    .count();
                let end = chars.get(i + len).map_or(source.len(), |&(o, _)| o);
                let word = &source[offset..end];
                let token = match word {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    _ => Token::Ident(word.to_string()),
                };
                (token, len)
            }
            _ => {
                return Err(ConditionError {
                    offset,
                    message: format!("unexpected character `{c}` in condition"),
                });
            }
        };
        tokens.push((offset, token));
        i += width;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(usize, Token)> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<(usize, Token)> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some((_, Token::Or))) {
            self.pos += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.unary()?;
        while matches!(self.peek(), Some((_, Token::And))) {
            self.pos += 1;
            left = Condition::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Condition, ConditionError> {
        match self.peek() {
            Some((_, Token::Not)) => {
                self.pos += 1;
                Ok(Condition::Not(Box::new(self.unary()?)))
            }
            Some((_, Token::Open)) => {
                self.pos += 1;
                let inner = self.or()?;
                match self.next() {
                    Some((_, Token::Close)) => Ok(inner),
                    Some((offset, token)) => Err(ConditionError {
                        offset,
                        message: format!("expected `)` but found {token}"),
                    }),
                    None => Err(self.at_end("missing `)` at the end of the condition")),
                }
            }
            _ => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Condition, ConditionError> {
        let left = self.operand()?;
        let op = match self.next() {
            Some((_, Token::Op(op))) => op,
            Some((offset, token)) => {
                return Err(ConditionError {
                    offset,
                    message: format!("expected a comparison like `>=` but found {token}"),
                });
            }
            None => {
                return Err(self.at_end(
                    "a condition must compare two things, e.g. `score >= 3` (found only one)",
                ));
            }
        };
        let right = self.operand()?;
        Ok(Condition::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, ConditionError> {
        match self.next() {
            Some((_, Token::Number(n))) => Ok(Operand::Number(n)),
            Some((_, Token::Ident(name))) => Ok(Operand::Variable(name)),
            Some((offset, token)) => Err(ConditionError {
                offset,
                message: format!("expected a name or a number but found {token}"),
            }),
            None => Err(self.at_end("the condition ends too early")),
        }
    }

    fn at_end(&self, message: &str) -> ConditionError {
        ConditionError {
            offset: self.end,
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, vars: &[(&str, f64)]) -> bool {
        let condition = Condition::parse(source).expect("parses");
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map_or(0.0, |(_, v)| *v)
        };
        condition.eval(&lookup)
    }

    #[test]
    fn comparisons_and_logic() {
        assert!(eval("a >= 4 and b < 4", &[("a", 4.0), ("b", 3.5)]));
        assert!(!eval("a >= 4 and b < 4", &[("a", 3.9), ("b", 3.5)]));
        assert!(eval("a > 4 or not (b == 1)", &[("a", 0.0), ("b", 2.0)]));
        assert!(eval("a != 1", &[]));
        assert!(eval("-1 < a", &[]));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert!(eval("1 == 1 or 1 == 2 and 1 == 2", &[]));
    }

    #[test]
    fn lists_variables() {
        let c = Condition::parse("(x > 1 and y <= 2) or not z == 3").unwrap();
        assert_eq!(c.variables(), vec!["x", "y", "z"]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = Condition::parse("score = 3").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("=="));
        let e = Condition::parse("score >= ").unwrap_err();
        assert!(e.message.contains("too early"));
        let e = Condition::parse("score").unwrap_err();
        assert!(e.message.contains("compare"));
        let e = Condition::parse("(a > 1").unwrap_err();
        assert!(e.message.contains(")"));
        let e = Condition::parse("a > 1 b").unwrap_err();
        assert_eq!(e.offset, 6);
        let e = Condition::parse("a > 1.2.3").unwrap_err();
        assert!(e.message.contains("not a number"));
        let e = Condition::parse("a ~ 1").unwrap_err();
        assert!(e.message.contains("unexpected character"));
    }
}
