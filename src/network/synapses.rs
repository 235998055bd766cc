//! Synapse types of a projection (PyNN's `synapse_type`): [`StaticSynapse`] and the plastic
//! ones, [`StdpMechanism`] (spike-timing-dependent plasticity), [`TsodyksMarkramSynapse`]
//! (short-term depression and facilitation) and [`AntiHebbianSynapse`] (an online rate rule).
//!
//! Names, defaults and units are PyNN's: weights in nA (current-based targets) or µS
//! (conductance-based targets), times in ms. Rule parameters are one value per projection;
//! weights and delays may differ per synapse ([`Param`]). How the rules run on the device is
//! described in [`crate::network::plastic`].

use super::projection::StaticSynapse;
use crate::model::Param;
use serde::{Deserialize, Serialize};

/// PyNN's `SpikePairRule`: the weight change of one pre/post spike pair depends only on the
/// time between them, `Δt = t_post − t_pre` as seen at the synapse:
/// `A_plus · exp(−Δt/tau_plus)` for Δt ≥ 0 (potentiation), `A_minus · exp(Δt/tau_minus)` for
/// Δt < 0 (depression), before the weight dependence scales them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikePairRule {
    /// Time constant of the potentiation window, ms (default 20).
    pub tau_plus: f64,
    /// Time constant of the depression window, ms (default 20).
    pub tau_minus: f64,
    /// Amplitude of potentiation (default 0.01; dimensionless, see [`WeightDependence`]).
    #[serde(rename = "A_plus")]
    pub a_plus: f64,
    /// Amplitude of depression (default 0.01; a positive number: depression lowers the weight).
    #[serde(rename = "A_minus")]
    pub a_minus: f64,
    /// Which spike pairs count (default all-to-all, as PyNN's SpikePairRule).
    pub pairing: Pairing,
}

impl Default for SpikePairRule {
    fn default() -> Self {
        Self { tau_plus: 20.0, tau_minus: 20.0, a_plus: 0.01, a_minus: 0.01, pairing: Pairing::AllToAll }
    }
}

impl SpikePairRule {
    /// `SpikePairRule(tau_plus, tau_minus, A_plus, A_minus)`, all-to-all pairing.
    #[must_use]
    pub fn new(tau_plus: f64, tau_minus: f64, a_plus: f64, a_minus: f64) -> Self {
        Self { tau_plus, tau_minus, a_plus, a_minus, pairing: Pairing::AllToAll }
    }

    /// The same rule with nearest-neighbour pairing.
    #[must_use]
    pub fn nearest(mut self) -> Self {
        self.pairing = Pairing::Nearest;
        self
    }
}

/// Which pre/post spike pairs a [`SpikePairRule`] sums over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Every pair (PyNN's SpikePairRule; NEST's `stdp_synapse`): each spike adds 1 to its trace.
    #[default]
    AllToAll,
    /// Symmetric nearest neighbour (NEST's `stdp_nn_symm_synapse`): a post spike pairs with the
    /// latest pre spike before it and a pre spike with the latest post spike before it; each
    /// spike resets its trace to 1.
    Nearest,
}

/// How the weight scales the change of a [`SpikePairRule`] (PyNN's weight dependences).
/// Weights are always kept in `[w_min, w_max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum WeightDependence {
    /// PyNN's `AdditiveWeightDependence`: `Δw+ = A_plus·(w_max − w_min)·x`,
    /// `Δw− = −A_minus·(w_max − w_min)·y`, then clipped. This is NEST's `stdp_synapse` with
    /// `mu_plus = mu_minus = 0` (`Δw = ±Wmax·λ·K`, where NEST requires w_min = 0) and PyNN's
    /// Brian 2 back end (`w ± w_max·A`); with w_min ≠ 0 the span w_max − w_min is used.
    Additive {
        /// Lower bound (default 0).
        w_min: f64,
        /// Upper bound (default 1).
        w_max: f64,
    },
    /// PyNN's `MultiplicativeWeightDependence`: `Δw+ = A_plus·(w_max − w)·x`,
    /// `Δw− = −A_minus·(w − w_min)·y` (NEST's `stdp_synapse` with `mu_plus = mu_minus = 1`).
    Multiplicative {
        /// Lower bound (default 0).
        w_min: f64,
        /// Upper bound (default 1).
        w_max: f64,
    },
}

