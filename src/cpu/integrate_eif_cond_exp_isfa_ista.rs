//! Mirror of `shaders/integrate_eif_cond_exp_isfa_ista.wgsl`: the AdEx step of
//! [`super::adex`] with exponential synapses (arriving weights add to g; no rise variable).

use super::adex::{integrate_adex, Synapse};
use super::population::{Globals, PopBuffers};

/// One step of every neuron of an EIF_cond_exp_isfa_ista population.
pub fn integrate_eif_cond_exp_isfa_ista(g: &mut Globals, b: &mut PopBuffers) {
    integrate_adex(g, b, Synapse::Exp);
}
