//! Getting a GPU: instance, adapter, device and queue, split from running on it so that tests
//! and embedding applications can pass their own device.

use crate::backend::EngineError;
use std::sync::{Arc, Mutex, OnceLock};

/// A device and queue with the adapter's description. Cheap to clone (shared handles).
#[derive(Clone, Debug)]
pub struct GpuContext {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's description.
    pub info: wgpu::AdapterInfo,
    /// The limits the device was created with.
    pub limits: wgpu::Limits,
    errors: Arc<Mutex<Vec<String>>>,
    /// The `construct` kernel's layout, module and pipelines, compiled once per device (the
    /// build and the engine both use them).
    pub(crate) construct: Arc<OnceLock<Arc<super::construct::Compiled>>>,
}

impl GpuContext {
    /// The best adapter wgpu finds (high performance first), with its full limits: Vulkan,
    /// Metal or DX12 when one is there, OpenGL only when none is (wgpu's GL path goes through
    /// GLSL, whose compiler may round a few kernels' arithmetic differently from the CPU
    /// mirrors: HH_cond_exp on Mesa's llvmpipe, for one). `WGPU_BACKEND` (vulkan, metal, dx12,
    /// gl) chooses the back ends to search instead, as usual.
    pub fn new() -> Result<Self, EngineError> {
        let request = |instance: &wgpu::Instance| {
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                ..Default::default()
            }))
        };
        let from_env = wgpu::InstanceDescriptor::new_without_display_handle_from_env;
        let adapter = if std::env::var_os("WGPU_BACKEND").is_some() {
            request(&wgpu::Instance::new(from_env()))
        } else {
            let primary = wgpu::InstanceDescriptor { backends: wgpu::Backends::PRIMARY, ..from_env() };
            request(&wgpu::Instance::new(primary)).or_else(|_| request(&wgpu::Instance::new(from_env())))
        }
        .map_err(|e| EngineError::NoAdapter(e.to_string()))?;
        Self::from_adapter(&adapter)
    }

    /// A device on `adapter` with the adapter's limits and no optional feature.
    pub fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self, EngineError> {
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("spikeflow.device"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| EngineError::RequestDevice(e.to_string()))?;
        Ok(Self::from_device(device, queue, adapter.get_info(), limits))
    }

    /// Wrap a device the caller created.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo, limits: wgpu::Limits) -> Self {
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        Self { device, queue, info, limits, errors, construct: Arc::new(OnceLock::new()) }
    }

    /// "name (backend, device type)".
    pub fn adapter_name(&self) -> String {
        format!("{} ({:?}, {:?})", self.info.name, self.info.backend, self.info.device_type)
    }

    /// Errors wgpu reported since the last call, as one error.
    pub fn take_error(&self) -> Result<(), EngineError> {
        let mut v = self.errors.lock().map_err(|_| EngineError::Gpu("error log poisoned".into()))?;
        if v.is_empty() {
            Ok(())
        } else {
            let msg = v.join("; ");
            v.clear();
            Err(EngineError::Gpu(msg))
        }
    }

    /// All adapters wgpu can see, for `spikeflow info`.
    pub fn list_adapters() -> Vec<(wgpu::AdapterInfo, wgpu::Limits)> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all())).into_iter().map(|a| (a.get_info(), a.limits())).collect()
    }
}
