// Philox4x32-10 counter-based RNG (Salmon et al. 2011). Mirrors spikeflow::random::philox4x32.
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// Tags of the kernel streams (third counter word). Mirrors spikeflow::random::kernel_stream.
const STREAM_POISSON: u32 = 0x01000000u;
const STREAM_NOISE: u32 = 0x02000000u;

// 32x32 -> 64-bit product as (hi, lo) from 16-bit halves (WGSL has no mulhi).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let cross = (lo_lo >> 16u) + (hi_lo & 0xFFFFu) + lo_hi;
    let hi = hi_hi + (hi_lo >> 16u) + (cross >> 16u);
    let lo = (cross << 16u) | (lo_lo & 0xFFFFu);
    return vec2<u32>(hi, lo);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round++) {
        if (round > 0u) {
            k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
        }
        let p0 = mulhilo(PHILOX_M0, c.x);
        let p1 = mulhilo(PHILOX_M1, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// Uniform in [0, 1) with 24 bits. Mirrors spikeflow::random::u01_f32.
fn u01(x: u32) -> f32 {
    return f32(x >> 8u) * (1.0 / 16777216.0);
}

// Standard normal by Irwin-Hall (sum of 12 uniforms - 6): only additions, so every device
// gives the same bits; tails end at 6 sigma. Mirrors spikeflow::cpu::math::normal_irwin_hall.
fn normal_irwin_hall(counter: vec3<u32>, key: vec2<u32>) -> f32 {
    var sum = 0.0;
    for (var j = 0u; j < 3u; j++) {
        let r = philox4x32(vec4<u32>(counter, j), key);
        sum = sum + u01(r.x);
        sum = sum + u01(r.y);
        sum = sum + u01(r.z);
        sum = sum + u01(r.w);
    }
    return sum - 6.0;
}