impl Default for WeightDependence {
    fn default() -> Self {
        WeightDependence::Additive { w_min: 0.0, w_max: 1.0 }
    }
}

impl WeightDependence {
    /// `AdditiveWeightDependence(w_min, w_max)`.
    #[must_use]
    pub fn additive(w_min: f64, w_max: f64) -> Self {
        WeightDependence::Additive { w_min, w_max }
    }

    /// `MultiplicativeWeightDependence(w_min, w_max)`.
    #[must_use]
    pub fn multiplicative(w_min: f64, w_max: f64) -> Self {
        WeightDependence::Multiplicative { w_min, w_max }
    }

    /// `(w_min, w_max)`.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            WeightDependence::Additive { w_min, w_max } | WeightDependence::Multiplicative { w_min, w_max } => (w_min, w_max),
        }
    }

    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            WeightDependence::Additive { .. } => "AdditiveWeightDependence",
            WeightDependence::Multiplicative { .. } => "MultiplicativeWeightDependence",
        }
    }
}

/// PyNN's `STDPMechanism(timing_dependence, weight_dependence, weight, delay,
/// dendritic_delay_fraction)`.
///
/// Each synapse's delay `d` (steps) is split into a dendritic part `e = round(f·d)` (ties to
/// even; `f = dendritic_delay_fraction`) and an axonal part `d − e`. A presynaptic spike
/// emitted at `t_pre` reaches the synapse at `t_pre + (d − e)` — depression, with the
/// postsynaptic trace as the synapse sees it then — and the soma at `t_pre + d`, as through a
/// static synapse; a postsynaptic spike at `t_post` reaches the synapse back at `t_post + e` —
/// potentiation. A pair is therefore timed `Δt = (t_post + e) − (t_pre + d − e)`:
///
/// * `f = 1` (PyNN's default and NEST's convention; the default here): `Δt = t_post + d − t_pre`;
/// * `f = 0` (PyNN's Brian 2 back end; Izhikevich 2006's axonal delays): `Δt = t_post − (t_pre + d)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpMechanism {
    /// The pairing rule.
    #[serde(default)]
    pub timing_dependence: SpikePairRule,
    /// The weight dependence and bounds.
    #[serde(default)]
    pub weight_dependence: WeightDependence,
    /// Initial weight (in [w_min, w_max]).
    #[serde(default = "zero")]
    pub weight: Param,
    /// Delay in ms; `None` is dt.
    #[serde(default)]
    pub delay: Option<Param>,
    /// Part of the delay on the dendrite, in [0, 1] (PyNN's default 1).
    #[serde(default = "one")]
    pub dendritic_delay_fraction: f64,
}

fn zero() -> Param {
    Param::Const(0.0)
}

impl Default for StdpMechanism {
    fn default() -> Self {
        Self {
            timing_dependence: SpikePairRule::default(),
            weight_dependence: WeightDependence::default(),
            weight: zero(),
            delay: None,
            dendritic_delay_fraction: 1.0,
        }
    }
}

impl StdpMechanism {
    /// `STDPMechanism(timing_dependence, weight_dependence, weight=w, delay=d)`.
    #[must_use]
    pub fn new(timing: SpikePairRule, weights: WeightDependence, weight: impl Into<Param>, delay: impl Into<Param>) -> Self {
        Self {
            timing_dependence: timing,
            weight_dependence: weights,
            weight: weight.into(),
            delay: Some(delay.into()),
            ..Default::default()
        }
    }

    /// The same mechanism with `dendritic_delay_fraction = f` (0: the delay is axonal).
    #[must_use]
    pub fn dendritic_delay_fraction(mut self, f: f64) -> Self {
        self.dendritic_delay_fraction = f;
        self
    }
}

