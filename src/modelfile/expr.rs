//! Arithmetic expressions in model files: `"3200 * scale"`, `"round(20683 * scale)"`,
//! `"4 + 4 * exp(-(t - 1000)^2 / (2 * 100^2))"`.
//!
//! A small recursive-descent parser (spikeflow's own: the expression crates either carry a
//! copyleft licence or do more than a model file needs). Grammar, loosest binding first:
//!
//! ```text
//! expr    = term (("+" | "-") term)*
//! term    = unary (("*" | "/" | "%") unary)*
//! unary   = "-" unary | "+" unary | power
//! power   = atom (("^" | "**") unary)?          right-associative: 2^3^2 = 2^9
//! atom    = number | name | name "(" expr ("," expr)* ")" | "(" expr ")"
//! ```
//!
//! Names are the model file's `[parameters]`, `N_<label>` population sizes, `t` in rate
//! expressions, and the constants `pi` and `e`. Functions: `sin cos tan exp ln log (natural)
//! log10 sqrt abs floor ceil round min max pow heaviside`.

use std::fmt;

/// A parse or evaluation error, with a message for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError(pub String);

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Num(f64),
    /// A variable or constant.
    Var(String),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(char, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(String, Vec<Expr>),
}

const FUNCTIONS: &[(&str, usize)] = &[
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("exp", 1),
    ("ln", 1),
    ("log", 1),
    ("log10", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("floor", 1),
    ("ceil", 1),
    ("round", 1),
    ("heaviside", 1),
    ("min", 2),
    ("max", 2),
    ("pow", 2),
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(char),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, ExprError> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.' || b[i] == '_') {
                i += 1;
            }
            if i < b.len() && (b[i] == 'e' || b[i] == 'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == '+' || b[j] == '-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = b[start..i].iter().filter(|&&c| c != '_').collect();
            let v = text.parse::<f64>().map_err(|_| ExprError(format!("'{text}' is not a number")))?;
            out.push(Tok::Num(v));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(b[start..i].iter().collect()));
        } else if c == '*' && b.get(i + 1) == Some(&'*') {
            out.push(Tok::Op('^'));
            i += 2;
        } else if "+-*/%^(),".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(ExprError(format!("unexpected character '{c}' in expression '{s}'")));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, op: char) -> bool {
        if self.peek() == Some(&Tok::Op(op)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err(&self, what: &str) -> ExprError {
        ExprError(format!("{what} in expression '{}'", self.text))
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat('+') {
                '+'
            } else if self.eat('-') {
                '-'
            } else {
                return Ok(left);
            };
            left = Expr::Bin(op, Box::new(left), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat('*') {
                '*'
            } else if self.eat('/') {
                '/'
            } else if self.eat('%') {
                '%'
            } else {
                return Ok(left);
            };
            left = Expr::Bin(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat('-') {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat('+') {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, ExprError> {
        let base = self.atom()?;
        if self.eat('^') {
            return Ok(Expr::Bin('^', Box::new(base), Box::new(self.unary()?)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        match self.peek().cloned() {
            Some(Tok::Num(v)) => {
                self.pos += 1;
                Ok(Expr::Num(v))
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                if !self.eat('(') {
                    return Ok(Expr::Var(name));
                }
                let Some(&(_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
                    let known: Vec<_> = FUNCTIONS.iter().map(|(f, _)| *f).collect();
                    return Err(self.err(&format!("unknown function '{name}' (known: {})", known.join(", "))));
                };
                let mut args = vec![self.expr()?];
                while self.eat(',') {
                    args.push(self.expr()?);
                }
                if !self.eat(')') {
                    return Err(self.err(&format!("missing ')' after the arguments of {name}")));
                }
                if args.len() != arity {
                    return Err(self.err(&format!("{name} takes {arity} argument(s), got {}", args.len())));
                }
                Ok(Expr::Call(name, args))
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                let e = self.expr()?;
                if !self.eat(')') {
                    return Err(self.err("missing ')'"));
                }
                Ok(e)
            }
            Some(Tok::Op(c)) => Err(self.err(&format!("unexpected '{c}'"))),
            None => Err(self.err("unexpected end")),
        }
    }
}

impl Expr {
    /// Parse `text`.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let toks = tokenize(text)?;
        if toks.is_empty() {
            return Err(ExprError("empty expression".into()));
        }
        let mut p = Parser { toks, pos: 0, text };
        let e = p.expr()?;
        if p.pos != p.toks.len() {
            return Err(p.err("unexpected text after the end"));
        }
        Ok(e)
    }

    /// Names of the variables the expression uses.
    pub fn variables(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Expr::Neg(a) => a.variables(out),
            Expr::Bin(_, a, b) => {
                a.variables(out);
                b.variables(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.variables(out)),
        }
    }

    /// The value, looking variables up with `var` (constants `pi` and `e` unless `var` has
    /// them). The result may be NaN or infinite; callers check.
    pub fn eval(&self, var: &dyn Fn(&str) -> Option<f64>) -> Result<f64, ExprError> {
        Ok(match self {
            Expr::Num(v) => *v,
            Expr::Var(name) => match var(name) {
                Some(v) => v,
                None if name == "pi" => std::f64::consts::PI,
                None if name == "e" => std::f64::consts::E,
                None => return Err(ExprError(format!("unknown name '{name}'"))),
            },
            Expr::Neg(a) => -a.eval(var)?,
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.eval(var)?, b.eval(var)?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => x / y,
                    '%' => x % y,
                    _ => x.powf(y),
                }
            }
            Expr::Call(f, args) => {
                let x = args[0].eval(var)?;
                let y = || args[1].eval(var);
                match f.as_str() {
                    "sin" => x.sin(),
                    "cos" => x.cos(),
                    "tan" => x.tan(),
                    "exp" => x.exp(),
                    "ln" | "log" => x.ln(),
                    "log10" => x.log10(),
                    "sqrt" => x.sqrt(),
                    "abs" => x.abs(),
                    "floor" => x.floor(),
                    "ceil" => x.ceil(),
                    "round" => x.round(),
                    "heaviside" => f64::from(u8::from(x >= 0.0)),
                    "min" => x.min(y()?),
                    "max" => x.max(y()?),
                    _ => x.powf(y()?),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> f64 {
        Expr::parse(s).unwrap().eval(&|n| (n == "x").then_some(3.0)).unwrap()
    }

    #[test]
    fn precedence_and_functions() {
        assert_eq!(ev("1 + 2 * 3"), 7.0);
        assert_eq!(ev("-2^2"), -4.0);
        assert_eq!(ev("2^3^2"), 512.0);
        assert_eq!(ev("2**3"), 8.0);
        assert_eq!(ev("(1 + x) * 2"), 8.0);
        assert_eq!(ev("max(1, x) + min(4, 5)"), 7.0);
        assert_eq!(ev("round(2.6) + 1e3 + 1_000"), 2003.0);
        assert!((ev("sin(pi / 2)") - 1.0).abs() < 1e-15);
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(Expr::parse("1 +").unwrap_err().0.contains("unexpected end"));
        assert!(Expr::parse("foo(1)").unwrap_err().0.contains("unknown function 'foo'"));
        assert!(Expr::parse("max(1)").unwrap_err().0.contains("takes 2"));
        assert!(Expr::parse("1 $ 2").unwrap_err().0.contains("unexpected character"));
        let e = Expr::parse("y + 1").unwrap().eval(&|_| None).unwrap_err();
        assert!(e.0.contains("unknown name 'y'"), "{e}");
    }
}
