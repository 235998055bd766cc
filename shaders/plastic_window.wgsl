// Plastic synapses, stage 1 of 4 (src/network/plastic.rs): which spikes reach their synapses
// now. Spikes of step s - d arrive at the synapses of delay d at T = s + 1; for each delay
// class d this writes the exclusive prefix sum of the history counts of step s - d, the item
// total and the indirect-dispatch sizes of plastic_arrive (arrive_threads per item; items
// beyond the total copy this step's spikes) and plastic_post (post_threads per spike), and
// clears the history count of step s (plastic_arrive refills it). One workgroup.
// CPU mirror: spikeflow::cpu::plastic_window.
#import plastic

@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read_write> sched: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<u32>;

var<workgroup> scan: array<u32, 64>;

// Workgroups for `items` jobs of `threads` threads each (`threads` divides 64).
fn groups(items: u32, threads: u32) -> u32 {
    let per_group = 64u / threads;
    return (items + per_group - 1u) / per_group;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    let s = step_params.step;
    let h = plastic.hist_len;
    let m = plastic.n_classes;
    let prefix_at = PLASTIC_SCHED_HEADER_WORDS + m;
    var carry = 0u;
    for (var base = 0u; base < m; base += 64u) {
        let k = base + lid;
        var c = 0u;
        if (k < m) {
            let d = sched[PLASTIC_SCHED_HEADER_WORDS + k];
            if (d <= s) {
                c = hist[(s - d) % h];
            }
        }
        // Inclusive scan of the 64 counts (Hillis–Steele).
        scan[lid] = c;
        workgroupBarrier();
        for (var off = 1u; off < 64u; off = off * 2u) {
            var t = 0u;
            if (lid >= off) {
                t = scan[lid - off];
            }
            workgroupBarrier();
            scan[lid] = scan[lid] + t;
            workgroupBarrier();
        }
        if (k < m) {
            sched[prefix_at + k] = carry + scan[lid] - c;
        }
        carry = carry + scan[63];
        workgroupBarrier();
    }
    if (lid == 0u) {
        let count_now = spikes[step_params.parity * 4u + 3u];
        sched[prefix_at + m] = carry;
        hist[s % h] = 0u;
        sched[0] = min(groups(max(carry, count_now), plastic.arrive_threads), MAX_DISPATCH);
        sched[3] = carry;
        sched[4] = count_now;
        sched[5] = min(groups(count_now, plastic.post_threads), MAX_DISPATCH);
    }
}