/// PyNN's `TsodyksMarkramSynapse(U, tau_rec, tau_facil, weight, delay)`: short-term depression
/// and facilitation. At the n-th presynaptic spike, `Δ` after the previous one,
///
/// ```text
/// R_n = 1 + (R_{n-1} − u_{n-1}·R_{n-1} − 1)·exp(−Δ/tau_rec)     (recovered resources)
/// u_n = U + u_{n-1}·(1 − U)·exp(−Δ/tau_facil)                   (u_n = U when tau_facil = 0)
/// ```
///
/// starting from `u_0 = 0, R_0 = 1` (so `u_1 = U, R_1 = 1`), and the target receives
/// `weight·u_n·R_n`. This is NEST's `tsodyks2_synapse` (Tsodyks & Markram 1997; Fuhrmann et
/// al. 2002). PyNN's NEST back end maps the type to `tsodyks_synapse`, whose extra state
/// decays with the PSC time constant; the two agree when that constant is ≪ tau_rec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsodyksMarkramSynapse {
    /// Weight (the amplitude with all resources available and u = 1).
    #[serde(default = "zero")]
    pub weight: Param,
    /// Delay in ms; `None` is dt.
    #[serde(default)]
    pub delay: Option<Param>,
    /// Utilisation of synaptic efficacy, in (0, 1] (PyNN's `U`, default 0.5).
    #[serde(rename = "U", default = "half")]
    pub u: f64,
    /// Recovery time constant, ms (default 100).
    #[serde(default = "hundred")]
    pub tau_rec: f64,
    /// Facilitation time constant, ms (default 0: no facilitation).
    #[serde(default)]
    pub tau_facil: f64,
}

fn half() -> f64 {
    0.5
}

fn hundred() -> f64 {
    100.0
}

impl Default for TsodyksMarkramSynapse {
    fn default() -> Self {
        Self { weight: zero(), delay: None, u: 0.5, tau_rec: 100.0, tau_facil: 0.0 }
    }
}

impl TsodyksMarkramSynapse {
    /// `TsodyksMarkramSynapse(U, tau_rec, tau_facil, weight=w, delay=d)`.
    #[must_use]
    pub fn new(u: f64, tau_rec: f64, tau_facil: f64, weight: impl Into<Param>, delay: impl Into<Param>) -> Self {
        Self { weight: weight.into(), delay: Some(delay.into()), u, tau_rec, tau_facil }
    }
}

/// An online anti-Hebbian rate rule (the neurosimulator project's plasticity switched on and
/// off between runs): every `interval` ms each synapse changes by
/// `Δw = −eta · r_pre · r_post · interval/1000`, clipped to `[w_min, w_max]`, where the rates
/// (Hz) are exponential traces of each neuron's spikes: every spike adds `1000/tau` and the
/// trace decays with time constant `tau`. Co-active pairs weaken; a pair with a silent side
/// keeps its weight. `eta` is in weight units per Hz² per second, so the rule does not depend
/// on `interval` (a cost/accuracy knob) beyond its discretisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntiHebbianSynapse {
    /// Initial weight (in [w_min, w_max]).
    #[serde(default = "zero")]
    pub weight: Param,
    /// Delay in ms; `None` is dt.
    #[serde(default)]
    pub delay: Option<Param>,
    /// Learning rate, weight units per Hz² per second (≥ 0).
    pub eta: f64,
    /// Time constant of the rate traces, ms (default 100).
    #[serde(default = "hundred")]
    pub tau: f64,
    /// Time between updates, ms (a multiple of dt; default 1).
    #[serde(default = "one")]
    pub interval: f64,
    /// Lower bound of the weight.
    pub w_min: f64,
    /// Upper bound of the weight.
    pub w_max: f64,
}

fn one() -> f64 {
    1.0
}

impl AntiHebbianSynapse {
    /// The rule with learning rate `eta`, weights in `[w_min, w_max]`, rate time constant 100 ms
    /// and updates every 1 ms.
    #[must_use]
    pub fn new(eta: f64, w_min: f64, w_max: f64, weight: impl Into<Param>, delay: impl Into<Param>) -> Self {
        Self { weight: weight.into(), delay: Some(delay.into()), eta, tau: 100.0, interval: 1.0, w_min, w_max }
    }
}

/// A projection's synapse type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SynapseType {
    /// Fixed weights (PyNN's `StaticSynapse`).
    #[serde(rename = "StaticSynapse")]
    Static(StaticSynapse),
    /// Spike-timing-dependent plasticity (PyNN's `STDPMechanism`).
    #[serde(rename = "STDPMechanism")]
    Stdp(StdpMechanism),
    /// Short-term plasticity (PyNN's `TsodyksMarkramSynapse`).
    #[serde(rename = "TsodyksMarkramSynapse")]
    TsodyksMarkram(TsodyksMarkramSynapse),
    /// The anti-Hebbian rate rule.
    #[serde(rename = "AntiHebbianSynapse")]
    AntiHebbian(AntiHebbianSynapse),
}

