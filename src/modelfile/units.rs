//! Units in model files. A number is in the field's PyNN unit (ms, mV, nA, nF, µS, Hz). A
//! string may end with a unit — `"10 ms"`, `"4 nS"`, `"-65 mV"`, `"250 pF"`, `"0.5 s"` — which
//! is converted to the field's unit; a unit of another dimension, or a unit on a field
//! without one, is an error that names the unit the field expects.

/// Dimensions with conversions, and their PyNN unit.
const DIMENSIONS: &[(&str, &str)] =
    &[("ms", "a time"), ("mV", "a voltage"), ("nA", "a current"), ("nF", "a capacitance"), ("uS", "a conductance"), ("Hz", "a rate")];

/// (unit as written, its PyNN unit, factor to that unit).
const UNITS: &[(&str, &str, f64)] = &[
    ("ms", "ms", 1.0),
    ("s", "ms", 1e3),
    ("us", "ms", 1e-3),
    ("µs", "ms", 1e-3),
    ("mV", "mV", 1.0),
    ("V", "mV", 1e3),
    ("uV", "mV", 1e-3),
    ("µV", "mV", 1e-3),
    ("nA", "nA", 1.0),
    ("pA", "nA", 1e-3),
    ("uA", "nA", 1e3),
    ("µA", "nA", 1e3),
    ("mA", "nA", 1e6),
    ("nF", "nF", 1.0),
    ("pF", "nF", 1e-3),
    ("uF", "nF", 1e3),
    ("µF", "nF", 1e3),
    ("uS", "uS", 1.0),
    ("µS", "uS", 1.0),
    ("nS", "uS", 1e-3),
    ("pS", "uS", 1e-6),
    ("mS", "uS", 1e3),
    ("S", "uS", 1e6),
    ("Hz", "Hz", 1.0),
    ("kHz", "Hz", 1e3),
];

/// Canonical spelling of a field's unit (`µS` → `uS`).
fn canonical(unit: &str) -> &str {
    if unit == "µS" {
        "uS"
    } else {
        unit
    }
}

fn describe(unit: &str) -> String {
    let unit = canonical(unit);
    match DIMENSIONS.iter().find(|(u, _)| *u == unit) {
        Some((u, what)) => format!("{what} in {}", u.replace("uS", "µS")),
        None if unit.is_empty() => "a plain number (no unit)".into(),
        None if unit == "*" => "a number, with or without a unit".into(),
        None if unit == "nS" => "a conductance in nS".into(),
        None => format!("a number in {unit}"),
    }
}

/// Split `"expr unit"` into the expression and the unit's factor towards `expected`.
/// `expected` is the field's PyNN unit (`""` for dimensionless; `None` when the field takes
/// no unit at all; `"*"` for any unit, converted to the PyNN unit of its own dimension, as in
/// `[parameters]`). Returns the expression text and the factor.
pub fn split_unit<'a>(text: &'a str, expected: Option<&str>) -> Result<(&'a str, f64), String> {
    let trimmed = text.trim_end();
    let (head, last) = match trimmed.rfind(|c: char| c.is_whitespace() || c.is_ascii_digit() || c == ')' || c == '.') {
        Some(i) => {
            let (h, l) = trimmed.split_at(i + trimmed[i..].chars().next().map_or(1, char::len_utf8));
            (h, l)
        }
        None => ("", trimmed),
    };
    let Some(&(_, dim, factor)) = UNITS.iter().find(|(u, _, _)| *u == last) else {
        return Ok((text, 1.0));
    };
    if head.trim().is_empty() {
        return Ok((text, 1.0));
    }
    let exp = expected.map(canonical);
    match exp {
        Some("*") => Ok((head, factor)),
        Some("nS") if dim == "uS" => Ok((head, factor * 1e3)),
        Some(e) if e == dim => Ok((head, factor)),
        Some(e) if e == "uS/ms" || e == "nA/ms" || e == "mV/ms" || e == "1/ms" => {
            Err(format!("the unit '{last}' does not fit: this field is {} (write the number without a unit)", describe(e)))
        }
        Some(e) => Err(format!("the unit '{last}' does not fit: this field is {}", describe(e))),
        None => Err(format!("the unit '{last}' does not fit: this field takes a plain number")),
    }
}

/// Human description of the unit a field expects, for messages.
pub fn expected(unit: Option<&str>) -> String {
    unit.map_or_else(|| "a plain number".into(), describe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_rejects() {
        assert_eq!(split_unit("10 ms", Some("ms")).unwrap(), ("10 ", 1.0));
        assert_eq!(split_unit("4 nS", Some("uS")).unwrap(), ("4 ", 1e-3));
        assert_eq!(split_unit("4nS", Some("µS")).unwrap(), ("4", 1e-3));
        assert_eq!(split_unit("0.5 s", Some("ms")).unwrap(), ("0.5 ", 1e3));
        assert_eq!(split_unit("3200 * scale", Some("")).unwrap(), ("3200 * scale", 1.0));
        assert_eq!(split_unit("(1 + x) mV", Some("mV")).unwrap(), ("(1 + x) ", 1.0));
        let e = split_unit("4 nS", Some("ms")).unwrap_err();
        assert!(e.contains("a time in ms"), "{e}");
        assert!(split_unit("4 ms", Some("")).unwrap_err().contains("plain number"));
        assert_eq!(split_unit("0.004 uS", Some("nS")).unwrap(), ("0.004 ", 1e3));
        assert_eq!(split_unit("4 nS", Some("*")).unwrap(), ("4 ", 1e-3));
    }
}
