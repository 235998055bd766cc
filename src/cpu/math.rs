//! Mirrors of `shaders/shared/math.wgsl` and the normal deviate of `philox.wgsl`: the same
//! f32 operations in the same order, so the CPU gives the GPU's bits.
// The literals are the WGSL file's text, digit for digit, so both sides round them alike.
#![allow(clippy::excessive_precision)]

use crate::random::{philox4x32, u01_f32};

// The literal of shaders/shared/math.wgsl, not std's constant: both sides must round the same text.
#[allow(clippy::approx_constant)]
const LOG2_E: f32 = 1.442_695_04;
const LN2_HI: f32 = 0.693_145_752;
const LN2_LO: f32 = 1.428_606_77e-6;

/// Round half to even, like WGSL's `round`, for |x| < 2^22: adding and subtracting 1.5·2^23
/// leaves the nearest integer (IEEE round-to-nearest-even). Branch-free and without a libm
/// call, so loops using it vectorize.
#[inline(always)]
pub fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// spikeflow's exp (Cody–Waite reduction, degree-6 polynomial); mirrors `sf_exp`.
#[inline(always)]
pub fn sf_exp(x_in: f32) -> f32 {
    let x = x_in.clamp(-87.0, 88.0);
    let n = round_even(x * LOG2_E);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (0.166_666_672 + r * (0.041_666_641_8 + r * (0.008_333_333_77 + r * 0.001_388_888_92)))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Irwin–Hall normal deviate; mirrors `normal_irwin_hall`.
pub fn normal_irwin_hall(counter: [u32; 3], key: [u32; 2]) -> f32 {
    let mut sum = 0.0f32;
    for j in 0..3 {
        let r = philox4x32([counter[0], counter[1], counter[2], j], key);
        for x in r {
            sum += u01_f32(x);
        }
    }
    sum - 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sf_exp_is_accurate() {
        let mut worst = 0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((f64::from(sf_exp(x)) - f64::from(x).exp()) / f64::from(x).exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(sf_exp(0.0), 1.0);
    }

    #[test]
    fn round_even_matches_round_ties_even() {
        for k in -2000..2000 {
            let x = k as f32 * 0.25 + 0.0001 * (k % 3) as f32;
            assert_eq!(round_even(x), x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn irwin_hall_moments() {
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|i| f64::from(normal_irwin_hall([i, 7, 0], [1, 2]))).collect();
        let m = xs.iter().sum::<f64>() / f64::from(n);
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / f64::from(n);
        assert!(m.abs() < 0.04 && (v - 1.0).abs() < 0.05, "mean {m} var {v}");
    }
}
