// Bindings and helpers shared by every neuron and spike-source kernel.
// Group 0: engine-wide buffers; group 1: one population. Mirrors spikeflow::cpu::population.
#import step
#import philox
#import poisson_input

// Mirrors spikeflow::abi::PopInfo.
struct PopInfo {
    offset: u32,
    n: u32,
    n_total: u32,
    ring_len: u32,
    spike_words: u32,
    flags: u32,
    rec_base: u32,
    rec_neurons: u32,
    rec_nvars: u32,
    rec_interval: u32,
    rec_vars: u32,
    stim_base: u32,
    inv_scale_e: f32,
    inv_scale_i: f32,
    key0: u32,
    key1: u32,
    group_first: u32,
    group_end: u32,
    spike_list_len: u32,
    _pad: u32,
    poisson_begin: u32,
    poisson_end: u32,
    _pad1: u32,
    _pad2: u32,
}

// The kernel group's constants, the same for all its threads (uniform: the compiler sees that
// neighbouring threads read neighbouring words). Mirrors spikeflow::abi::GroupInfo.
struct GroupInfo {
    offset: u32,
    n: u32,
    n_total: u32,
    ring_len: u32,
}

const FLAG_RECORD_SPIKES: u32 = 1u;
const FLAG_APPEND_SPIKES: u32 = 2u;
const FLAG_RESET_COUNTS: u32 = 4u;
const FLAG_RECORD_VARS: u32 = 8u;
const STATUS_RING_SATURATED: u32 = 1u;
const STATUS_NOT_FINITE: u32 = 2u;
const SPIKE_HEADER_WORDS: u32 = 8u;
const SPIKE_SUB_SHIFT: u32 = 28u;
const MAX_DISPATCH: u32 = 65535u;
const NONE: u32 = 0xFFFFFFFFu;
const STIM_DC: u32 = 0u;
const STIM_STEP: u32 = 1u;
const STIM_NOISY: u32 = 2u;

@group(0) @binding(1) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(2) var<storage, read_write> spikes: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> spike_record: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> rec_map: array<u32>;
@group(0) @binding(5) var<storage, read_write> rec_values: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read> stim: array<u32>;

// One dispatch integrates a kernel group: consecutive populations of one kernel. Thread i is
// global neuron grp.offset + i; population j owns threads [group_first, group_end) (the global
// layout's padding between populations are idle threads); parameters and state are laid out
// [K][grp.n] over the group. `enter_population` picks the thread's population.
@group(1) @binding(0) var<storage, read> pops: array<PopInfo>;
@group(1) @binding(5) var<uniform> grp: GroupInfo;
var<private> pop: PopInfo;
// The step of the block (StepParams.n_sub steps from step_params.step) being integrated: each
// thread advances its neuron through the block's steps in order (`main`, at the end of this file).
var<private> sub: u32;

// The step being integrated: it advances t = this_step()*dt to (this_step()+1)*dt.
fn this_step() -> u32 {
    return step_params.step + sub;
}
@group(1) @binding(1) var<storage, read> kparams: array<f32>;
@group(1) @binding(2) var<storage, read_write> state: array<f32>;
@group(1) @binding(3) var<storage, read_write> counters: array<u32>;
@group(1) @binding(4) var<storage, read> extra: array<u32>;
// The Poisson inputs reaching the group's neurons, population by population (each entry clipped
// to one population, whose entries are PopInfo.poisson_begin .. poisson_end; one entry of n = 0
// when there are none).
@group(1) @binding(6) var<storage, read> poisson_entries: array<PoissonInputEntry>;

// Make `pop` the population of thread `i`; false for an idle thread (padding, or past the end).
fn enter_population(i: u32) -> bool {
    if (i >= grp.n) {
        return false;
    }
    let m = arrayLength(&pops);
    for (var j = 0u; j < m; j++) {
        if (i < pops[j].group_end) {
            pop = pops[j];
            return i >= pop.group_first;
        }
    }
    return false;
}

// Global index of thread i's neuron.
fn global_index(i: u32) -> u32 {
    return grp.offset + i;
}

// Kernel parameter `k` of neuron `i` ([K][n] layout).
fn kp(k: u32, i: u32) -> f32 {
    return kparams[k * grp.n + i];
}

// Thread 0 of the first group clears the spike counter the next step will fill.
fn reset_spike_counts(i: u32) {
    if (i == 0u && (pop.flags & FLAG_RESET_COUNTS) != 0u) {
        let other = (step_params.parity ^ 1u) * 4u;
        atomicStore(&spikes[other], 0u);
        atomicStore(&spikes[other + 3u], 0u);
    }
}

// First ring index of this step's slot: inputs of (channel, gi) are at base + channel * n_total + gi.
fn input_base() -> u32 {
    return (this_step() % grp.ring_len) * 2u * grp.n_total;
}