impl From<StaticSynapse> for SynapseType {
    fn from(s: StaticSynapse) -> Self {
        SynapseType::Static(s)
    }
}

impl From<StdpMechanism> for SynapseType {
    fn from(s: StdpMechanism) -> Self {
        SynapseType::Stdp(s)
    }
}

impl From<TsodyksMarkramSynapse> for SynapseType {
    fn from(s: TsodyksMarkramSynapse) -> Self {
        SynapseType::TsodyksMarkram(s)
    }
}

impl From<AntiHebbianSynapse> for SynapseType {
    fn from(s: AntiHebbianSynapse) -> Self {
        SynapseType::AntiHebbian(s)
    }
}

/// A broken rule of a synapse type's parameters: the field (`timing_dependence.tau_plus`) and
/// the rule with the offending value.
pub(crate) type SynapseRuleError = (String, String);

fn positive(field: &str, v: f64) -> Result<(), SynapseRuleError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((field.into(), format!("must be finite and > 0 (got {v})")))
    }
}

fn non_negative(field: &str, v: f64) -> Result<(), SynapseRuleError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((field.into(), format!("must be finite and ≥ 0 (got {v})")))
    }
}

fn check_bounds(prefix: &str, w_min: f64, w_max: f64) -> Result<(), SynapseRuleError> {
    if !w_min.is_finite() {
        return Err((format!("{prefix}w_min"), format!("must be finite (got {w_min})")));
    }
    if !w_max.is_finite() {
        return Err((format!("{prefix}w_max"), format!("must be finite (got {w_max})")));
    }
    if w_min > w_max {
        return Err((format!("{prefix}w_min"), format!("must be ≤ w_max = {w_max} (got {w_min})")));
    }
    Ok(())
}

