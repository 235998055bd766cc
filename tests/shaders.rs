//! The WGSL side of the host ↔ kernel interface:
//! * every kernel in `spikeflow::shaders::KERNELS` parses and validates with naga;
//! * every registered model has its kernel;
//! * the WGSL structs `StepParams`, `PopInfo` and `NetInfo`, as laid out by naga's `Layouter`
//!   (WGSL's uniform/storage layout rules), have the size and member offsets of the `#[repr(C)]`
//!   structs in `spikeflow::abi`, member by member and by name;
//! * the kernel-parameter row constants `const K_...` of each model kernel equal the Rust
//!   constants of `spikeflow::model::<model>::k`, in both directions.
//!
//! Pure host checks: no device is needed, so there is nothing to run on two back ends.

use naga::proc::Layouter;
use naga::{Expression, Literal, Module, TypeInner};
use spikeflow::abi::{
    ConstructParams, GroupInfo, NetInfo, NeuronTrace, PlasticInfo, PlasticRule, PlasticState, PoissonInputEntry, PopInfo, StepParams,
};
use spikeflow::engine::SynSplit;
use spikeflow::model::{eif_cond_alpha_isfa_ista, eif_cond_exp_isfa_ista, hh_cond_exp};
use spikeflow::model::{hx_neuron, if_cond_alpha, if_cond_exp, if_curr_alpha, if_curr_exp, izhikevich, registry, spike_source_poisson};
use spikeflow::shaders::{validate, KERNELS};
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};

/// `(field name, byte offset)` of each listed field of a Rust struct.
macro_rules! rust_fields {
    ($t:ty; $($f:ident),* $(,)?) => {
        vec![$((stringify!($f), offset_of!($t, $f))),*]
    };
}

/// `(name, value)` of each listed constant of a model's `k` module.
macro_rules! k_consts {
    ($m:ident; $($c:ident),* $(,)?) => {
        vec![$((concat!("K_", stringify!($c)), $m::k::$c)),*]
    };
}

fn poisson_entry_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(PoissonInputEntry; first, n, channel, k_max, w_fixed, lambda, p0, start, stop, stream, pad0, pad1)
}

fn construct_params_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(ConstructParams;
        kind, mode, proj, zero, item_begin, item_end, np, nq, n, replace, no_self, self_delta, p, inv_log_q,
        key0, key1, w_kind, d_kind, row_begin, row_end, slot_base, split_len, target_bits, target_base, w_fixed, w_scale, d_steps,
        n_thresholds, w_p, d_p)
}

#[test]
fn construct_constants_match() {
    use spikeflow::abi::*;
    use spikeflow::random::kernel_stream;
    let module = validate("construct").unwrap();
    let all = int_constants(&module, "");
    let expected: [(&str, u32); 24] = [
        ("CONSTRUCT_FIXED_PROBABILITY", CONSTRUCT_FIXED_PROBABILITY),
        ("CONSTRUCT_FIXED_NUMBER_PRE", CONSTRUCT_FIXED_NUMBER_PRE),
        ("CONSTRUCT_FIXED_NUMBER_POST", CONSTRUCT_FIXED_NUMBER_POST),
        ("CONSTRUCT_FIXED_TOTAL_NUMBER", CONSTRUCT_FIXED_TOTAL_NUMBER),
        ("CONSTRUCT_MODE_COUNT", CONSTRUCT_MODE_COUNT),
        ("CONSTRUCT_MODE_FILL", CONSTRUCT_MODE_FILL),
        ("CONSTRUCT_MODE_STATS", CONSTRUCT_MODE_STATS),
        ("CONSTRUCT_MODE_CSR", CONSTRUCT_MODE_CSR),
        ("CONSTRUCT_MODE_KEYS", CONSTRUCT_MODE_KEYS),
        ("DIST_NONE", DIST_NONE),
        ("DIST_UNIFORM", DIST_UNIFORM),
        ("DIST_NORMAL", DIST_NORMAL),
        ("DIST_NORMAL_CLIPPED", DIST_NORMAL_CLIPPED),
        ("DIST_NORMAL_CLIPPED_TO_BOUNDARY", DIST_NORMAL_CLIPPED_TO_BOUNDARY),
        ("DIST_EXPONENTIAL", DIST_EXPONENTIAL),
        ("DIST_UNIFORM_INT", DIST_UNIFORM_INT),
        ("DIST_LOGNORMAL", DIST_LOGNORMAL),
        ("STREAM_CONSTRUCT", kernel_stream::CONSTRUCT),
        ("PURPOSE_CONNECT", kernel_stream::PURPOSE_CONNECT),
        ("PURPOSE_WEIGHT", kernel_stream::PURPOSE_WEIGHT),
        ("PURPOSE_DELAY", kernel_stream::PURPOSE_DELAY),
        ("MAX_REDRAWS", spikeflow::cpu::construct::MAX_REDRAWS),
        ("STREAM_POISSON", kernel_stream::POISSON),
        ("STREAM_NOISE", kernel_stream::NOISE),
    ];
    for (name, value) in expected {
        assert_eq!(all.get(name).copied(), Some(i64::from(value)), "construct.wgsl {name} vs Rust {value}");
    }
    // PoissonInput events are drawn by every integrate kernel (shared/poisson_input.wgsl).
    let poisson = int_constants(&validate("integrate_if_curr_exp").unwrap(), "STREAM_");
    assert_eq!(poisson.get("STREAM_POISSON_INPUT").copied(), Some(i64::from(kernel_stream::POISSON_INPUT)));
}

