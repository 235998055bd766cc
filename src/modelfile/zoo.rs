//! The model zoo: model files shipped inside the crate (`zoo/*.toml`), loaded as `zoo:NAME`.

/// (name, one-line description, TOML text).
const MODELS: &[(&str, &str, &str)] = &[
    (
        "coba",
        "Vogels & Abbott COBA benchmark: 4000 IF_cond_exp cells, self-sustained AI activity (~15 Hz)",
        include_str!("../../zoo/coba.toml"),
    ),
    ("cuba", "Vogels & Abbott CUBA benchmark: 4000 IF_curr_exp cells, intrinsically active", include_str!("../../zoo/cuba.toml")),
    (
        "brunel",
        "Brunel (2000) sparse balanced network, 12,500 LIF cells in the asynchronous irregular state",
        include_str!("../../zoo/brunel.toml"),
    ),
    (
        "izhikevich2003",
        "Izhikevich (2003) network: 1000 Izhikevich cells, thalamic noise, alpha/gamma rhythms",
        include_str!("../../zoo/izhikevich2003.toml"),
    ),
    ("pynn_tutorial", "PyNN's tutorial: two populations of 100 IF_curr_exp cells, 100 ms", include_str!("../../zoo/pynn_tutorial.toml")),
    (
        "thalamocortical",
        "pyN's re-entrant thalamocortical loop of Izhikevich cells with pyN stimulus dicts",
        include_str!("../../zoo/thalamocortical.toml"),
    ),
    ("rs_fs", "ntwk's RS-FS AdEx network with a time-varying (inhomogeneous Poisson) afferent drive", include_str!("../../zoo/rs_fs.toml")),
    (
        "striatum",
        "neurosimulator's striatum: dSPN, iSPN and FSI LIF cells with cortical Poisson drive",
        include_str!("../../zoo/striatum.toml"),
    ),
    (
        "pd14",
        "Potjans & Diesmann (2014) cortical microcircuit, 77,169 cells (--set scale=0.1 keeps in-degrees)",
        include_str!("../../zoo/pd14.toml"),
    ),
    (
        "polychronization",
        "Izhikevich (2006) polychronization: STDP with axonal delays, bimodal weights",
        include_str!("../../zoo/polychronization.toml"),
    ),
    (
        "brainscales_intro",
        "BrainScaleS-2's introductory tutorial: one HXNeuron in hardware units on the emulated chip, five inputs",
        include_str!("../../zoo/brainscales_intro.toml"),
    ),
];

/// The zoo's models: (name, one line).
pub fn list() -> Vec<(&'static str, &'static str)> {
    MODELS.iter().map(|(n, d, _)| (*n, *d)).collect()
}

/// The TOML text of zoo model `name`.
pub fn get(name: &str) -> Option<&'static str> {
    MODELS.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}
