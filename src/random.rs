//! Counter-based random numbers (Philox4x32-10) and PyNN's `RandomDistribution`.
//!
//! Every random number in spikeflow comes from Philox4x32-10 (Salmon et al. 2011), keyed by the
//! simulation seed. A number is a pure function of (seed, counter), so the GPU kernels
//! (`shaders/shared/philox.wgsl`) and the CPU back end draw exactly the same values in any thread
//! order. Host-side construction (parameters, connectivity) uses sequential streams of the same
//! generator, one stream per purpose ([`Stream`]), so adding a projection never changes the
//! numbers drawn for another.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Philox4x32 multiplier of counter word 0.
pub(crate) const PHILOX_M0: u32 = 0xD251_1F53;
/// Philox4x32 multiplier of counter word 2.
pub(crate) const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Philox4x32 key increment (golden ratio).
pub(crate) const PHILOX_W0: u32 = 0x9E37_79B9;
/// Philox4x32 key increment (√3 − 1).
pub(crate) const PHILOX_W1: u32 = 0xBB67_AE85;

/// Errors of distribution parameters.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RandomError {
    /// A distribution parameter breaks its rule.
    #[error("RandomDistribution {distribution}: {field} {rule} (got {value})")]
    BadParameter {
        /// Distribution name (PyNN's).
        distribution: &'static str,
        /// Parameter name.
        field: &'static str,
        /// The rule it breaks.
        rule: &'static str,
        /// The offending value.
        value: f64,
    },
}