fn step_params_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(StepParams; step, parity, chunk_start, k, n_sub, pad0, pad1, pad2)
}

fn pop_info_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(PopInfo;
        offset, n, n_total, ring_len, spike_words, flags, rec_base, rec_neurons, rec_nvars,
        rec_interval, rec_vars, stim_base, inv_scale_e, inv_scale_i, key0, key1, group_first, group_end, spike_list_len, _pad,
        poisson_begin, poisson_end, _pad1, _pad2)
}

fn group_info_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(GroupInfo; offset, n, n_total, ring_len)
}

fn net_info_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(NetInfo; n_total, ring_len, target_bits, target_mask, spike_list_len, pad0, pad1, pad2)
}

fn syn_split_fields() -> Vec<(&'static str, usize)> {
    rust_fields!(SynSplit; row_end, syn_base, syn_len)
}

/// A struct's name, Rust size and `(field, offset)` list.
type StructLayout = (&'static str, usize, Vec<(&'static str, usize)>);

/// The plastic kernels' structs (`shaders/shared/plastic.wgsl`).
fn plastic_structs() -> Vec<StructLayout> {
    vec![
        (
            "PlasticInfo",
            size_of::<PlasticInfo>(),
            rust_fields!(PlasticInfo; n_total, ring_len, target_bits, target_mask, hist_len, n_classes, n_rules, n_rate,
                arrive_threads, post_threads, n_dclasses, pad1),
        ),
        (
            "PlasticRule",
            size_of::<PlasticRule>(),
            rust_fields!(PlasticRule; kind, flags, w_min, w_max, a_plus, a_minus, c_plus, c_minus, tm_u, c_rec, c_facil, rate_inc,
                c_rate, rate_eta, period, pre_offset, pre_n, post_offset, post_n, pre_trace, post_trace, pad0, pad1, pad2),
        ),
        ("PlasticState", size_of::<PlasticState>(), rust_fields!(PlasticState; weight, last, a, b)),
        ("NeuronTrace", size_of::<NeuronTrace>(), rust_fields!(NeuronTrace; value, last)),
    ]
}

/// Size and `(member, offset)` of WGSL struct `name` in `module`, laid out by naga.
fn wgsl_struct(module: &Module, name: &str) -> Option<(usize, Vec<(String, usize)>)> {
    let mut layouter = Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    module.types.iter().find_map(|(handle, ty)| match (&ty.name, &ty.inner) {
        (Some(n), TypeInner::Struct { members, span }) if n == name => {
            let size = layouter[handle].size as usize;
            assert_eq!(size, *span as usize, "naga's layouter and the struct span disagree for {name}");
            let members = members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize)).collect();
            Some((size, members))
        }
        _ => None,
    })
}

fn assert_layout(kernel: &str, module: &Module, name: &str, rust_size: usize, rust: &[(&str, usize)]) {
    let (size, members) = wgsl_struct(module, name).unwrap_or_else(|| panic!("{kernel}: no WGSL struct {name}"));
    assert_eq!(size, rust_size, "{kernel}: WGSL {name} is {size} bytes, Rust {rust_size}");
    let wgsl_names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    let rust_names: Vec<&str> = rust.iter().map(|(n, _)| *n).collect();
    assert_eq!(wgsl_names, rust_names, "{kernel}: {name} members differ (WGSL vs Rust, in order)");
    for ((wn, wo), (rn, ro)) in members.iter().zip(rust) {
        assert_eq!(wo, ro, "{kernel}: {name}.{wn} at WGSL offset {wo}, Rust {rn} at {ro}");
    }
}

