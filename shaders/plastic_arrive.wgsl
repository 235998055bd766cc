// Plastic synapses, stage 2 of 4 (src/network/plastic.rs): presynaptic spikes reaching their
// synapses at T = step + 1. Each item f < total is one (spike of step s - d, axonal delay class
// d; d = 0 takes this step's spike list); its synapses of axonal delay d (a contiguous segment
// of the delay-sorted row) update their state (STDP presynaptic trace and depression, with the
// postsynaptic trace of their dendritic class; Tsodyks–Markram u and R) and add the weight they
// transmit into ring slot T + e (e: the synapse's dendritic delay). Items f < count_now also
// append step s's spikes of neurons with plastic rows or incoming STDP synapses to the spike
// history. Indirect dispatch sized by plastic_window; each item has
// `arrive_threads` threads (a power of two dividing the workgroup) striding its segment; each
// synapse is written by one thread.
// CPU mirror: spikeflow::cpu::plastic_arrive.
#import plastic

const I32_MAX: i32 = 2147483647;
const I32_MIN: i32 = -2147483647 - 1;

@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read> sched: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(6) var<storage, read> syn_meta: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> syn_state: array<PlasticState>;
@group(0) @binding(8) var<storage, read> rules: array<PlasticRule>;
@group(0) @binding(9) var<storage, read> traces: array<NeuronTrace>;
@group(0) @binding(10) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(11) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read> post_ptr: array<u32>;

// First position in [beg, end) whose delay is >= d (rows are sorted by packed word).
fn lower_bound_delay(beg: u32, end: u32, d: u32) -> u32 {
    var lo = beg;
    var hi = end;
    while (lo < hi) {
        let mid = lo + (hi - lo) / 2u;
        if ((syn_meta[mid].x >> plastic.target_bits) < d) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo;
}

fn deliver(packed: u32, w: i32, t: u32) {
    if (w == 0) {
        return;
    }
    let idx = (t % plastic.ring_len) * 2u * plastic.n_total + (packed & plastic.target_mask);
    let old = atomicAdd(&ring[idx], w);
    if ((w > 0 && old > I32_MAX - w) || (w < 0 && old < I32_MIN - w)) {
        atomicOr(&status[0], STATUS_RING_SATURATED);
    }
}

// Synapse j receives a presynaptic spike at T = t.
fn arrive(j: u32, t: u32) {
    let m = syn_meta[j];
    let r = rules[m.y & PLASTIC_RULE_MASK];
    let k = m.y >> PLASTIC_DCLASS_SHIFT;
    var st = syn_state[j];
    var value = st.weight;
    if (r.kind == RULE_TSODYKS_MARKRAM) {
        let h = t - st.last;
        let rec = 1.0 + fence(fence(fence(st.b - fence(st.a * st.b)) - 1.0) * decay(r.c_rec, h));
        var u = r.tm_u;
        if (r.c_facil > 0.0) {
            u = r.tm_u + fence(fence(st.a * (1.0 - r.tm_u)) * decay(r.c_facil, h));
        }
        st.a = u;
        st.b = rec;
        value = i32(round(i32_to_f32(st.weight) * fence(u * rec)));
    } else if (r.kind != RULE_ANTI_HEBBIAN) {
        let x = fence(st.a * decay(r.c_plus, t - st.last));
        if ((r.flags & RULE_FLAG_ENABLED) != 0u) {
            let post = (m.x & plastic.target_mask) % plastic.n_total;
            let tr = traces[post_trace_index(r, post, k)];
            let y = tr.value * decay(r.c_minus, t - tr.last);
            st.weight = stdp_depress(r, st.weight, y);
        }
        if ((r.flags & RULE_FLAG_NEAREST) != 0u) {
            st.a = 1.0;
        } else {
            st.a = x + 1.0;
        }
        value = st.weight;
    }
    st.last = t;
    syn_state[j] = st;
    deliver(m.x, value, t + sched[sched_dclass_at() + k]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) num_wg: vec3<u32>) {
    let tpi = plastic.arrive_threads;
    let lane = id.x % tpi;
    let s = step_params.step;
    let t = s + 1u;
    let h = plastic.hist_len;
    let m = plastic.n_classes;
    let prefix_at = sched_prefix_at();
    let total = sched[3];
    let count_now = sched[4];
    let n_items = max(total, count_now);
    for (var f = id.x / tpi; f < n_items; f += num_wg.x * 64u / tpi) {
        if (lane == 0u && f < count_now) {
            let gi = spikes[SPIKE_HEADER_WORDS + step_params.parity * plastic.n_total + f];
            if (row_ptr[gi + 1u] > row_ptr[gi] || post_ptr[gi + 1u] > post_ptr[gi]) {
                let at = atomicAdd(&hist[s % h], 1u);
                atomicStore(&hist[h + (s % h) * plastic.n_total + at], gi);
            }
        }
        if (f < total) {
            // The item's delay class: the last k with prefix[k] <= f.
            var lo = 0u;
            var hi = m;
            while (hi - lo > 1u) {
                let mid = (lo + hi) / 2u;
                if (sched[prefix_at + mid] <= f) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let d = sched[PLASTIC_SCHED_HEADER_WORDS + lo];
            let at = f - sched[prefix_at + lo];
            var pre = 0u;
            if (d == 0u) {
                pre = spikes[SPIKE_HEADER_WORDS + step_params.parity * plastic.n_total + at];
            } else {
                pre = atomicLoad(&hist[h + ((s - d) % h) * plastic.n_total + at]);
            }
            let beg = lower_bound_delay(row_ptr[pre], row_ptr[pre + 1u], d);
            let end = lower_bound_delay(beg, row_ptr[pre + 1u], d + 1u);
            for (var j = beg + lane; j < end; j += tpi) {
                arrive(j, t);
            }
        }
    }
}
