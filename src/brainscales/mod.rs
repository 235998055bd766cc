//! BrainScaleS-2 emulation: the HXNeuron in hardware units on an emulated chip with
//! fixed-pattern mismatch, per-neuron calibration tables, calibrated cell types and a session
//! in hardware time.
//!
//! * [`chip`]: [`Chip`] — 512 neuron circuits, each with seeded deviations from the nominal
//!   transfer functions (hardware value → biological quantity); the CADC's LSB ↔ mV map.
//! * [`calibration`]: [`ChipCalibration`] — per-neuron monotone tables measured on a chip,
//!   interpolated, inverted, saved and loaded as JSON (the chip's "nightly calibration").
//! * [`calib`]: [`CalibHXNeuronCuba`] / [`CalibHXNeuronCoba`] — targets → per-neuron hardware
//!   values, with what each neuron achieves.
//! * [`session`]: [`Session`] — `run(0.1)` is 0.1 ms hardware (100 ms biological); spike times
//!   in both time bases, v in mV and LSB; `strict` mode for the chip's limits.
//! * [`measure`]: v_leak, tau_m, v_thresh and tau_refrac measured from simulated traces.
//!
//! The cell type itself is [`crate::model::HxNeuron`] (kernel `integrate_hx_neuron`): its
//! kernel runs on biological-unit parameters that the host computes from the hardware values
//! through the circuit's transfer functions. docs/brainscales.md describes the whole design.

pub mod calib;
pub mod calibration;
pub mod chip;
pub mod measure;
pub mod session;

pub use calib::{Achieved, CalibError, CalibHXNeuronCoba, CalibHXNeuronCuba, Calibrated};
pub use calibration::{CalibrationError, ChipCalibration, NeuronCalibration, Table};
pub use chip::{cadc, Chip, Circuit, N_CIRCUITS, SPEEDUP};
pub use measure::{measure, Measured};
pub use session::{HxSegment, HxSpikeTrain, HxTrace, Session, SessionBuilder, SessionError};

/// The neuron of BrainScaleS-2's introductory PyNN tutorial, in hardware units: leak_v_leak
/// 400, leak_i_bias 200, threshold_v_threshold 400 (enabled), refractory_time 100,
/// reset_v_reset 300, reset_i_bias 1000, capacitance 63; the rest at their defaults
/// (examples/brainscales_intro.rs, zoo:brainscales_intro).
pub fn tutorial_neuron() -> crate::model::HxNeuron {
    crate::model::HxNeuron {
        leak_v_leak: 400.0.into(),
        leak_i_bias: 200.0.into(),
        threshold_v_threshold: 400.0.into(),
        threshold_enable: 1.0.into(),
        refractory_period_refractory_time: 100.0.into(),
        reset_v_reset: 300.0.into(),
        reset_i_bias: 1000.0.into(),
        membrane_capacitance_capacitance: 63.0.into(),
        ..crate::model::HxNeuron::default()
    }
}
