//! Per-population spike statistics: mean rate, ISI CV, Fano factor of the population count,
//! fraction of active neurons and the peak of the population-rate spectrum.
//!
//! All statistics are computed over the window `(t_start_ms, t_stop_ms]` (spike times follow
//! the end-of-step convention, so a run of T ms has its spikes in (0, T]); spikes outside the
//! window are not counted. Binned quantities use bins `[t_start + k·b, t_start + (k+1)·b)` over
//! the whole bins of the window (a spike exactly at `t_stop` goes to the last bin):
//!
//! * **Fano factor**: variance / mean of the population spike count in bins of
//!   [`FANO_BIN_MS`] (population variance, divisor n); `None` with fewer than 2 bins or no spike.
//! * **Rate spectrum**: the population rate in bins of [`RATE_BIN_MS`] (Hz per neuron), mean
//!   removed, Welch's method: Hann-windowed segments of up to [`WELCH_SEGMENT_BINS`] bins (the
//!   largest power of two that fits the window), overlapping by half, periodograms averaged.
//!   The peak is the largest power at a frequency above 1 Hz, refined by a parabola through it
//!   and its two neighbours; `None` when the window has fewer than 64 bins or the rate is
//!   constant.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use serde::Serialize;
use thiserror::Error;

/// Bin of the population spike count whose Fano factor is reported, ms.
pub const FANO_BIN_MS: f64 = 10.0;
/// Bin of the population rate whose spectrum is analysed, ms (Nyquist frequency 500 Hz).
pub const RATE_BIN_MS: f64 = 1.0;
/// Longest Welch segment, in rate bins (1024 bins of 1 ms: a resolution of 0.98 Hz).
pub const WELCH_SEGMENT_BINS: usize = 1024;
/// Fewest rate bins for a spectrum.
const MIN_SPECTRUM_BINS: usize = 64;

/// Statistics of one population's spikes over a time window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationStats {
    /// Neurons whose spikes were counted (the population's recorded neurons).
    pub n_neurons: usize,
    /// Spikes in the window.
    pub n_spikes: usize,
    /// Mean firing rate per neuron, Hz.
    pub mean_rate_hz: f64,
    /// Coefficient of variation of the inter-spike intervals (standard deviation / mean,
    /// divisor n), averaged over neurons with ≥ 3 spikes; `None` if no neuron has 3.
    pub cv_isi: Option<f64>,
    /// Fano factor of the population spike count in bins of [`FANO_BIN_MS`].
    pub fano_factor: Option<f64>,
    /// Fraction of neurons with ≥ 1 spike, in [0, 1].
    pub fraction_active: f64,
    /// Frequency of the largest peak above 1 Hz of the population-rate power spectrum, Hz.
    pub rate_peak_hz: Option<f64>,
}

/// Input that statistics cannot be computed from.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    /// An argument breaks a rule: `what` names it, `rule` says what is wrong.
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument.
        what: String,
        /// The rule it breaks.
        rule: String,
    },
}

fn invalid(what: &str, rule: impl Into<String>) -> StatsError {
    StatsError::Invalid { what: what.into(), rule: rule.into() }
}

/// Statistics of `size` neurons whose spikes are (`spike_neurons[k]`, `spike_times_ms[k]`)
/// (any order; neuron indices in `0..size`), over the window `(t_start_ms, t_stop_ms]`.
/// See the module documentation for the bins and the spectrum.
pub fn population_stats(
    size: usize,
    spike_neurons: &[u32],
    spike_times_ms: &[f64],
    t_start_ms: f64,
    t_stop_ms: f64,
) -> Result<PopulationStats, StatsError> {
    if size == 0 {
        return Err(invalid("size", "must be ≥ 1 neuron"));
    }
    if spike_neurons.len() != spike_times_ms.len() {
        return Err(invalid(
            "spike_times_ms",
            format!("must have one time per spike neuron index ({} times for {} indices)", spike_times_ms.len(), spike_neurons.len()),
        ));
    }
    if !(t_start_ms.is_finite() && t_stop_ms.is_finite() && t_stop_ms > t_start_ms) {
        return Err(invalid("t_stop_ms", format!("must be finite and > t_start_ms (window {t_start_ms}..{t_stop_ms} ms)")));
    }
    if let Some(k) = spike_neurons.iter().position(|&n| n as usize >= size) {
        return Err(invalid("spike_neurons", format!("must be < size = {size} (spike {k} has neuron {})", spike_neurons[k])));
    }
    if let Some(k) = spike_times_ms.iter().position(|t| !t.is_finite()) {
        return Err(invalid("spike_times_ms", format!("must be finite (spike {k} has {})", spike_times_ms[k])));
    }
    let duration = t_stop_ms - t_start_ms;
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); size];
    let mut in_window = Vec::with_capacity(spike_times_ms.len());
    for (&n, &t) in spike_neurons.iter().zip(spike_times_ms) {
        if t > t_start_ms && t <= t_stop_ms {
            trains[n as usize].push(t);
            in_window.push(t);
        }
    }
    let n_spikes = in_window.len();
    let active = trains.iter().filter(|t| !t.is_empty()).count();
    let cvs: Vec<f64> = trains
        .iter_mut()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            t.sort_by(f64::total_cmp);
            cv(&t.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>())
        })
        .collect();
    let cv_isi = (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64);

    let fano_counts = bin_counts(&in_window, t_start_ms, duration, FANO_BIN_MS);
    let fano_factor = if fano_counts.len() >= 2 && n_spikes > 0 {
        let (m, v) = mean_var(&fano_counts);
        (m > 0.0).then_some(v / m)
    } else {
        None
    };
    let rate: Vec<f64> =
        bin_counts(&in_window, t_start_ms, duration, RATE_BIN_MS).iter().map(|c| c / size as f64 / (RATE_BIN_MS / 1000.0)).collect();
    Ok(PopulationStats {
        n_neurons: size,
        n_spikes,
        mean_rate_hz: n_spikes as f64 / size as f64 / (duration / 1000.0),
        cv_isi,
        fano_factor,
        fraction_active: active as f64 / size as f64,
        rate_peak_hz: spectrum_peak(&rate, RATE_BIN_MS),
    })
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (m, x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64)
}

