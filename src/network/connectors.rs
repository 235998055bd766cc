//! PyNN's connectors: which (pre, post) pairs a projection connects.
//!
//! All random connectors draw from the projection's own Philox stream, so a network is the same
//! for the same seed whatever else is added to it. Pairs come out grouped by presynaptic neuron
//! in a fixed order, which is the order the CSR stores them in.

use crate::random::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use thiserror::Error;

/// Errors of connector parameters.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConnectorError {
    /// A parameter breaks its rule.
    #[error("{connector}.{field}: {rule} (got {value})")]
    Invalid {
        /// Connector name (PyNN's).
        connector: &'static str,
        /// Field name.
        field: String,
        /// The rule.
        rule: String,
        /// The value given.
        value: String,
    },
}

/// One explicit connection of a [`Connector::FromList`], indices within the pre and post views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Index in the presynaptic view.
    pub pre: usize,
    /// Index in the postsynaptic view.
    pub post: usize,
    /// Weight (nA or µS); the synapse's weight when absent.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Delay (ms); the synapse's delay when absent.
    #[serde(default)]
    pub delay: Option<f64>,
}

fn yes() -> bool {
    true
}

/// How a projection connects its populations (PyNN's connector classes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Connector {
    /// Every pre to every post.
    AllToAll {
        /// Whether a neuron may connect to itself (PyNN default true).
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
    /// Pre i to post i; both views must have the same size.
    OneToOne,
    /// Each pair independently with probability `p_connect`.
    FixedProbability {
        /// Connection probability in [0, 1].
        p_connect: f64,
        /// Whether a neuron may connect to itself (PyNN default true).
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
    /// Each post receives exactly `n` connections from randomly chosen pre neurons.
    FixedNumberPre {
        /// In-degree.
        n: usize,
        /// Whether a neuron may connect to itself (default true).
        #[serde(default = "yes")]
        allow_self_connections: bool,
        /// Whether one pre may be drawn twice for the same post (PyNN default false).
        #[serde(default)]
        with_replacement: bool,
    },
    /// Each pre sends exactly `n` connections to randomly chosen post neurons.
    FixedNumberPost {
        /// Out-degree.
        n: usize,
        /// Whether a neuron may connect to itself (default true).
        #[serde(default = "yes")]
        allow_self_connections: bool,
        /// Whether one post may be drawn twice for the same pre (PyNN default false).
        #[serde(default)]
        with_replacement: bool,
    },
    /// Exactly `n` connections in total between random pairs.
    FixedTotalNumber {
        /// Total number of connections.
        n: usize,
        /// Whether a neuron may connect to itself (default true).
        #[serde(default = "yes")]
        allow_self_connections: bool,
        /// Whether a pair may be drawn twice, i.e. multapses (PyNN default true).
        #[serde(default = "yes")]
        with_replacement: bool,
    },
    /// Explicit connections.
    FromList {
        /// The connections, indices within the views.
        conn_list: Vec<Connection>,
    },
}

impl Connector {
    /// `AllToAllConnector()`.
    #[must_use]
    pub fn all_to_all() -> Self {
        Connector::AllToAll { allow_self_connections: true }
    }

    /// `FixedProbabilityConnector(p_connect)`.
    #[must_use]
    pub fn fixed_probability(p_connect: f64) -> Self {
        Connector::FixedProbability { p_connect, allow_self_connections: true }
    }

    /// `FixedNumberPreConnector(n)`.
    #[must_use]
    pub fn fixed_number_pre(n: usize) -> Self {
        Connector::FixedNumberPre { n, allow_self_connections: true, with_replacement: false }
    }

    /// `FixedNumberPostConnector(n)`.
    #[must_use]
    pub fn fixed_number_post(n: usize) -> Self {
        Connector::FixedNumberPost { n, allow_self_connections: true, with_replacement: false }
    }

    /// `FixedTotalNumberConnector(n)` (with replacement, as PyNN).
    #[must_use]
    pub fn fixed_total_number(n: usize) -> Self {
        Connector::FixedTotalNumber { n, allow_self_connections: true, with_replacement: true }
    }

    /// `FromListConnector([(pre, post), ...])`.
    #[must_use]
    pub fn from_list(pairs: impl IntoIterator<Item = (usize, usize)>) -> Self {
        Connector::FromList {
            conn_list: pairs.into_iter().map(|(pre, post)| Connection { pre, post, weight: None, delay: None }).collect(),
        }
    }

    /// The same connector with `allow_self_connections` set (no effect on OneToOne/FromList).
    #[must_use]
    pub fn allow_self_connections(mut self, allow: bool) -> Self {
        match &mut self {
            Connector::AllToAll { allow_self_connections }
            | Connector::FixedProbability { allow_self_connections, .. }
            | Connector::FixedNumberPre { allow_self_connections, .. }
            | Connector::FixedNumberPost { allow_self_connections, .. }
            | Connector::FixedTotalNumber { allow_self_connections, .. } => *allow_self_connections = allow,
            Connector::OneToOne | Connector::FromList { .. } => {}
        }
        self
    }

    /// The same connector with `with_replacement` set (FixedNumberPre/Post, FixedTotalNumber).
    #[must_use]
    pub fn with_replacement(mut self, replace: bool) -> Self {
        match &mut self {
            Connector::FixedNumberPre { with_replacement, .. }
            | Connector::FixedNumberPost { with_replacement, .. }
            | Connector::FixedTotalNumber { with_replacement, .. } => *with_replacement = replace,
            _ => {}
        }
        self
    }

    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::AllToAll { .. } => "AllToAllConnector",
            Connector::OneToOne => "OneToOneConnector",
            Connector::FixedProbability { .. } => "FixedProbabilityConnector",
            Connector::FixedNumberPre { .. } => "FixedNumberPreConnector",
            Connector::FixedNumberPost { .. } => "FixedNumberPostConnector",
            Connector::FixedTotalNumber { .. } => "FixedTotalNumberConnector",
            Connector::FromList { .. } => "FromListConnector",
        }
    }

    fn invalid(&self, field: &str, rule: impl Into<String>, value: impl ToString) -> ConnectorError {
        ConnectorError::Invalid { connector: self.name(), field: field.into(), rule: rule.into(), value: value.to_string() }
    }

    /// The connections between views `pre` and `post` (absolute neuron indices in their
    /// populations). `same_population` says whether both views are of one population, which is
    /// when self-connections exist. Returns (pre position in view, post position in view) pairs
    /// grouped by presynaptic neuron, and, for FromList, the per-connection weights and delays.
    pub fn generate(&self, pre: &[usize], post: &[usize], same_population: bool, rng: &mut Rng) -> Result<Generated, ConnectorError> {
        let (np, nq) = (pre.len(), post.len());
        let is_self = |i: usize, j: usize| same_population && pre[i] == post[j];
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        match *self {
            Connector::AllToAll { allow_self_connections } => {
                for i in 0..np {
                    pairs.extend((0..nq).filter(|&j| allow_self_connections || !is_self(i, j)).map(|j| (i as u32, j as u32)));
                }
            }
            Connector::OneToOne => {
                if np != nq {
                    return Err(self.invalid("post", format!("must have the same size as pre ({np})"), nq));
                }
                pairs.extend((0..np).map(|i| (i as u32, i as u32)));
            }
            Connector::FixedProbability { p_connect, allow_self_connections } => {
                if !(0.0..=1.0).contains(&p_connect) {
                    return Err(self.invalid("p_connect", "must be in [0, 1]", p_connect));
                }
                let total = (np as u64) * (nq as u64);
                if p_connect > 0.0 && total > 0 {
                    // Geometric skipping: the gap to the next connected pair is Geometric(p).
                    let log_q = (1.0 - p_connect).ln();
                    let mut k: u64 = 0;
                    loop {
                        if p_connect < 1.0 {
                            let u = 1.0 - rng.uniform();
                            let gap = (u.ln() / log_q).floor();
                            if gap >= (total - k) as f64 {
                                break;
                            }
                            k += gap as u64;
                        }
                        if k >= total {
                            break;
                        }
                        let (i, j) = ((k / nq as u64) as usize, (k % nq as u64) as usize);
                        if allow_self_connections || !is_self(i, j) {
                            pairs.push((i as u32, j as u32));
                        }
                        k += 1;
                    }
                }
            }
            Connector::FixedNumberPre { n, allow_self_connections, with_replacement } => {
                let skip = (!allow_self_connections && same_population).then(|| Skip::new(pre, post));
                for j in 0..nq {
                    let chosen = match skip.as_ref().map(|s| s.excluded(j)) {
                        // The candidates are 0..np without the excluded positions, in order.
                        Some(Excluded::Many) => {
                            let candidates: Vec<usize> = (0..np).filter(|&i| !is_self(i, j)).collect();
                            self.choose(n, candidates.len(), |k| candidates[k], with_replacement, rng)?
                        }
                        Some(Excluded::One(s)) => self.choose(n, np - 1, |k| if k < s { k } else { k + 1 }, with_replacement, rng)?,
                        Some(Excluded::None) | None => self.choose(n, np, |k| k, with_replacement, rng)?,
                    };
                    pairs.extend(chosen.into_iter().map(|i| (i as u32, j as u32)));
                }
                // Group by presynaptic neuron (stable: keeps each post's draw order).
                counting_sort_by_pre(&mut pairs, np);
            }
            Connector::FixedNumberPost { n, allow_self_connections, with_replacement } => {
                let skip = (!allow_self_connections && same_population).then(|| Skip::new(post, pre));
                for i in 0..np {
                    let chosen = match skip.as_ref().map(|s| s.excluded(i)) {
                        Some(Excluded::Many) => {
                            let candidates: Vec<usize> = (0..nq).filter(|&j| !is_self(i, j)).collect();
                            self.choose(n, candidates.len(), |k| candidates[k], with_replacement, rng)?
                        }
                        Some(Excluded::One(s)) => self.choose(n, nq - 1, |k| if k < s { k } else { k + 1 }, with_replacement, rng)?,
                        Some(Excluded::None) | None => self.choose(n, nq, |k| k, with_replacement, rng)?,
                    };
                    pairs.extend(chosen.into_iter().map(|j| (i as u32, j as u32)));
                }
            }
            Connector::FixedTotalNumber { n, allow_self_connections, with_replacement } => {
                let total = (np as u64) * (nq as u64);
                let self_pairs =
                    if same_population && !allow_self_connections { (0..np).filter(|&i| post.contains(&pre[i])).count() as u64 } else { 0 };
                let available = total - self_pairs;
                if available == 0 && n > 0 {
                    return Err(self.invalid("n", "needs at least one allowed (pre, post) pair", n));
                }
                if !with_replacement && n as u64 > available {
                    return Err(self.invalid("n", format!("must be ≤ {available} allowed pairs without replacement"), n));
                }
                let mut seen = HashSet::new();
                while pairs.len() < n {
                    let k = rng.below(total);
                    let (i, j) = ((k / nq as u64) as usize, (k % nq as u64) as usize);
                    if (!allow_self_connections && is_self(i, j)) || (!with_replacement && !seen.insert(k)) {
                        continue;
                    }
                    pairs.push((i as u32, j as u32));
                }
                // Equal keys are equal pairs, so an unstable sort gives the same order.
                pairs.sort_unstable_by_key(|&(i, j)| (u64::from(i) << 32) | u64::from(j));
            }
            Connector::FromList { ref conn_list } => {
                let mut weights = Vec::with_capacity(conn_list.len());
                let mut delays = Vec::with_capacity(conn_list.len());
                for (c, conn) in conn_list.iter().enumerate() {
                    if conn.pre >= np {
                        return Err(self.invalid(
                            &format!("conn_list[{c}].pre"),
                            format!("must be < {np} (size of the pre view)"),
                            conn.pre,
                        ));
                    }
                    if conn.post >= nq {
                        return Err(self.invalid(
                            &format!("conn_list[{c}].post"),
                            format!("must be < {nq} (size of the post view)"),
                            conn.post,
                        ));
                    }
                    pairs.push((conn.pre as u32, conn.post as u32));
                    weights.push(conn.weight);
                    delays.push(conn.delay);
                }
                // Stable sort by pre keeps the list order within a row; permute weights/delays alike.
                let mut order: Vec<usize> = (0..pairs.len()).collect();
                order.sort_by_key(|&c| pairs[c].0);
                return Ok(Generated {
                    pairs: order.iter().map(|&c| pairs[c]).collect(),
                    weights: Some(order.iter().map(|&c| weights[c]).collect()),
                    delays: Some(order.iter().map(|&c| delays[c]).collect()),
                });
            }
        }
        Ok(Generated { pairs, weights: None, delays: None })
    }

    /// `n` of the `m` candidates `candidate(0) < candidate(1) < …` (sorted result), with or
    /// without replacement.
    fn choose(
        &self,
        n: usize,
        m: usize,
        candidate: impl Fn(usize) -> usize,
        with_replacement: bool,
        rng: &mut Rng,
    ) -> Result<Vec<usize>, ConnectorError> {
        if n > 0 && m == 0 {
            return Err(self.invalid("n", "needs at least one allowed partner", n));
        }
        if !with_replacement && n > m {
            return Err(self.invalid("n", format!("must be ≤ {m} allowed partners without replacement"), n));
        }
        let mut out: Vec<usize> = if with_replacement {
            (0..n).map(|_| candidate(rng.below(m as u64) as usize)).collect()
        } else {
            // Robert Floyd's sampling without replacement: n draws, no shuffle of m.
            let mut chosen = HashSet::with_capacity(n);
            for j in (m - n)..m {
                let t = rng.below(j as u64 + 1) as usize;
                if !chosen.insert(t) {
                    chosen.insert(j);
                }
            }
            chosen.into_iter().map(candidate).collect()
        };
        out.sort_unstable();
        Ok(out)
    }
}

