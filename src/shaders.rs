//! The WGSL kernels, embedded in the binary, and the tiny `#import name` preprocessor that pulls
//! in `shaders/shared/name.wgsl` (once per kernel; an unknown import is a hard error).

use thiserror::Error;

/// Shared WGSL pieces (`shaders/shared/`).
const SHARED: &[(&str, &str)] = &[
    ("step", include_str!("../shaders/shared/step.wgsl")),
    ("philox", include_str!("../shaders/shared/philox.wgsl")),
    ("math", include_str!("../shaders/shared/math.wgsl")),
    ("population", include_str!("../shaders/shared/population.wgsl")),
    ("plastic", include_str!("../shaders/shared/plastic.wgsl")),
    ("adex", include_str!("../shaders/shared/adex.wgsl")),
    ("poisson_input", include_str!("../shaders/shared/poisson_input.wgsl")),
];

/// The kernels, one per file, named like their CPU mirrors in [`crate::cpu`].
pub const KERNELS: &[(&str, &str)] = &[
    ("integrate_if_curr_exp", include_str!("../shaders/integrate_if_curr_exp.wgsl")),
    ("integrate_if_cond_exp", include_str!("../shaders/integrate_if_cond_exp.wgsl")),
    ("integrate_if_curr_alpha", include_str!("../shaders/integrate_if_curr_alpha.wgsl")),
    ("integrate_if_cond_alpha", include_str!("../shaders/integrate_if_cond_alpha.wgsl")),
    ("integrate_izhikevich", include_str!("../shaders/integrate_izhikevich.wgsl")),
    ("integrate_eif_cond_exp_isfa_ista", include_str!("../shaders/integrate_eif_cond_exp_isfa_ista.wgsl")),
    ("integrate_eif_cond_alpha_isfa_ista", include_str!("../shaders/integrate_eif_cond_alpha_isfa_ista.wgsl")),
    ("integrate_hh_cond_exp", include_str!("../shaders/integrate_hh_cond_exp.wgsl")),
    ("integrate_hx_neuron", include_str!("../shaders/integrate_hx_neuron.wgsl")),
    ("spike_source_poisson", include_str!("../shaders/spike_source_poisson.wgsl")),
    ("spike_source_array", include_str!("../shaders/spike_source_array.wgsl")),
    ("propagate", include_str!("../shaders/propagate.wgsl")),
    ("construct", include_str!("../shaders/construct.wgsl")),
    ("plastic_window", include_str!("../shaders/plastic_window.wgsl")),
    ("plastic_arrive", include_str!("../shaders/plastic_arrive.wgsl")),
    ("plastic_post", include_str!("../shaders/plastic_post.wgsl")),
    ("plastic_rate", include_str!("../shaders/plastic_rate.wgsl")),
];

/// Errors of the preprocessor and of naga's validation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ShaderError {
    /// No kernel of that name.
    #[error("no kernel named '{0}'")]
    UnknownKernel(String),
    /// `#import` of a file that does not exist.
    #[error("{kernel}: '#import {import}' names no file in shaders/shared/")]
    UnknownImport {
        /// The kernel.
        kernel: String,
        /// The missing import.
        import: String,
    },
    /// naga rejected the shader.
    #[error("{kernel}: {message}")]
    Invalid {
        /// The kernel.
        kernel: String,
        /// naga's message.
        message: String,
    },
}

/// The full source of kernel `name` with its imports expanded.
pub fn source(name: &str) -> Result<String, ShaderError> {
    let (_, text) = KERNELS.iter().find(|(k, _)| *k == name).ok_or_else(|| ShaderError::UnknownKernel(name.to_string()))?;
    let mut out = String::new();
    let mut seen = Vec::new();
    expand(name, text, &mut out, &mut seen)?;
    Ok(out)
}

fn expand(kernel: &str, text: &str, out: &mut String, seen: &mut Vec<String>) -> Result<(), ShaderError> {
    for line in text.lines() {
        if let Some(import) = line.trim().strip_prefix("#import ") {
            let import = import.trim();
            if seen.iter().any(|s| s == import) {
                continue;
            }
            let (_, body) = SHARED
                .iter()
                .find(|(n, _)| *n == import)
                .ok_or_else(|| ShaderError::UnknownImport { kernel: kernel.to_string(), import: import.to_string() })?;
            seen.push(import.to_string());
            expand(kernel, body, out, seen)?;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(())
}

/// Parse and validate kernel `name` with naga; returns the module (tests read its layout).
pub fn validate(name: &str) -> Result<naga::Module, ShaderError> {
    let src = source(name)?;
    let module = naga::front::wgsl::parse_str(&src)
        .map_err(|e| ShaderError::Invalid { kernel: name.to_string(), message: e.emit_to_string(&src) })?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .map_err(|e| ShaderError::Invalid { kernel: name.to_string(), message: format!("{e:?}") })?;
    Ok(module)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_import_is_an_error() {
        let mut out = String::new();
        let err = super::expand("k", "#import nosuch\n", &mut out, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("nosuch"), "{err}");
    }
}
