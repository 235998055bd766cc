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
    const MAGIC: f32 = 12_582_912.0;
    let x = x_in.clamp(-87.0, 88.0);
    // round_even(x · log2 e), keeping the intermediate: for |n| < 2^22 the low bits of
    // t = x · log2 e + 1.5·2^23 hold n in two's complement, so the integer comes from the bits
    // (the shader's `i32(n)`) without a float → int conversion, which does not vectorize
    // (Rust's saturating `as` is scalar code per lane). n ∈ [−126, 127] here.
    let t = x * LOG2_E + MAGIC;
    let n = t - MAGIC;
    let n_int = t.to_bits().wrapping_sub(0x4B40_0000) as i32;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (0.166_666_672 + r * (0.041_666_641_8 + r * (0.008_333_333_77 + r * 0.001_388_888_92)))));
    p * f32::from_bits(((n_int + 127) as u32) << 23)
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

/// Lanes of [`normal_irwin_hall_x8`].
pub const LANES: usize = 8;

/// [`normal_irwin_hall`] of 8 counters `(c0[l], c1[l], c2[l])` at once: the same operations per
/// lane in the same order (same bits), written lane by lane so that LLVM vectorizes the 30
/// Philox rounds (32×32→64-bit multiplies) across lanes. Compiled for AVX2 when the CPU has it.
pub fn normal_irwin_hall_x8(c0: [u32; LANES], c1: [u32; LANES], c2: [u32; LANES], key: [u32; 2]) -> [f32; LANES] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked above); the body is plain safe Rust.
        return unsafe { normal_irwin_hall_x8_avx2(c0, c1, c2, key) };
    }
    normal_irwin_hall_x8_body(c0, c1, c2, key)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn normal_irwin_hall_x8_avx2(c0: [u32; LANES], c1: [u32; LANES], c2: [u32; LANES], key: [u32; 2]) -> [f32; LANES] {
    normal_irwin_hall_x8_body(c0, c1, c2, key)
}

#[inline(always)]
fn normal_irwin_hall_x8_body(c0: [u32; LANES], c1: [u32; LANES], c2: [u32; LANES], key: [u32; 2]) -> [f32; LANES] {
    let mut sum = [0.0f32; LANES];
    for j in 0..3u32 {
        let c = philox4x32_x8_body([c0, c1, c2, [j; LANES]], key);
        for word in &c {
            for l in 0..LANES {
                sum[l] += u01_f32(word[l]);
            }
        }
    }
    sum.map(|x| x - 6.0)
}

/// [`philox4x32`] of 8 counters at once, lane `l` of word `w` in `c[w][l]`: the same bits,
/// vectorized across lanes (compiled for AVX2 when the CPU has it).
pub fn philox4x32_x8(c: [[u32; LANES]; 4], key: [u32; 2]) -> [[u32; LANES]; 4] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked above); the body is plain safe Rust.
        return unsafe { philox4x32_x8_avx2(c, key) };
    }
    philox4x32_x8_body(c, key)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn philox4x32_x8_avx2(c: [[u32; LANES]; 4], key: [u32; 2]) -> [[u32; LANES]; 4] {
    philox4x32_x8_body(c, key)
}

/// The Philox rounds lane by lane (mirrors `philox4x32`).
#[inline(always)]
fn philox4x32_x8_body(mut c: [[u32; LANES]; 4], key: [u32; 2]) -> [[u32; LANES]; 4] {
    use crate::random::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let mut next = [[0u32; LANES]; 4];
        for l in 0..LANES {
            let p0 = u64::from(PHILOX_M0) * u64::from(c[0][l]);
            let p1 = u64::from(PHILOX_M1) * u64::from(c[2][l]);
            next[0][l] = ((p1 >> 32) as u32) ^ c[1][l] ^ k[0];
            next[1][l] = p1 as u32;
            next[2][l] = ((p0 >> 32) as u32) ^ c[3][l] ^ k[1];
            next[3][l] = p0 as u32;
        }
        c = next;
    }
    c
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

    /// The bit trick for the exponent's integer gives `round_even(x · log2 e) as i32` over the
    /// whole clamped range.
    #[test]
    fn sf_exp_exponent_from_bits_matches_conversion() {
        let mut x = -90.0f32;
        while x < 90.0 {
            let xc = x.clamp(-87.0, 88.0);
            let n = round_even(xc * LOG2_E);
            let t = xc * LOG2_E + 12_582_912.0;
            assert_eq!(t.to_bits().wrapping_sub(0x4B40_0000) as i32, n as i32, "{x}");
            x += 0.001;
        }
    }

    #[test]
    fn round_even_matches_round_ties_even() {
        for k in -2000..2000 {
            let x = k as f32 * 0.25 + 0.0001 * (k % 3) as f32;
            assert_eq!(round_even(x), x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn philox_x8_matches_scalar() {
        let c: [[u32; LANES]; 4] = std::array::from_fn(|w| std::array::from_fn(|l| (w as u32 + 1).wrapping_mul(0x9E37_79B9) ^ l as u32));
        let out = philox4x32_x8(c, [7, u32::MAX]);
        for l in 0..LANES {
            let r = philox4x32([c[0][l], c[1][l], c[2][l], c[3][l]], [7, u32::MAX]);
            for w in 0..4 {
                assert_eq!(out[w][l], r[w], "lane {l} word {w}");
            }
        }
    }

    #[test]
    fn irwin_hall_x8_matches_scalar() {
        for base in [0u32, 1000, u32::MAX - 20] {
            let c0 = std::array::from_fn(|l| base.wrapping_add(l as u32 * 7));
            let c1 = std::array::from_fn(|l| 3 * l as u32 + 11);
            let c2 = std::array::from_fn(|l| 0x0200_0000 | l as u32);
            let z = normal_irwin_hall_x8(c0, c1, c2, [0xDEAD_BEEF, 42]);
            for l in 0..LANES {
                assert_eq!(z[l].to_bits(), normal_irwin_hall([c0[l], c1[l], c2[l]], [0xDEAD_BEEF, 42]).to_bits(), "lane {l}");
            }
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