fn cv(isi: &[f64]) -> f64 {
    let (m, v) = mean_var(isi);
    if m > 0.0 {
        v.sqrt() / m
    } else {
        0.0
    }
}

/// Counts in the whole bins of width `bin` ms from `t0`; a spike at the window's end joins the
/// last bin, spikes in a trailing partial bin are not counted.
fn bin_counts(times: &[f64], t0: f64, duration: f64, bin: f64) -> Vec<f64> {
    let n = (duration / bin + 1e-9).floor() as usize;
    let mut counts = vec![0.0; n];
    if n == 0 {
        return counts;
    }
    for &t in times {
        let k = ((t - t0) / bin).floor() as usize;
        if k < n {
            counts[k] += 1.0;
        } else if (t - t0 - n as f64 * bin).abs() < 1e-9 * bin.max(1.0) {
            counts[n - 1] += 1.0;
        }
    }
    counts
}

/// Welch power spectrum of `x` (sampled every `bin_ms` ms): (frequencies in Hz, power).
pub fn welch_spectrum(x: &[f64], bin_ms: f64) -> (Vec<f64>, Vec<f64>) {
    if x.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let mut len = 1usize << (usize::BITS - 1 - x.len().leading_zeros());
    len = len.min(WELCH_SEGMENT_BINS);
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let window: Vec<f64> = (0..len).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / len as f64).cos()).collect();
    let fft = FftPlanner::<f64>::new().plan_fft_forward(len);
    let mut power = vec![0.0; len / 2 + 1];
    let mut segments = 0usize;
    let mut start = 0usize;
    let mut buf = vec![Complex::new(0.0, 0.0); len];
    while start + len <= x.len() {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = Complex::new((x[start + i] - mean) * window[i], 0.0);
        }
        fft.process(&mut buf);
        for (p, b) in power.iter_mut().zip(&buf) {
            *p += b.norm_sqr();
        }
        segments += 1;
        start += len / 2;
    }
    let df = 1000.0 / (bin_ms * len as f64);
    let freqs = (0..power.len()).map(|j| j as f64 * df).collect();
    power.iter_mut().for_each(|p| *p /= segments as f64);
    (freqs, power)
}

