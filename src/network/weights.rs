//! Reading a projection's weights and delays out of the simulation and setting weights between
//! runs (PyNN's `projection.get(["weight", "delay"], format=...)` and `projection.set(weight=...)`).
//!
//! Values pass through the fixed-point format: what is read is the weight as stored
//! (`round(w·scale)/scale`, the scale of the target population and receptor), what is set is
//! rounded the same way. A weight the scale cannot hold is an error, never clipped.

use super::build::{check_weight, BuiltNetwork, BuiltProjection};
use super::plastic::fixed_weight;
use crate::abi::PlasticState;
use serde::Serialize;

/// A dense `rows × cols` matrix of f64 in row-major order; absent connections are NaN
/// (PyNN's `format="array"`). Rows are positions in the presynaptic view, columns positions in
/// the postsynaptic view (population indices for projections between whole populations).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DenseMatrix {
    /// Rows (presynaptic neurons).
    pub rows: usize,
    /// Columns (postsynaptic neurons).
    pub cols: usize,
    /// `data[row * cols + col]`.
    pub data: Vec<f64>,
}

impl DenseMatrix {
    /// A matrix of NaN (no connection).
    pub fn nan(rows: usize, cols: usize) -> Self {
        Self { rows, cols, data: vec![f64::NAN; rows * cols] }
    }

    /// From rows of equal length.
    pub fn from_rows(rows: &[Vec<f64>]) -> Self {
        let cols = rows.first().map_or(0, Vec::len);
        Self { rows: rows.len(), cols, data: rows.iter().flat_map(|r| r.iter().copied()).collect() }
    }

    /// The value at (`row`, `col`).
    pub fn get(&self, row: usize, col: usize) -> f64 {
        self.data[row * self.cols + col]
    }

    /// Row `row`.
    pub fn row(&self, row: usize) -> &[f64] {
        &self.data[row * self.cols..(row + 1) * self.cols]
    }
}

/// How the array format combines several synapses between one pair (PyNN's
/// `multiple_synapses`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultipleSynapses {
    /// Their sum (PyNN's default).
    #[default]
    Sum,
    /// The first in connection order.
    First,
    /// The last in connection order.
    Last,
    /// The smallest.
    Min,
    /// The largest.
    Max,
}

impl MultipleSynapses {
    /// Combine `acc` (NaN: none yet) with `v`.
    pub fn combine(self, acc: f64, v: f64) -> f64 {
        if acc.is_nan() {
            return v;
        }
        match self {
            MultipleSynapses::Sum => acc + v,
            MultipleSynapses::First => acc,
            MultipleSynapses::Last => v,
            MultipleSynapses::Min => acc.min(v),
            MultipleSynapses::Max => acc.max(v),
        }
    }
}

/// New weights for a projection (PyNN's `projection.set(weight=...)`).
#[derive(Debug, Clone, PartialEq)]
pub enum WeightValues {
    /// One weight for every synapse.
    Const(f64),
    /// One weight per synapse, in the order of [`crate::Simulation::connections`].
    PerSynapse(Vec<f64>),
    /// `(pre, post, weight)` with population indices: every synapse between the pair gets the
    /// weight; each pair must be connected.
    List(Vec<(usize, usize, f64)>),
    /// A `pre view × post view` array; each synapse takes its pair's entry, which must not be
    /// NaN. Entries of unconnected pairs are ignored.
    Array(DenseMatrix),
}

impl From<f64> for WeightValues {
    fn from(w: f64) -> Self {
        WeightValues::Const(w)
    }
}

impl From<Vec<f64>> for WeightValues {
    fn from(w: Vec<f64>) -> Self {
        WeightValues::PerSynapse(w)
    }
}

impl From<DenseMatrix> for WeightValues {
    fn from(m: DenseMatrix) -> Self {
        WeightValues::Array(m)
    }
}

impl From<Vec<(usize, usize, f64)>> for WeightValues {
    fn from(l: Vec<(usize, usize, f64)>) -> Self {
        WeightValues::List(l)
    }
}