/// Philox4x32-10: four 32-bit outputs from a 128-bit counter and a 64-bit key.
///
/// Mirrors `philox4x32` in `shaders/shared/philox.wgsl` bit for bit.
#[must_use]
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c[0]);
        let p1 = u64::from(PHILOX_M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Key words of a 64-bit seed.
#[must_use]
pub fn seed_key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// A u32 mapped to a uniform f32 in [0, 1) with 24 bits; mirrors `u01_f32` in WGSL.
#[must_use]
pub fn u01_f32(x: u32) -> f32 {
    (x >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// What a host-side random stream is used for; each purpose and owner gets its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Parameter `param` of population `pop`.
    Parameter {
        /// Population index.
        pop: u32,
        /// Index of the parameter in the model's list.
        param: u32,
    },
    /// Initial value of state variable `var` of population `pop`.
    Initial {
        /// Population index.
        pop: u32,
        /// Index of the state variable.
        var: u32,
    },
    /// Connectivity of projection `proj`.
    Connector {
        /// Projection index.
        proj: u32,
    },
    /// Weights of projection `proj`.
    Weight {
        /// Projection index.
        proj: u32,
    },
    /// Delays of projection `proj`.
    Delay {
        /// Projection index.
        proj: u32,
    },
    /// Fixed-pattern deviation `quantity` of the emulated BrainScaleS-2 chip
    /// (`crate::brainscales::Chip`; the seed is the chip's).
    Chip {
        /// Which deviation (one stream per quantity, drawn for all circuits in order).
        quantity: u32,
    },
}

impl Stream {
    /// The 64-bit stream number (the upper counter words); kernel streams use other tags.
    #[must_use]
    pub fn id(self) -> u64 {
        let (tag, a, b) = match self {
            Stream::Parameter { pop, param } => (1u64, pop, param),
            Stream::Initial { pop, var } => (2, pop, var),
            Stream::Connector { proj } => (3, proj, 0),
            Stream::Weight { proj } => (4, proj, 0),
            Stream::Delay { proj } => (5, proj, 0),
            Stream::Chip { quantity } => (6, quantity, 0),
        };
        (tag << 56) | (u64::from(a) << 24) | u64::from(b)
    }
}

/// Tags of the random streams drawn inside kernels (third counter word's high byte).
pub mod kernel_stream {
    /// SpikeSourcePoisson: counter (step, neuron, POISSON, 0).
    pub const POISSON: u32 = 0x0100_0000;
    /// NoisyCurrentSource: counter (interval, neuron, NOISE | source, 0).
    pub const NOISE: u32 = 0x0200_0000;
    /// PoissonInput: counter (step, neuron, POISSON_INPUT | input, 0).
    pub const POISSON_INPUT: u32 = 0x0400_0000;
    /// Connectivity construction: counter (item, draw, CONSTRUCT | projection,
    /// purpose << 24 | block) (`shaders/construct.wgsl`, `cpu::construct`).
    pub const CONSTRUCT: u32 = 0x0300_0000;
    /// Construction purpose (fourth word's high byte, ≥ 0x80 so that no host stream, whose
    /// fourth word's high byte is its tag 1–6, can produce the same counter): connector draws.
    pub const PURPOSE_CONNECT: u32 = 0x81;
    /// Construction purpose: a synapse's weight.
    pub const PURPOSE_WEIGHT: u32 = 0x82;
    /// Construction purpose: a synapse's delay.
    pub const PURPOSE_DELAY: u32 = 0x83;
}

/// A sequential host-side generator over one Philox stream.
#[derive(Debug, Clone)]
pub struct Rng {
    key: [u32; 2],
    stream: u64,
    counter: u64,
    buf: [u32; 4],
    used: usize,
}

impl Rng {
    /// The stream `stream` of the simulation seeded by `seed`.
    #[must_use]
    pub fn new(seed: u64, stream: Stream) -> Self {
        Self { key: seed_key(seed), stream: stream.id(), counter: 0, buf: [0; 4], used: 4 }
    }

    /// Next raw 32-bit value.
    pub fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            let c = self.counter;
            let s = self.stream;
            self.buf = philox4x32([c as u32, (c >> 32) as u32, s as u32, (s >> 32) as u32], self.key);
            self.counter += 1;
            self.used = 0;
        }
        let v = self.buf[self.used];
        self.used += 1;
        v
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        let hi = u64::from(self.next_u32()) << 21;
        let lo = u64::from(self.next_u32() >> 11);
        (hi | lo) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in [0, n) without modulo bias (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        if n <= u64::from(u32::MAX) {
            // Lemire's multiply-and-reject on 32 bits.
            let n32 = n as u32;
            loop {
                let m = u64::from(self.next_u32()) * u64::from(n32);
                let lo = m as u32;
                if lo >= n32.wrapping_neg() % n32 {
                    return m >> 32;
                }
            }
        }
        let span = u64::MAX - (u64::MAX % n);
        loop {
            let v = (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32());
            if v < span {
                return v % n;
            }
        }
    }

    /// Standard normal deviate (Box–Muller, host precision).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// PyNN's `RandomDistribution`: per-neuron parameters and per-synapse weights and delays.
///
/// Parameter names follow PyNN (`mu`, `sigma`, `low`, `high`, `beta`, `k`, `theta`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum RandomDistribution {
    /// Normal(mu, sigma).
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation (≥ 0).
        sigma: f64,
    },
    /// Normal(mu, sigma) redrawn until it falls in [low, high] (PyNN's `normal_clipped`).
    NormalClipped {
        /// Mean.
        mu: f64,
        /// Standard deviation (≥ 0).
        sigma: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal(mu, sigma) with values outside [low, high] set to the bound (`normal_clipped_to_boundary`).
    NormalClippedToBoundary {
        /// Mean.
        mu: f64,
        /// Standard deviation (≥ 0).
        sigma: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Uniform in [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (> low).
        high: f64,
    },
    /// Uniform integer in [low, high] (both included, as numpy's `randint(low, high + 1)`).
    UniformInt {
        /// Lowest value.
        low: i64,
        /// Highest value (≥ low).
        high: i64,
    },
    /// Exponential with mean `beta`.
    Exponential {
        /// Mean (> 0).
        beta: f64,
    },
    /// Log-normal: exp(Normal(mu, sigma)).
    Lognormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal (≥ 0).
        sigma: f64,
    },
    /// Gamma with shape `k` and scale `theta`.
    Gamma {
        /// Shape (> 0).
        k: f64,
        /// Scale (> 0).
        theta: f64,
    },
}

impl RandomDistribution {
    /// PyNN's name of the distribution.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Normal { .. } => "normal",
            Self::NormalClipped { .. } => "normal_clipped",
            Self::NormalClippedToBoundary { .. } => "normal_clipped_to_boundary",
            Self::Uniform { .. } => "uniform",
            Self::UniformInt { .. } => "uniform_int",
            Self::Exponential { .. } => "exponential",
            Self::Lognormal { .. } => "lognormal",
            Self::Gamma { .. } => "gamma",
        }
    }

    /// `normal(mu, sigma)`.
    #[must_use]
    pub fn normal(mu: f64, sigma: f64) -> Self {
        Self::Normal { mu, sigma }
    }

    /// `normal_clipped(mu, sigma, low, high)`.
    #[must_use]
    pub fn normal_clipped(mu: f64, sigma: f64, low: f64, high: f64) -> Self {
        Self::NormalClipped { mu, sigma, low, high }
    }

    /// `uniform(low, high)`.
    #[must_use]
    pub fn uniform(low: f64, high: f64) -> Self {
        Self::Uniform { low, high }
    }

    /// `uniform_int(low, high)`, both ends included.
    #[must_use]
    pub fn uniform_int(low: i64, high: i64) -> Self {
        Self::UniformInt { low, high }
    }

    /// `exponential(beta)` with mean beta.
    #[must_use]
    pub fn exponential(beta: f64) -> Self {
        Self::Exponential { beta }
    }

    /// Check the distribution's own parameters.
    pub fn validate(&self) -> Result<(), RandomError> {
        let name = self.name();
        let bad = |field, rule, value| Err(RandomError::BadParameter { distribution: name, field, rule, value });
        let finite = |field: &'static str, v: f64| -> Result<(), RandomError> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(RandomError::BadParameter { distribution: name, field, rule: "must be finite", value: v })
            }
        };
        match *self {
            Self::Normal { mu, sigma } | Self::Lognormal { mu, sigma } => {
                finite("mu", mu)?;
                finite("sigma", sigma)?;
                if sigma < 0.0 {
                    return bad("sigma", "must be ≥ 0", sigma);
                }
            }
            Self::NormalClipped { mu, sigma, low, high } | Self::NormalClippedToBoundary { mu, sigma, low, high } => {
                finite("mu", mu)?;
                finite("sigma", sigma)?;
                if sigma < 0.0 {
                    return bad("sigma", "must be ≥ 0", sigma);
                }
                if low.is_nan() || high.is_nan() || low > high {
                    return bad("high", "must be ≥ low", high);
                }
                if matches!(self, Self::NormalClipped { .. }) && sigma == 0.0 && !(low..=high).contains(&mu) {
                    return bad("mu", "must lie in [low, high] when sigma is 0", mu);
                }
            }
            Self::Uniform { low, high } => {
                finite("low", low)?;
                finite("high", high)?;
                if high <= low {
                    return bad("high", "must be > low", high);
                }
            }
            Self::UniformInt { low, high } => {
                if high < low {
                    return bad("high", "must be ≥ low", high as f64);
                }
            }
            Self::Exponential { beta } => {
                if !(beta > 0.0 && beta.is_finite()) {
                    return bad("beta", "must be finite and > 0", beta);
                }
            }
            Self::Gamma { k, theta } => {
                if !(k > 0.0 && k.is_finite()) {
                    return bad("k", "must be finite and > 0", k);
                }
                if !(theta > 0.0 && theta.is_finite()) {
                    return bad("theta", "must be finite and > 0", theta);
                }
            }
        }
        Ok(())
    }

    /// Draw one value. The distribution must have passed [`validate`](Self::validate).
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match *self {
            Self::Normal { mu, sigma } => mu + sigma * rng.normal(),
            Self::NormalClipped { mu, sigma, low, high } => {
                // Redraw; after many misses fall back to the inverse-CDF-free clamp so a
                // distribution with almost no mass in [low, high] cannot hang the build.
                for _ in 0..10_000 {
                    let v = mu + sigma * rng.normal();
                    if (low..=high).contains(&v) {
                        return v;
                    }
                }
                mu.clamp(low, high)
            }
            Self::NormalClippedToBoundary { mu, sigma, low, high } => (mu + sigma * rng.normal()).clamp(low, high),
            Self::Uniform { low, high } => low + (high - low) * rng.uniform(),
            Self::UniformInt { low, high } => {
                let span = (high - low) as u64 + 1;
                (low + rng.below(span) as i64) as f64
            }
            Self::Exponential { beta } => -beta * (1.0 - rng.uniform()).ln(),
            Self::Lognormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
            Self::Gamma { k, theta } => theta * gamma_unit(k, rng),
        }
    }
}