/// Stable counting sort of `pairs` by presynaptic position (< `np`): O(pairs + np).
fn counting_sort_by_pre(pairs: &mut Vec<(u32, u32)>, np: usize) {
    let pre: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    *pairs = super::construct::stable_order_by(&pre, np).into_iter().map(|k| pairs[k as usize]).collect();
}

/// Which candidate positions a self-connection rule excludes for one partner.
enum Excluded {
    /// None (the partner is not in the candidates' view).
    None,
    /// Exactly this position.
    One(usize),
    /// Several (a view listing a neuron twice): the caller filters.
    Many,
}

/// The positions in a candidate view of each neuron (`candidates[pos] = neuron`), to find the
/// self-connection of a partner without scanning the view.
struct Skip<'a> {
    position: std::collections::HashMap<usize, usize>,
    duplicated: HashSet<usize>,
    partners: &'a [usize],
}

impl<'a> Skip<'a> {
    fn new(candidates: &[usize], partners: &'a [usize]) -> Self {
        let mut position = std::collections::HashMap::with_capacity(candidates.len());
        let mut duplicated = HashSet::new();
        for (k, &c) in candidates.iter().enumerate() {
            if position.insert(c, k).is_some() {
                duplicated.insert(c);
            }
        }
        Self { position, duplicated, partners }
    }

    /// The excluded candidate positions for partner `j`.
    fn excluded(&self, j: usize) -> Excluded {
        let neuron = self.partners[j];
        if self.duplicated.contains(&neuron) {
            return Excluded::Many;
        }
        self.position.get(&neuron).map_or(Excluded::None, |&k| Excluded::One(k))
    }
}

/// What a connector produced: pairs of positions in the (pre, post) views, grouped by pre.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// (pre position, post position).
    pub pairs: Vec<(u32, u32)>,
    /// FromList per-connection weights.
    pub weights: Option<Vec<Option<f64>>>,
    /// FromList per-connection delays.
    pub delays: Option<Vec<Option<f64>>>,
}
