//! The JSON report shared by the network benchmarks (`bench_pd14`, `bench_coba_scaling`,
//! `bench_izhikevich`; issue 7): one object with the same keys for every model.

use crate::network::build::BuiltNetwork;
use crate::{Error, PopulationId, PopulationView, Simulation};
use serde::Serialize;
use std::collections::BTreeMap;

/// One benchmark result, printed as the last line of a benchmark binary.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Model name (`pd14`, `coba`, `izhikevich2003`).
    pub model: String,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// The adapter (device) name; `cpu` for the CPU back end.
    pub adapter: String,
    /// Neurons, not counting spike sources.
    pub neurons: usize,
    /// Synapses (static and plastic; those from spike sources included).
    pub synapses: usize,
    /// Simulated biological time, ms.
    pub bio_ms: f64,
    /// Wall time of the network build and back-end creation, s.
    pub build_s: f64,
    /// Wall time of `Simulation::run` (including readback and decoding of recorded spikes), s.
    pub sim_s: f64,
    /// Real-time factor: `sim_s` / biological seconds.
    pub rtf: f64,
    /// Synaptic events delivered per wall second: Σ spikes × out-degree over `sim_s`.
    pub events_per_s: f64,
    /// Bytes of static connectivity (row pointers, packed target+delay, weight) per synapse.
    pub bytes_per_synapse: f64,
    /// Where the static CSR was assembled: `kernel` (the `construct` kernel) or `host`.
    pub csr_assembly: String,
    /// Where the build's time went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_phases: Option<crate::sim::BuildPhases>,
    /// Steps each kernel dispatch advanced ([`crate::backend::steps_per_dispatch`]).
    pub steps_per_dispatch: u32,
    /// Mean rate per population, Hz.
    pub rates: BTreeMap<String, f64>,
    /// Mean ISI coefficient of variation per population (trains with ≥ 3 spikes), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv_isi: Option<BTreeMap<String, f64>>,
}

/// Bytes of static connectivity per synapse of a built network (`row_ptr`, then 4 bytes of
/// packed word and 4 of weight per synapse, wherever they were assembled).
pub fn bytes_per_synapse(net: &BuiltNetwork) -> f64 {
    let m = net.n_static_synapses();
    let bytes = 4 * (net.row_ptr.len() + 2 * m);
    if m == 0 {
        0.0
    } else {
        bytes as f64 / m as f64
    }
}

/// Out-degree (static synapses) of every global neuron.
pub fn out_degrees(net: &BuiltNetwork) -> Vec<u32> {
    net.row_ptr.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Fill a report after a run: rates (and CVs) of the `(name, view)` pairs, whose spikes must
/// have been recorded, over the spikes after `t_from` ms (a warm-up left out; `bio_ms` is the
/// time after it); synaptic events from the spikes of those populations and of every
/// population in `sources` (spike sources, recorded too), plus `unrecorded_events` (the
/// expected events of sources not worth recording, e.g. PD14's ~10⁵ Poisson inputs).
#[allow(clippy::too_many_arguments)]
pub fn report(
    sim: &Simulation,
    model: &str,
    named: &[(String, PopulationView)],
    sources: &[PopulationId],
    unrecorded_events: f64,
    t_from: f64,
    bio_ms: f64,
    build_s: f64,
    sim_s: f64,
    with_cv: bool,
) -> Result<BenchReport, Error> {
    let net = sim.network().ok_or_else(|| Error::Invalid { what: "report".into(), rule: "the network is not built".into() })?;
    let degree = out_degrees(net);
    let mut events = 0u64;
    let mut rates = BTreeMap::new();
    let mut cvs = BTreeMap::new();
    let mut neurons = 0;
    for (name, id) in named {
        let seg = sim.get_data(id.clone())?;
        let off = net.pops[id.pop.index()].offset as usize;
        neurons += id.len();
        let mut count = 0usize;
        let mut cv_sum = 0.0;
        let mut cv_n = 0usize;
        for t in &seg.spiketrains {
            let times: Vec<f64> = t.times.iter().copied().filter(|&x| x > t_from).collect();
            count += times.len();
            events += times.len() as u64 * u64::from(degree[off + t.source_index]);
            if let Some(cv) = cv_of(&times) {
                cv_sum += cv;
                cv_n += 1;
            }
        }
        let n = seg.spiketrains.len().max(1);
        rates.insert(name.clone(), count as f64 / n as f64 / (bio_ms / 1000.0));
        if with_cv {
            cvs.insert(name.clone(), if cv_n > 0 { cv_sum / cv_n as f64 } else { f64::NAN });
        }
    }
    for id in sources {
        let seg = sim.get_data(*id)?;
        let off = net.pops[id.index()].offset as usize;
        for t in &seg.spiketrains {
            events += t.times.iter().filter(|&&x| x > t_from).count() as u64 * u64::from(degree[off + t.source_index]);
        }
    }
    Ok(BenchReport {
        model: model.into(),
        backend: sim.backend().to_string(),
        adapter: sim.adapter_name(),
        neurons,
        synapses: net.n_synapses(),
        bio_ms,
        build_s,
        sim_s,
        rtf: sim_s / (bio_ms / 1000.0),
        events_per_s: (events as f64 + unrecorded_events) / sim_s,
        bytes_per_synapse: bytes_per_synapse(net),
        csr_assembly: if net.kernel_assembled { "kernel" } else { "host" }.into(),
        build_phases: sim.build_phases(),
        steps_per_dispatch: sim.steps_per_dispatch().unwrap_or(1),
        rates,
        cv_isi: with_cv.then_some(cvs),
    })
}

/// ISI coefficient of variation of one train (≥ 3 spikes), as [`crate::Segment::cv_isi`].
fn cv_of(times: &[f64]) -> Option<f64> {
    if times.len() < 3 {
        return None;
    }
    let isi: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let m = isi.iter().sum::<f64>() / isi.len() as f64;
    let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
    Some(v.sqrt() / m)
}
