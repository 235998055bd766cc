//! Calibrate an emulated BrainScaleS-2 chip of 512 neurons (fixed seed) to the
//! CalibHXNeuronCuba defaults and report, before and after, the worst relative error over all
//! neurons of each calibrated quantity against its target. tau_m, v_leak, v_thresh and
//! tau_refrac are measured from simulated traces (brainscales::measure); v_reset, tau_syn and
//! the weight scale from the chip's tables. "Before" gives every neuron the same hardware
//! values (those the ideal chip would need); "after" gives each neuron its calibration.
//! Prints one JSON object on the last line: {"neurons": 512, "before": {...}, "after": {...}}.
//!
//! `cargo run --release --example calibrate -- [--backend cpu|gpu] [--chip 7] [--save cal.json]`

use anyhow::Result;
use clap::Parser;
use spikeflow::brainscales::{measure, CalibHXNeuronCuba, Calibrated, Chip, ChipCalibration, Circuit, Session, N_CIRCUITS};
use spikeflow::model::hx_neuron::{biological, HwConfig};
use spikeflow::model::Param;
use spikeflow::Backend;

#[derive(Parser)]
#[command(about = "Calibrate 512 emulated BrainScaleS-2 neurons; worst errors before and after")]
struct Args {
    /// gpu or cpu.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed of the emulated chip.
    #[arg(long, default_value_t = 7)]
    chip: u64,
    /// Also save the chip's calibration tables (JSON) here.
    #[arg(long)]
    save: Option<std::path::PathBuf>,
}

/// Worst relative error of the table-derived quantities (v_reset, tau_syn_E/I, weight scale
/// E/I) of `cell` on `chip` against the targets.
fn table_errors(cell: &Calibrated, chip: &Chip, t: &CalibHXNeuronCuba) -> serde_json::Value {
    let params = cell.cell.params();
    let ideal = Circuit::ideal();
    let (mut reset, mut tau, mut gm) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..N_CIRCUITS {
        let mut v = [0.0; 32];
        for (j, p) in params.iter().enumerate() {
            v[j] = match p {
                Param::Const(x) => *x,
                Param::Array(a) => a[i],
                Param::Random(_) => unreachable!("calibrations give constants or arrays"),
            };
        }
        let hw = HwConfig(v);
        let c = chip.circuit(i);
        let b = biological(c, &hw);
        let lsb = spikeflow::brainscales::cadc::mv_to_lsb(b.v_reset);
        reset = reset.max(((lsb - t.v_reset) / t.v_reset).abs());
        tau = tau.max(((b.tau_syn[0] - t.tau_syn_e) / t.tau_syn_e).abs()).max(((b.tau_syn[1] - t.tau_syn_i) / t.tau_syn_i).abs());
        for ch in 0..2 {
            let want = ideal.weight_scale_na(ch, t.i_synin_gm);
            let got = c.weight_scale_na(ch, hw.get(if ch == 0 { "excitatory_input_i_bias_gm" } else { "inhibitory_input_i_bias_gm" }));
            gm = gm.max(((got - want) / want).abs());
        }
    }
    serde_json::json!({ "v_reset": reset, "tau_syn": tau, "weight_scale": gm })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let target = CalibHXNeuronCuba::default();
    let chip = Chip::new(args.chip);
    let tables = ChipCalibration::measure(&chip);
    if let Some(path) = &args.save {
        tables.save(path)?;
        eprintln!("saved the calibration tables to {}", path.display());
    }
    let after_cell = target.calibrate(&tables, 0..N_CIRCUITS)?;
    // Uncalibrated: the ideal chip's values, the same on every circuit of the real chip.
    let mut before_cell = target.calibrate(&ChipCalibration::measure(&Chip::ideal()), 0..N_CIRCUITS)?;
    before_cell.cell.placement.chip_seed = Some(args.chip);

    let builder = || Session::builder().backend(args.backend).chip(args.chip);
    let targets = [target.v_leak, target.tau_m, target.v_thresh, target.tau_refrac];
    let t0 = std::time::Instant::now();
    let mut report = serde_json::Map::new();
    for (name, cell) in [("before", &before_cell), ("after", &after_cell)] {
        let m = measure(&cell.cell, N_CIRCUITS, builder, target.tau_m)?;
        let w = m.worst_relative_error(targets);
        let mut o = serde_json::json!({ "v_leak": w[0], "tau_m": w[1], "v_thresh": w[2], "tau_refrac": w[3] });
        if let (Some(o), serde_json::Value::Object(extra)) = (o.as_object_mut(), table_errors(cell, &chip, &target)) {
            o.extend(extra);
        }
        eprintln!("{name}: {o}");
        report.insert(name.into(), o);
    }
    eprintln!("measured from simulation in {:.1} s on {}", t0.elapsed().as_secs_f64(), args.backend);
    println!(
        "{}",
        serde_json::json!({
            "neurons": N_CIRCUITS,
            "chip_seed": args.chip,
            "backend": args.backend.to_string(),
            "targets": target,
            "measured_from_simulation": ["tau_m", "v_leak", "v_thresh", "tau_refrac"],
            "from_tables": ["v_reset", "tau_syn", "weight_scale"],
            "before": report["before"],
            "after": report["after"],
        })
    );
    Ok(())
}