/// A weight that cannot be set.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum WeightError {
    /// The values break a rule (shape, finiteness, sign, `[w_min, w_max]`).
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument or field (`projection 'e->i'.weight`).
        what: String,
        /// The rule it breaks, with the offending value.
        rule: String,
    },
    /// The new weights do not fit the fixed-point scale of their target.
    #[error(
        "projection '{projection}'.weight: the summed |weight| onto '{population}' neuron {neuron} would be {summed}, more than \
         the {capacity} that the fixed-point scale of its {receptor} input (chosen when the network was built) can hold; \
         weights are never clipped: set smaller weights, or give them to the projection's synapse type, from which the \
         scale is chosen"
    )]
    OutOfRange {
        /// Projection label.
        projection: String,
        /// Postsynaptic population label.
        population: String,
        /// The neuron (index in its population).
        neuron: usize,
        /// "excitatory" or "inhibitory".
        receptor: &'static str,
        /// The summed |weight| onto the neuron that the new weights give (nA or µS).
        summed: f64,
        /// The most the scale holds (nA or µS).
        capacity: f64,
    },
}

/// The stored weights of projection `bp`, per synapse in connection order, from the static
/// fixed-point weights and the plastic state (as read back from the device).
pub(crate) fn stored_weights(bp: &BuiltProjection, static_w: &[i32], plastic: &[PlasticState]) -> Vec<f64> {
    bp.slots
        .iter()
        .map(|&j| {
            let fixed = if bp.is_dynamic() { plastic[j as usize].weight } else { static_w[j as usize] };
            f64::from(fixed) / bp.scale
        })
        .collect()
}

/// Per-synapse values as a `pre view × post view` array (NaN where unconnected).
pub(crate) fn to_array(bp: &BuiltProjection, values: &[f64], multiple: MultipleSynapses) -> DenseMatrix {
    let mut m = DenseMatrix::nan(bp.view_len.0, bp.view_len.1);
    for (&(a, b), &v) in bp.view_pos.iter().zip(values) {
        let at = a as usize * m.cols + b as usize;
        m.data[at] = multiple.combine(m.data[at], v);
    }
    m
}

/// The new weight of every synapse of `bp` (connection order), given its `current` ones.
pub(crate) fn resolve(bp: &BuiltProjection, values: &WeightValues, current: &[f64]) -> Result<Vec<f64>, WeightError> {
    let what = format!("projection '{}'.weight", bp.label);
    let invalid = |rule: String| WeightError::Invalid { what: what.clone(), rule };
    let m = bp.slots.len();
    match values {
        WeightValues::Const(w) => Ok(vec![*w; m]),
        WeightValues::PerSynapse(v) if v.len() == m => Ok(v.clone()),
        WeightValues::PerSynapse(v) => Err(invalid(format!("{} values for {m} synapses", v.len()))),
        WeightValues::List(list) => {
            let mut by_pair: std::collections::HashMap<(u32, u32), Vec<usize>> = std::collections::HashMap::new();
            for k in 0..bp.len() {
                by_pair.entry(bp.endpoints(k)).or_default().push(k);
            }
            let mut new = current.to_vec();
            for &(pre, post, w) in list {
                let ks = u32::try_from(pre)
                    .ok()
                    .zip(u32::try_from(post).ok())
                    .and_then(|key| by_pair.get(&key))
                    .ok_or_else(|| invalid(format!("neurons ({pre}, {post}) are not connected by this projection")))?;
                for &k in ks {
                    new[k] = w;
                }
            }
            Ok(new)
        }
        WeightValues::Array(a) => {
            if (a.rows, a.cols) != bp.view_len || a.data.len() != a.rows * a.cols {
                return Err(invalid(format!(
                    "array is {}×{} ({} values), the projection's views are {}×{}",
                    a.rows,
                    a.cols,
                    a.data.len(),
                    bp.view_len.0,
                    bp.view_len.1
                )));
            }
            bp.view_pos
                .iter()
                .map(|&(i, j)| {
                    let w = a.get(i as usize, j as usize);
                    if w.is_nan() {
                        Err(invalid(format!("entry ({i}, {j}) is NaN but the pair is connected")))
                    } else {
                        Ok(w)
                    }
                })
                .collect()
        }
    }
}

