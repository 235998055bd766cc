//! Test helpers: every feature test runs on both back ends. The GPU back end must find an
//! adapter (lavapipe in CI); if it does not, the test fails — it never skips.
#![allow(dead_code)]

use spikeflow::engine::GpuContext;
use spikeflow::{Backend, Simulation, SimulationBuilder};
use std::sync::OnceLock;

/// Both back ends, in the order tests run them.
pub const BACKENDS: [Backend; 2] = [Backend::Cpu, Backend::Gpu];

/// One device per test binary (creating a device per test would dominate the run time).
pub fn gpu() -> GpuContext {
    static CTX: OnceLock<GpuContext> = OnceLock::new();
    CTX.get_or_init(|| match GpuContext::new() {
        Ok(ctx) => ctx,
        Err(e) => panic!("GPU tests need an adapter (CI installs lavapipe): {e}"),
    })
    .clone()
}

/// A simulation builder on `backend` (GPU ones share the binary's device).
pub fn sim(backend: Backend, dt: f64, seed: u64) -> SimulationBuilder {
    let b = Simulation::builder().dt(dt).seed(seed).backend(backend);
    match backend {
        Backend::Gpu => b.gpu_context(gpu()),
        Backend::Cpu => b,
    }
}

/// The reference summary shipped with the tests (copied from ../shared/reference).
pub fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../data/single_neuron_summary.json")).expect("reference json")
}

/// Column `name` of a reference CSV.
pub fn csv_column(text: &str, name: &str) -> Vec<f64> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    lines.map(|l| l.split(',').nth(col).expect("column").parse().expect("number")).collect()
}

/// A device whose storage bindings are at most `limit` bytes, on the adapter the tests use.
pub fn gpu_with_binding_limit(limit: u32) -> GpuContext {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .unwrap_or_else(|e| panic!("GPU tests need an adapter (CI installs lavapipe): {e}"));
    let mut limits = adapter.limits();
    limits.max_storage_buffer_binding_size = limit.into();
    limits.max_buffer_size = limits.max_buffer_size.max(limit.into());
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("small"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        trace: wgpu::Trace::Off,
    }))
    .expect("a device with limits below the adapter's");
    assert_eq!(device.limits().max_storage_buffer_binding_size, u64::from(limit), "wgpu did not keep the requested limit");
    GpuContext::from_device(device, queue, adapter.get_info(), limits)
}