/// Gamma(k, 1) by Marsaglia & Tsang (2000), with the k < 1 boost.
fn gamma_unit(k: f64, rng: &mut Rng) -> f64 {
    if k < 1.0 {
        let u = 1.0 - rng.uniform();
        return gamma_unit(k + 1.0, rng) * u.powf(1.0 / k);
    }
    let d = k - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.uniform();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answer() {
        // Random123's published known-answer vectors for philox4x32_10.
        assert_eq!(philox4x32([0, 0, 0, 0], [0, 0]), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
        assert_eq!(philox4x32([u32::MAX; 4], [u32::MAX; 2]), [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]);
        assert_eq!(
            philox4x32([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let n = 200_000;
        let cases = [
            (RandomDistribution::normal(-65.0, 2.0), -65.0, 2.0),
            (RandomDistribution::uniform(-60.0, -50.0), -55.0, 10.0 / 12f64.sqrt()),
            (RandomDistribution::exponential(3.0), 3.0, 3.0),
            (RandomDistribution::uniform_int(1, 6), 3.5, (35.0f64 / 12.0).sqrt()),
            (RandomDistribution::Gamma { k: 2.0, theta: 1.5 }, 3.0, (2.0f64).sqrt() * 1.5),
        ];
        for (i, (d, mean, sd)) in cases.iter().enumerate() {
            d.validate().unwrap();
            let mut rng = Rng::new(7, Stream::Connector { proj: i as u32 });
            let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
            assert!((m - mean).abs() < 5.0 * sd / (n as f64).sqrt(), "{}: mean {m} vs {mean}", d.name());
            assert!((v.sqrt() - sd).abs() / sd < 0.02, "{}: sd {} vs {sd}", d.name(), v.sqrt());
        }
        let d = RandomDistribution::normal_clipped(0.0, 1.0, -0.5, 2.0);
        let mut rng = Rng::new(1, Stream::Delay { proj: 0 });
        assert!((0..10_000).map(|_| d.sample(&mut rng)).all(|x| (-0.5..=2.0).contains(&x)));
    }

    #[test]
    fn bad_distribution_parameters_are_named() {
        let e = RandomDistribution::uniform(1.0, 1.0).validate().unwrap_err();
        assert!(e.to_string().contains("high must be > low"), "{e}");
        let e = RandomDistribution::normal(0.0, -1.0).validate().unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
    }
}