/// The value of every `const NAME: u32/i32 = <literal>;` of the module whose name starts with `prefix`.
fn int_constants(module: &Module, prefix: &str) -> BTreeMap<String, i64> {
    module
        .constants
        .iter()
        .filter_map(|(_, c)| {
            let name = c.name.clone()?;
            if !name.starts_with(prefix) {
                return None;
            }
            let value = match module.global_expressions[c.init] {
                Expression::Literal(Literal::U32(v)) => i64::from(v),
                Expression::Literal(Literal::I32(v)) => i64::from(v),
                Expression::Literal(Literal::AbstractInt(v)) => v,
                // Kernel-parameter rows must be integers; other prefixes may match float constants.
                ref other if prefix == "K_" => panic!("constant {name} is not an integer literal: {other:?}"),
                _ => return None,
            };
            Some((name, value))
        })
        .collect()
}

#[test]
fn every_kernel_parses_and_validates() {
    assert!(!KERNELS.is_empty());
    for (name, _) in KERNELS {
        let module = validate(name).unwrap_or_else(|e| panic!("{e}"));
        assert!(module.entry_points.iter().any(|e| e.name == "main"), "{name}: no entry point 'main'");
    }
    // Kernel names are unique.
    let mut names: Vec<&str> = KERNELS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), KERNELS.len(), "duplicate kernel names");
    // An unknown kernel is an error, not a panic.
    assert!(validate("no_such_kernel").is_err());
}

#[test]
fn every_registered_model_has_a_kernel() {
    for spec in registry() {
        assert!(
            KERNELS.iter().any(|(k, _)| *k == spec.kernel),
            "{} names kernel '{}', which is not in KERNELS",
            spec.cell_type,
            spec.kernel
        );
    }
    assert!(KERNELS.iter().any(|(k, _)| *k == "propagate"), "no propagate kernel");
}

#[test]
fn host_and_wgsl_struct_layouts_agree() {
    for (kernel, _) in KERNELS {
        let module = validate(kernel).unwrap();
        if *kernel == "construct" {
            // The one kernel that runs before the network exists: its own parameters only.
            assert_layout(kernel, &module, "ConstructParams", size_of::<ConstructParams>(), &construct_params_fields());
            assert!(wgsl_struct(&module, "StepParams").is_none(), "construct should not import the step bindings");
            continue;
        }
        // Every other kernel imports `step`.
        assert_layout(kernel, &module, "StepParams", size_of::<StepParams>(), &step_params_fields());
        if *kernel == "propagate" {
            assert_layout(kernel, &module, "NetInfo", size_of::<NetInfo>(), &net_info_fields());
            assert_layout(kernel, &module, "SynSplit", size_of::<SynSplit>(), &syn_split_fields());
            assert!(wgsl_struct(&module, "PopInfo").is_none(), "propagate should not import the population bindings");
        } else if kernel.starts_with("plastic_") {
            for (name, size, fields) in plastic_structs() {
                assert_layout(kernel, &module, name, size, &fields);
            }
            assert!(wgsl_struct(&module, "PopInfo").is_none(), "{kernel} should not import the population bindings");
        } else {
            assert_layout(kernel, &module, "PopInfo", size_of::<PopInfo>(), &pop_info_fields());
            assert_layout(kernel, &module, "GroupInfo", size_of::<GroupInfo>(), &group_info_fields());
            assert_layout(kernel, &module, "PoissonInputEntry", size_of::<PoissonInputEntry>(), &poisson_entry_fields());
        }
    }
    // Uniform buffers need 16-byte multiples (WGSL's uniform layout rule); the step params must
    // fit the dynamic-offset stride.
    for (name, size) in [
        ("StepParams", size_of::<StepParams>()),
        ("PopInfo", size_of::<PopInfo>()),
        ("GroupInfo", size_of::<GroupInfo>()),
        ("NetInfo", size_of::<NetInfo>()),
        ("SynSplit", size_of::<SynSplit>()),
        ("PlasticInfo", size_of::<PlasticInfo>()),
        ("ConstructParams", size_of::<ConstructParams>()),
        ("PoissonInputEntry", size_of::<PoissonInputEntry>()),
    ] {
        assert_eq!(size % 16, 0, "{name} is {size} bytes, not a multiple of 16");
    }
    assert!(size_of::<StepParams>() as u64 <= spikeflow::abi::STEP_PARAMS_STRIDE);
}

