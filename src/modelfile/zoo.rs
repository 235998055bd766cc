//! The model zoo: model files shipped inside the crate (`zoo/*.toml`), loaded as `zoo:NAME`.

/// (name, one-line description, TOML text).
const MODELS: &[(&str, &str, &str)] = &[(
    "coba",
    "Vogels & Abbott 2005 / Brette et al. 2007 COBA benchmark: 4000 IF_cond_exp cells, self-sustained",
    include_str!("../../zoo/coba.toml"),
)];

/// The zoo's models: (name, one line).
pub fn list() -> Vec<(&'static str, &'static str)> {
    MODELS.iter().map(|(n, d, _)| (*n, *d)).collect()
}

/// The TOML text of zoo model `name`.
pub fn get(name: &str) -> Option<&'static str> {
    MODELS.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}
