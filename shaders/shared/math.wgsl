// spikeflow's own exp: Cody-Waite range reduction and a degree-6 polynomial, only + and *,
// so GPU and CPU (spikeflow::cpu::math::sf_exp) give the same bits. Relative error < 2e-7.
const LOG2_E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145752;
const LN2_LO: f32 = 1.42860677e-6;

fn sf_exp(x_in: f32) -> f32 {
    let x = clamp(x_in, -87.0, 88.0);
    let n = round(x * LOG2_E);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (0.166666672 + r * (0.0416666418 + r * (0.00833333377 + r * 0.00138888892)))));
    return p * bitcast<f32>(u32(i32(n) + 127) << 23u);
}