#[test]
fn kernel_parameter_constants_match_the_models() {
    // (kernel, its `K_` constants as the Rust side names them, k::COUNT)
    type KernelConstants = (&'static str, Vec<(&'static str, usize)>, usize);
    let models: Vec<KernelConstants> = vec![
        (
            "integrate_if_curr_exp",
            k_consts!(if_curr_exp; V_REST, V_RESET, V_THRESH, I_OFFSET, P22M1, P21E, P21I, P11E, P11I, P20, REFRAC),
            if_curr_exp::k::COUNT,
        ),
        (
            "integrate_if_cond_exp",
            k_consts!(if_cond_exp; V_REST, V_RESET, V_THRESH, I_OFFSET, G_L, DT_OVER_CM, E_REV_E, E_REV_I, DECAY_E, DECAY_I, HALF_E, HALF_I, REFRAC),
            if_cond_exp::k::COUNT,
        ),
        (
            "integrate_if_curr_alpha",
            k_consts!(if_curr_alpha; V_REST, V_RESET, V_THRESH, I_OFFSET, P33M1, P30, P31E, P32E, P31I, P32I, P11E, P21E, P11I, P21I, JUMP_E, JUMP_I, REFRAC),
            if_curr_alpha::k::COUNT,
        ),
        (
            "integrate_if_cond_alpha",
            k_consts!(if_cond_alpha; V_REST, V_RESET, V_THRESH, I_OFFSET, G_L, DT_OVER_CM, E_REV_E, E_REV_I, DECAY_E, H_DECAY_E, HALF_E, H_HALF_E, DECAY_I, H_DECAY_I, HALF_I, H_HALF_I, JUMP_E, JUMP_I, REFRAC),
            if_cond_alpha::k::COUNT,
        ),
        (
            "integrate_hx_neuron",
            k_consts!(hx_neuron; E_L, V_RESET, V_SPIKE, V_THRESH, INV_DELTA_T, G_L, G_L_DELTA_T, INV_CM, A, B, INV_TAU_W,
                DECAY_W, E_REV_E, E_REV_I, HALF_E, HALF_I, I_OFFSET, H, H_HALF, H_SIXTH, SUBSTEPS, REFRAC, W_SCALE_E, W_SCALE_I, COBA_E, COBA_I, V_REF),
            hx_neuron::k::COUNT,
        ),
        (
            "integrate_izhikevich",
            k_consts!(izhikevich; A, B, C, D, I_OFFSET, K2, K1, K0, V_U, K_U, H, SUBSTEPS, DT, NUMERICS, H6),
            izhikevich::k::COUNT,
        ),
        (
            "integrate_eif_cond_exp_isfa_ista",
            k_consts!(eif_cond_exp_isfa_ista; E_L, V_RESET, V_SPIKE, V_THRESH, INV_DELTA_T, G_L, G_L_DELTA_T, INV_CM, A, B, INV_TAU_W,
                DECAY_W, E_REV_E, E_REV_I, HALF_E, HALF_I, I_OFFSET, H, H_HALF, H_SIXTH, SUBSTEPS, REFRAC),
            eif_cond_exp_isfa_ista::k::COUNT,
        ),
        (
            "integrate_eif_cond_alpha_isfa_ista",
            k_consts!(eif_cond_alpha_isfa_ista; E_L, V_RESET, V_SPIKE, V_THRESH, INV_DELTA_T, G_L, G_L_DELTA_T, INV_CM, A, B, INV_TAU_W,
                DECAY_W, E_REV_E, E_REV_I, HALF_E, HALF_I, I_OFFSET, H, H_HALF, H_SIXTH, SUBSTEPS, REFRAC, ALPHA_E, ALPHA_I),
            eif_cond_alpha_isfa_ista::k::COUNT,
        ),
        (
            "integrate_hh_cond_exp",
            k_consts!(hh_cond_exp; G_NA, G_K, G_LEAK, INV_CM, V_OFFSET, E_NA, E_K, E_LEAK, E_REV_E, E_REV_I, HALF_E, HALF_I, I_OFFSET, H,
                H_HALF, H_SIXTH, SUBSTEPS),
            hh_cond_exp::k::COUNT,
        ),
        ("spike_source_poisson", k_consts!(spike_source_poisson; PROB, START, STOP), spike_source_poisson::k::COUNT),
        ("spike_source_array", vec![], 0),
        ("propagate", vec![], 0),
        ("plastic_window", vec![], 0),
        ("plastic_arrive", vec![], 0),
        ("plastic_post", vec![], 0),
        ("plastic_rate", vec![], 0),
        ("construct", vec![], 0),
    ];
    // Every kernel is covered.
    for (kernel, _) in KERNELS {
        assert!(models.iter().any(|(k, _, _)| k == kernel), "kernel {kernel} has no entry in this test");
    }
    for (kernel, rust, count) in &models {
        // The Rust rows are exactly 0..COUNT, and COUNT is the model's kernel_params.
        let mut rows: Vec<usize> = rust.iter().map(|(_, v)| *v).collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..*count).collect::<Vec<_>>(), "{kernel}: Rust k rows are not 0..COUNT");
        if let Some(spec) = registry().into_iter().find(|s| s.kernel == *kernel) {
            assert_eq!(spec.kernel_params, *count, "{kernel}: ModelSpec.kernel_params vs k::COUNT");
        }
        let module = validate(kernel).unwrap();
        let wgsl = int_constants(&module, "K_");
        let rust_map: BTreeMap<String, i64> = rust.iter().map(|(n, v)| ((*n).to_string(), *v as i64)).collect();
        for (name, value) in &rust_map {
            match wgsl.get(name) {
                Some(w) => assert_eq!(w, value, "{kernel}: WGSL {name} = {w}, Rust {value}"),
                None => panic!("{kernel}: Rust constant {name} has no WGSL counterpart (WGSL has {wgsl:?})"),
            }
        }
        for name in wgsl.keys() {
            assert!(rust_map.contains_key(name), "{kernel}: WGSL constant {name} has no Rust counterpart");
        }
    }
}