fn spectrum_peak(rate: &[f64], bin_ms: f64) -> Option<f64> {
    if rate.len() < MIN_SPECTRUM_BINS {
        return None;
    }
    let (f, p) = welch_spectrum(rate, bin_ms);
    let (j, &pj) = p.iter().enumerate().filter(|&(j, _)| f[j] > 1.0).max_by(|a, b| a.1.total_cmp(b.1))?;
    if pj <= 1e-12 * p.iter().sum::<f64>().max(f64::MIN_POSITIVE) || pj == 0.0 {
        return None;
    }
    let df = f[1] - f[0];
    if j > 0 && j + 1 < p.len() {
        let (a, b, c) = (p[j - 1], pj, p[j + 1]);
        let denom = a - 2.0 * b + c;
        if denom < 0.0 {
            let delta = (0.5 * (a - c) / denom).clamp(-0.5, 0.5);
            return Some((j as f64 + delta) * df);
        }
    }
    Some(f[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a small deterministic generator for synthetic spike trains.
    struct Rng(u64);
    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Inhomogeneous Poisson trains by thinning: `rate(t)` in Hz, at most `max_rate`.
    fn poisson(n: usize, t_stop: f64, max_rate: f64, rate: impl Fn(f64) -> f64, seed: u64) -> (Vec<u32>, Vec<f64>) {
        let mut rng = Rng(seed);
        let (mut ids, mut times) = (Vec::new(), Vec::new());
        for i in 0..n {
            let mut t = 0.0;
            loop {
                t += -(1.0 - rng.uniform()).ln() / max_rate * 1000.0;
                if t > t_stop {
                    break;
                }
                if rng.uniform() * max_rate < rate(t) {
                    ids.push(i as u32);
                    times.push(t);
                }
            }
        }
        (ids, times)
    }

    #[test]
    fn poisson_process_has_cv_and_fano_near_one() {
        let (ids, times) = poisson(200, 20_000.0, 10.0, |_| 10.0, 1);
        let s = population_stats(200, &ids, &times, 0.0, 20_000.0).unwrap();
        assert_eq!(s.n_spikes, times.len());
        assert!((s.mean_rate_hz - 10.0).abs() < 0.2, "rate {}", s.mean_rate_hz);
        assert!((s.cv_isi.unwrap() - 1.0).abs() < 0.03, "cv {:?}", s.cv_isi);
        assert!((s.fano_factor.unwrap() - 1.0).abs() < 0.1, "fano {:?}", s.fano_factor);
        assert_eq!(s.fraction_active, 1.0);
    }

    #[test]
    fn regular_trains_have_zero_cv() {
        // Neuron i fires every 25 ms from 1 + 0.1·i ms: 40 Hz, perfectly regular.
        let (mut ids, mut times) = (Vec::new(), Vec::new());
        for i in 0..50u32 {
            for k in 0..40 {
                ids.push(i);
                times.push(1.0 + 0.1 * f64::from(i) + 25.0 * f64::from(k));
            }
        }
        let s = population_stats(100, &ids, &times, 0.0, 1000.0).unwrap();
        assert!(s.cv_isi.unwrap() < 1e-9, "cv {:?}", s.cv_isi);
        assert!((s.mean_rate_hz - 20.0).abs() < 1e-9, "rate {}", s.mean_rate_hz);
        assert_eq!(s.fraction_active, 0.5);
        // Every 25 ms the population fires a volley: a 40 Hz rate oscillation.
        assert!((s.rate_peak_hz.unwrap() - 40.0).abs() < 1.0, "peak {:?}", s.rate_peak_hz);
    }

    #[test]
    fn sinusoidal_rate_peaks_at_its_frequency() {
        for f0 in [7.0, 12.0, 33.0] {
            let rate = |t: f64| 20.0 * (1.0 + 0.8 * (2.0 * std::f64::consts::PI * f0 * t / 1000.0).sin());
            let (ids, times) = poisson(500, 4000.0, 36.0, rate, 7);
            let s = population_stats(500, &ids, &times, 0.0, 4000.0).unwrap();
            let peak = s.rate_peak_hz.unwrap();
            assert!((peak - f0).abs() < 0.5, "modulation at {f0} Hz, peak at {peak} Hz");
            assert!((s.mean_rate_hz - 20.0).abs() < 0.5, "rate {}", s.mean_rate_hz);
        }
    }

    #[test]
    fn silent_population() {
        let s = population_stats(30, &[], &[], 0.0, 500.0).unwrap();
        assert_eq!(
            s,
            PopulationStats {
                n_neurons: 30,
                n_spikes: 0,
                mean_rate_hz: 0.0,
                cv_isi: None,
                fano_factor: None,
                fraction_active: 0.0,
                rate_peak_hz: None
            }
        );
    }

    #[test]
    fn window_counts_spikes_in_start_exclusive_stop_inclusive() {
        let s = population_stats(1, &[0, 0, 0, 0], &[10.0, 10.5, 20.0, 20.5], 10.0, 20.0).unwrap();
        assert_eq!(s.n_spikes, 2);
        assert!((s.mean_rate_hz - 200.0).abs() < 1e-9);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let e = population_stats(10, &[1, 2], &[1.0], 0.0, 10.0).unwrap_err();
        assert!(e.to_string().starts_with("spike_times_ms: must have one time"), "{e}");
        let e = population_stats(10, &[10], &[1.0], 0.0, 10.0).unwrap_err();
        assert!(e.to_string().contains("spike_neurons: must be < size = 10"), "{e}");
        let e = population_stats(10, &[], &[], 5.0, 5.0).unwrap_err();
        assert!(e.to_string().starts_with("t_stop_ms"), "{e}");
        let e = population_stats(0, &[], &[], 0.0, 5.0).unwrap_err();
        assert!(e.to_string().starts_with("size"), "{e}");
        let e = population_stats(2, &[0], &[f64::NAN], 0.0, 5.0).unwrap_err();
        assert!(e.to_string().starts_with("spike_times_ms: must be finite"), "{e}");
    }
}