// The fixed-point input of `channel` arriving at this step, converted to f32, and the slot cleared.
// The neuron's PoissonInput events of this step are added here (shared/poisson_input.wgsl).
fn take_input(base: u32, gi: u32, channel: u32) -> f32 {
    let idx = base + channel * grp.n_total + gi;
    var v = atomicLoad(&ring[idx]);
    atomicStore(&ring[idx], 0);
    let key = vec2<u32>(pop.key0, pop.key1);
    for (var j = pop.poisson_begin; j < pop.poisson_end; j++) {
        v = v + poisson_events(poisson_entries[j], this_step(), gi, channel, key);
    }
    var inv = pop.inv_scale_e;
    if (channel == 1u) {
        inv = pop.inv_scale_i;
    }
    return f32(v) * inv;
}

fn emit_spike(gi: u32) {
    if ((pop.flags & FLAG_APPEND_SPIKES) != 0u) {
        let p = step_params.parity;
        let idx = atomicAdd(&spikes[p * 4u + 3u], 1u);
        atomicStore(&spikes[SPIKE_HEADER_WORDS + p * pop.spike_list_len + idx], gi | (sub << SPIKE_SUB_SHIFT));
        if (idx < MAX_DISPATCH) {
            atomicAdd(&spikes[p * 4u], 1u);
        }
    }
    if ((pop.flags & FLAG_RECORD_SPIKES) != 0u) {
        atomicOr(&spike_record[(step_params.k + sub) * pop.spike_words + (gi >> 5u)], 1u << (gi & 31u));
    }
}

// This step's row in the population's record region, or NONE when it takes no sample.
fn sample_slot() -> u32 {
    if ((pop.flags & FLAG_RECORD_VARS) == 0u || this_step() % pop.rec_interval != 0u) {
        return NONE;
    }
    let first = (step_params.chunk_start + pop.rec_interval - 1u) / pop.rec_interval;
    return this_step() / pop.rec_interval - first;
}

// Sample the recorded state variables of neuron i (state at t = step*dt, before the update).
fn record_sample(slot: u32, i: u32, gi: u32) {
    if (slot == NONE) {
        return;
    }
    let r = rec_map[gi];
    if (r == NONE) {
        return;
    }
    for (var v = 0u; v < pop.rec_nvars; v++) {
        let var_index = (pop.rec_vars >> (8u * v)) & 0xFFu;
        rec_values[pop.rec_base + (slot * pop.rec_nvars + v) * pop.rec_neurons + r] = state[var_index * grp.n + i];
    }
}

// Dead steps after a spike: round(n - 1 + f), f the crossing's fraction of the step.
fn refractory_after_spike(v_old: f32, v_new: f32, v_thresh: f32, n_refrac: f32) -> u32 {
    var f = 1.0;
    if (v_new > v_old) {
        f = clamp((v_thresh - v_old) / (v_new - v_old), 0.0, 1.0);
    }
    return u32(max(round(n_refrac - 1.0 + f), 0.0));
}

// Report NaN or infinity (the exponent bits all set).
fn check_finite(x: f32, gi: u32) {
    if ((bitcast<u32>(x) & 0x7F800000u) == 0x7F800000u) {
        atomicOr(&status[0], STATUS_NOT_FINITE);
        atomicMin(&status[1], gi);
    }
}

fn source_current(r: u32, gi: u32) -> f32 {
    let kind = stim[r];
    let s = this_step();
    if (kind == STIM_STEP) {
        let n_points = stim[r + 5u];
        let at = stim[r + 6u];
        var amp = 0.0;
        for (var k = 0u; k < n_points; k++) {
            if (stim[at + 2u * k] > s) {
                break;
            }
            amp = bitcast<f32>(stim[at + 2u * k + 1u]);
        }
        return amp;
    }
    if (s < stim[r + 1u] || s >= stim[r + 2u]) {
        return 0.0;
    }
    if (kind == STIM_DC) {
        return bitcast<f32>(stim[r + 3u]);
    }
    // STIM_NOISY: a new value every `interval` steps, independent per neuron.
    let interval_index = (s - stim[r + 1u]) / stim[r + 5u];
    let z = normal_irwin_hall(vec3<u32>(interval_index, gi, STREAM_NOISE | stim[r + 7u]), vec2<u32>(pop.key0, pop.key1));
    return bitcast<f32>(stim[r + 3u]) + bitcast<f32>(stim[r + 4u]) * z;
}

// Sum of the current sources injected into neuron i (nA).
fn external_current(i: u32, gi: u32) -> f32 {
    if (pop.stim_base == NONE) {
        return 0.0;
    }
    let local = i - pop.group_first;
    let a = stim[pop.stim_base + local];
    let b = stim[pop.stim_base + local + 1u];
    var total = 0.0;
    for (var j = a; j < b; j++) {
        total = total + source_current(stim[j], gi);
    }
    return total;
}

// The entry point of every kernel that imports `population`: thread i of the group, if it is a
// neuron, advances it through the block's steps in order. Each such kernel defines
// `fn update(i: u32, gi: u32)`, one step (`this_step()`) of neuron i (global index gi).
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * (MAX_DISPATCH * 64u);
    if (!enter_population(i)) {
        return;
    }
    reset_spike_counts(i);
    let gi = global_index(i);
    for (var j = 0u; j < step_params.n_sub; j++) {
        sub = j;
        update(i, gi);
    }
}