#[test]
fn shared_abi_constants_match() {
    // Constants both sides define by hand: flags, status bits, header words, dispatch limit.
    use spikeflow::abi::*;
    let expected: [(&str, i64); 8] = [
        ("FLAG_RECORD_SPIKES", FLAG_RECORD_SPIKES.into()),
        ("FLAG_APPEND_SPIKES", FLAG_APPEND_SPIKES.into()),
        ("FLAG_RESET_COUNTS", FLAG_RESET_COUNTS.into()),
        ("FLAG_RECORD_VARS", FLAG_RECORD_VARS.into()),
        ("STATUS_RING_SATURATED", STATUS_RING_SATURATED.into()),
        ("STATUS_NOT_FINITE", STATUS_NOT_FINITE.into()),
        ("SPIKE_HEADER_WORDS", SPIKE_HEADER_WORDS as i64),
        ("MAX_DISPATCH", MAX_DISPATCH.into()),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (kernel, _) in KERNELS {
        let module = validate(kernel).unwrap();
        let all = int_constants(&module, "");
        for (name, value) in expected {
            if let Some(w) = all.get(name) {
                assert_eq!(*w, value, "{kernel}: WGSL {name} = {w}, Rust {value}");
                seen.insert(name);
            }
        }
        // Workgroup size of the entry point equals abi::WORKGROUP_SIZE.
        let ep = module.entry_points.iter().find(|e| e.name == "main").unwrap();
        assert_eq!(ep.workgroup_size, [WORKGROUP_SIZE, 1, 1], "{kernel}: workgroup size");
    }
    for (name, _) in expected {
        assert!(seen.contains(name), "no kernel defines {name}");
    }
}

#[test]
fn plastic_abi_constants_match() {
    // Rule kinds and flags and the schedule header, defined by hand in shaders/shared/plastic.wgsl.
    use spikeflow::abi::*;
    let expected: [(&str, i64); 9] = [
        ("RULE_STDP_ADDITIVE", RULE_STDP_ADDITIVE.into()),
        ("RULE_STDP_MULTIPLICATIVE", RULE_STDP_MULTIPLICATIVE.into()),
        ("RULE_TSODYKS_MARKRAM", RULE_TSODYKS_MARKRAM.into()),
        ("RULE_ANTI_HEBBIAN", RULE_ANTI_HEBBIAN.into()),
        ("RULE_FLAG_ENABLED", RULE_FLAG_ENABLED.into()),
        ("RULE_FLAG_NEAREST", RULE_FLAG_NEAREST.into()),
        ("PLASTIC_SCHED_HEADER_WORDS", PLASTIC_SCHED_HEADER_WORDS as i64),
        ("PLASTIC_RULE_MASK", PLASTIC_RULE_MASK.into()),
        ("PLASTIC_DCLASS_SHIFT", PLASTIC_DCLASS_SHIFT.into()),
    ];
    for kernel in KERNELS.iter().map(|(k, _)| *k).filter(|k| k.starts_with("plastic_")) {
        let all = int_constants(&validate(kernel).unwrap(), "");
        for (name, value) in expected {
            assert_eq!(all.get(name), Some(&value), "{kernel}: WGSL {name}");
        }
        assert_eq!(all.get("NONE"), Some(&i64::from(spikeflow::network::build::NONE)), "{kernel}: NONE");
    }
}
