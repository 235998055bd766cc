// Plastic synapses, stage 1 of 4 (src/network/plastic.rs): which spikes reach their synapses
// now. A presynaptic spike of step s - d reaches the synapses of axonal delay d at T = s + 1
// (d = 0: this step's spikes, from the spike list); a postsynaptic spike of step s - e reaches
// the synapses of dendritic delay e at T (e = 0 is handled by plastic_post from the spike list).
// For each axonal class d and each dendritic class e > 0 this writes the exclusive prefix sums
// of those spike counts (workgroup scans), the item totals and the indirect-dispatch sizes of
// plastic_arrive (arrive_threads per item; items beyond the total copy this step's spikes to
// the history) and plastic_post (post_threads per item: this step's spikes, then the history
// items), and clears the history count of step s (plastic_arrive refills it). One workgroup.
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

// The spikes that arrive now through delay d: `now` (this step's count) for d = 0, else the
// history count of step s - d (none before the run has lasted d steps).
fn arriving(d: u32, now: u32) -> u32 {
    let s = step_params.step;
    if (d == 0u) {
        return now;
    }
    if (d <= s) {
        return hist[(s - d) % plastic.hist_len];
    }
    return 0u;
}

// Exclusive prefix sums of `arriving` over the n classes at sched[classes_at..], written to
// sched[prefix_at..] with the total at sched[prefix_at + n]; returns the total.
fn scan_classes(classes_at: u32, n: u32, prefix_at: u32, lid: u32, now: u32) -> u32 {
    var carry = 0u;
    for (var base = 0u; base < n; base += 64u) {
        let k = base + lid;
        var c = 0u;
        if (k < n) {
            c = arriving(sched[classes_at + k], now);
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
        if (k < n) {
            sched[prefix_at + k] = carry + scan[lid] - c;
        }
        carry = carry + scan[63];
        workgroupBarrier();
    }
    if (lid == 0u) {
        sched[prefix_at + n] = carry;
    }
    return carry;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    let s = step_params.step;
    let count_now = spikes[step_params.parity * 4u + 3u];
    let total = scan_classes(PLASTIC_SCHED_HEADER_WORDS, plastic.n_classes, sched_prefix_at(), lid, count_now);
    // Dendritic class 0 (delay 0) counts nothing here: plastic_post takes those spikes from the
    // spike list.
    let post_total = scan_classes(sched_dclass_at(), plastic.n_dclasses, sched_dprefix_at(), lid, 0u);
    if (lid == 0u) {
        hist[s % plastic.hist_len] = 0u;
        sched[0] = min(groups(max(total, count_now), plastic.arrive_threads), MAX_DISPATCH);
        sched[3] = total;
        sched[4] = count_now;
        sched[5] = min(groups(count_now + post_total, plastic.post_threads), MAX_DISPATCH);
        sched[8] = post_total;
    }
}