impl SynapseType {
    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            SynapseType::Static(_) => "StaticSynapse",
            SynapseType::Stdp(_) => "STDPMechanism",
            SynapseType::TsodyksMarkram(_) => "TsodyksMarkramSynapse",
            SynapseType::AntiHebbian(_) => "AntiHebbianSynapse",
        }
    }

    /// The weight parameter.
    pub fn weight(&self) -> &Param {
        match self {
            SynapseType::Static(s) => &s.weight,
            SynapseType::Stdp(s) => &s.weight,
            SynapseType::TsodyksMarkram(s) => &s.weight,
            SynapseType::AntiHebbian(s) => &s.weight,
        }
    }

    /// The delay parameter (`None`: dt).
    pub fn delay(&self) -> Option<&Param> {
        match self {
            SynapseType::Static(s) => s.delay.as_ref(),
            SynapseType::Stdp(s) => s.delay.as_ref(),
            SynapseType::TsodyksMarkram(s) => s.delay.as_ref(),
            SynapseType::AntiHebbian(s) => s.delay.as_ref(),
        }
    }

    /// Whether the synapses have dynamics (anything but a static synapse).
    pub fn is_dynamic(&self) -> bool {
        !matches!(self, SynapseType::Static(_))
    }

    /// Whether the weights learn (and [`crate::Simulation::set_plasticity`] applies).
    pub fn learns(&self) -> bool {
        matches!(self, SynapseType::Stdp(_) | SynapseType::AntiHebbian(_))
    }

    /// `(w_min, w_max)` of a learning rule; weights must start and stay inside.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        match self {
            SynapseType::Stdp(s) => Some(s.weight_dependence.bounds()),
            SynapseType::AntiHebbian(s) => Some((s.w_min, s.w_max)),
            SynapseType::Static(_) | SynapseType::TsodyksMarkram(_) => None,
        }
    }

    /// Where the bounds sit in the parameters (for messages): `weight_dependence.` or nothing.
    pub(crate) fn bounds_prefix(&self) -> &'static str {
        if matches!(self, SynapseType::Stdp(_)) {
            "weight_dependence."
        } else {
            ""
        }
    }

    /// Check the rule parameters (not weights and delays, which are checked per synapse at
    /// build). `dt` in ms.
    pub(crate) fn validate(&self, dt: f64) -> Result<(), SynapseRuleError> {
        match self {
            SynapseType::Static(_) => Ok(()),
            SynapseType::Stdp(s) => {
                let t = &s.timing_dependence;
                positive("timing_dependence.tau_plus", t.tau_plus)?;
                positive("timing_dependence.tau_minus", t.tau_minus)?;
                non_negative("timing_dependence.A_plus", t.a_plus)?;
                non_negative("timing_dependence.A_minus", t.a_minus)?;
                let (w_min, w_max) = s.weight_dependence.bounds();
                check_bounds("weight_dependence.", w_min, w_max)?;
                let f = s.dendritic_delay_fraction;
                if !(0.0..=1.0).contains(&f) {
                    return Err(("dendritic_delay_fraction".into(), format!("must be in [0, 1] (got {f})")));
                }
                Ok(())
            }
            SynapseType::TsodyksMarkram(s) => {
                if !(s.u.is_finite() && s.u > 0.0 && s.u <= 1.0) {
                    return Err(("U".into(), format!("must be in (0, 1] (got {})", s.u)));
                }
                positive("tau_rec", s.tau_rec)?;
                non_negative("tau_facil", s.tau_facil)
            }
            SynapseType::AntiHebbian(s) => {
                non_negative("eta", s.eta)?;
                positive("tau", s.tau)?;
                let steps = s.interval / dt;
                if !(s.interval.is_finite() && steps >= 1.0 - 1e-9 && (steps - steps.round()).abs() < 1e-6) {
                    return Err(("interval".into(), format!("must be a whole multiple of dt = {dt} ms (got {})", s.interval)));
                }
                check_bounds("", s.w_min, s.w_max)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_pynns() {
        let r = SpikePairRule::default();
        assert_eq!((r.tau_plus, r.tau_minus, r.a_plus, r.a_minus), (20.0, 20.0, 0.01, 0.01));
        assert_eq!(WeightDependence::default().bounds(), (0.0, 1.0));
        let tm = TsodyksMarkramSynapse::default();
        assert_eq!((tm.u, tm.tau_rec, tm.tau_facil), (0.5, 100.0, 0.0));
    }

    #[test]
    fn serde_uses_pynn_names() {
        let s: SynapseType = serde_json::from_str(
            r#"{"type": "STDPMechanism", "timing_dependence": {"A_plus": 0.02, "tau_plus": 10},
                "weight_dependence": {"type": "Multiplicative", "w_min": 0, "w_max": 2}, "weight": 0.5}"#,
        )
        .unwrap();
        let SynapseType::Stdp(m) = &s else { panic!("{s:?}") };
        assert_eq!(m.timing_dependence.a_plus, 0.02);
        assert_eq!(m.timing_dependence.tau_minus, 20.0);
        assert_eq!(m.weight_dependence, WeightDependence::multiplicative(0.0, 2.0));
        let tm: SynapseType = serde_json::from_str(r#"{"type": "TsodyksMarkramSynapse", "U": 0.2, "weight": 1}"#).unwrap();
        assert_eq!(tm, SynapseType::TsodyksMarkram(TsodyksMarkramSynapse { u: 0.2, weight: 1.0.into(), ..Default::default() }));
    }

    #[test]
    fn bad_parameters_name_field_and_rule() {
        let bad = |s: SynapseType| s.validate(0.1).unwrap_err();
        let tau = SynapseType::Stdp(StdpMechanism {
            timing_dependence: SpikePairRule { tau_plus: -1.0, ..Default::default() },
            ..Default::default()
        });
        assert_eq!(bad(tau).0, "timing_dependence.tau_plus");
        let bounds = SynapseType::Stdp(StdpMechanism { weight_dependence: WeightDependence::additive(2.0, 1.0), ..Default::default() });
        let (field, rule) = bad(bounds);
        assert!(field == "weight_dependence.w_min" && rule.contains("≤ w_max"), "{field}: {rule}");
        let u = SynapseType::TsodyksMarkram(TsodyksMarkramSynapse { u: 0.0, ..Default::default() });
        assert_eq!(bad(u).0, "U");
        for f in [-0.1, 1.5, f64::NAN] {
            let ddf = SynapseType::Stdp(StdpMechanism { dendritic_delay_fraction: f, ..Default::default() });
            assert_eq!(bad(ddf).0, "dendritic_delay_fraction");
        }
        let interval = SynapseType::AntiHebbian(AntiHebbianSynapse { interval: 0.15, ..AntiHebbianSynapse::new(1.0, 0.0, 1.0, 0.5, 1.0) });
        assert_eq!(bad(interval).0, "interval");
    }
}