/// The largest |fixed-point weight| a synapse of projection `pi` can reach: its weight, or
/// the larger bound of its learning rule.
fn reach(net: &BuiltNetwork, bp: &BuiltProjection, fixed: i32) -> i64 {
    match bp.rule.map(|r| net.plastic.rules[r]) {
        Some(r) if bp.synapse.learns() => i64::from(r.w_min).abs().max(i64::from(r.w_max).abs()),
        _ => i64::from(fixed).abs(),
    }
}

/// Check `new` weights (connection order) for projection `pi` and convert them to fixed
/// point: finite, PyNN's sign rules, within `[w_min, w_max]` of a learning rule, and the summed
/// |weight| onto every target neuron within i32 (so no ring slot can overflow). `static_w` and
/// `plastic` are the current stored weights.
pub(crate) fn to_fixed(
    net: &BuiltNetwork,
    pi: usize,
    new: &[f64],
    static_w: &[i32],
    plastic: &[PlasticState],
) -> Result<Vec<i32>, WeightError> {
    let bp = &net.projections[pi];
    let post = &net.pops[bp.post];
    let what = format!("projection '{}'.weight", bp.label);
    let mut fixed = Vec::with_capacity(new.len());
    for (k, &w) in new.iter().enumerate() {
        check_weight(post.spec, bp.receptor, w)
            .map_err(|rule| WeightError::Invalid { what: what.clone(), rule: format!("{rule} (synapse {k} has {w})") })?;
        if let Some((w_min, w_max)) = bp.synapse.bounds() {
            if !(w_min..=w_max).contains(&w) {
                return Err(WeightError::Invalid {
                    what,
                    rule: format!("must be in [w_min, w_max] = [{w_min}, {w_max}] of its {} (synapse {k} has {w})", bp.synapse.name()),
                });
            }
        }
        let f = (w * bp.scale).round_ties_even();
        if f.abs() > f64::from(i32::MAX) {
            return Err(WeightError::OutOfRange {
                projection: bp.label.clone(),
                population: post.label.clone(),
                neuron: bp.endpoints(k).1 as usize,
                receptor: bp.receptor.name(),
                summed: w.abs(),
                capacity: f64::from(i32::MAX) / bp.scale,
            });
        }
        fixed.push(fixed_weight(&bp.synapse, w, bp.scale));
    }
    // Summed reach onto each neuron of the target population and channel.
    let mut sum = vec![0i64; post.n as usize];
    for (qi, q) in net.projections.iter().enumerate() {
        if q.post != bp.post || q.receptor.channel() != bp.receptor.channel() {
            continue;
        }
        for (k, &j) in q.slots.iter().enumerate() {
            let f = if qi == pi {
                fixed[k]
            } else if q.is_dynamic() {
                plastic[j as usize].weight
            } else {
                static_w[j as usize]
            };
            sum[q.endpoints(k).1 as usize] += reach(net, q, f);
        }
    }
    // Poisson inputs onto the same neurons and channel: at most k_max events a step.
    for e in net.poisson.iter().filter(|e| e.channel == bp.receptor.channel()) {
        for gi in e.first..e.first + e.n {
            if let Some(i) = gi.checked_sub(post.offset).filter(|&i| i < post.n) {
                sum[i as usize] += i64::from(e.k_max) * i64::from(e.w_fixed).abs();
            }
        }
    }
    if let Some((neuron, &s)) = sum.iter().enumerate().find(|(_, &s)| s > i64::from(i32::MAX)) {
        return Err(WeightError::OutOfRange {
            projection: bp.label.clone(),
            population: post.label.clone(),
            neuron,
            receptor: bp.receptor.name(),
            summed: s as f64 / bp.scale,
            capacity: f64::from(i32::MAX) / bp.scale,
        });
    }
    Ok(fixed)
}
