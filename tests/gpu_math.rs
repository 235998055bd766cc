//! The f32 building blocks the kernels rely on give the CPU's bits on the GPU: `sf_exp`,
//! division, a·b + c (which a shader compiler may fuse into one rounding) and the expression
//! shapes of the RK4 kernels (sums of products, vec4 updates, gating rates). Each runs on 2^16
//! inputs in a small kernel and is compared bit for bit with plain Rust — a device that fails
//! here cannot run the cross-back-end tests, and this says which operation is why.

mod common;
use common::gpu;
use spikeflow::cpu::math::sf_exp;
use wgpu::util::DeviceExt;

const N: usize = 1 << 16;

/// Runs `body` (WGSL statements computing `out[i]` from `a[i]`, `b[i]`, `c[i]`) over N inputs.
fn run(body: &str, a: &[f32], b: &[f32], c: &[f32]) -> Vec<f32> {
    let ctx = gpu();
    let math = include_str!("../shaders/shared/math.wgsl");
    let src = format!(
        "{math}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {{
    let i = id.x;
    {body}
    if (i >= arrayLength(&out)) {{
        out[0] = a[0] + b[0] + c[0]; // never runs: keeps every binding in the layout
    }}
}}"
    );
    let device = &ctx.device;
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("gpu_math"), source: wgpu::ShaderSource::Wgsl(src.into()) });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("gpu_math"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let input = |d: &[f32]| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(d),
            usage: wgpu::BufferUsages::STORAGE,
        })
    };
    let (ba, bb, bc) = (input(a), input(b), input(c));
    let bytes = (N * 4) as u64;
    let out = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let read = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: ba.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: bb.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 2, resource: bc.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 3, resource: out.as_entire_binding() },
        ],
    });
    let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bg, &[]);
        pass.dispatch_workgroups((N / 64) as u32, 1, 1);
    }
    enc.copy_buffer_to_buffer(&out, 0, &read, 0, bytes);
    ctx.queue.submit([enc.finish()]);
    read.map_async(wgpu::MapMode::Read, .., |r| r.expect("map"));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    ctx.take_error().expect("kernel compiled and ran");
    let data = bytemuck::pod_collect_to_vec(&read.get_mapped_range(..).expect("mapped"));
    read.unmap();
    data
}

/// Deterministic inputs in [lo, hi).
fn inputs(seed: u32, lo: f32, hi: f32) -> Vec<f32> {
    (0..N as u32).map(|i| lo + (hi - lo) * spikeflow::random::u01_f32(spikeflow::random::philox4x32([i, seed, 0, 0], [7, 7])[0])).collect()
}

fn differing(got: &[f32], want: impl Fn(usize) -> f32) -> Vec<(usize, f32, f32)> {
    got.iter().enumerate().filter(|(i, g)| g.to_bits() != want(*i).to_bits()).map(|(i, &g)| (i, g, want(i))).take(5).collect()
}

#[test]
fn sf_exp_division_and_the_kernels_expression_shapes_match_the_cpu() {
    let a = inputs(1, -20.0, 20.0);
    let b = inputs(2, 0.5, 3.0);
    let c = inputs(3, -5.0, 5.0);
    let exp = run("out[i] = sf_exp(a[i]);", &a, &b, &c);
    assert_eq!(differing(&exp, |i| sf_exp(a[i])), vec![], "sf_exp differs");
    let div = run("out[i] = a[i] / b[i];", &a, &b, &c);
    assert_eq!(differing(&div, |i| a[i] / b[i]), vec![], "division differs");
    let fma = run("out[i] = c[i] + a[i] * b[i];", &a, &b, &c);
    assert_eq!(differing(&fma, |i| c[i] + a[i] * b[i]), vec![], "a·b + c is fused");
    type Expected<'a> = Box<dyn Fn(usize) -> f32 + 'a>;
    let probes: Vec<(&str, Expected)> = vec![
        ("out[i] = (a[i] / b[i] - c[i]) * b[i];", Box::new(|i| (a[i] / b[i] - c[i]) * b[i])),
        ("out[i] = c[i] + a[i] * (b[i] - c[i]) + b[i] * (a[i] - c[i]);", Box::new(|i| c[i] + a[i] * (b[i] - c[i]) + b[i] * (a[i] - c[i]))),
        (
            "out[i] = c[i] + 0.1 * (a[i] + 2.0 * b[i] + 2.0 * c[i] + a[i]);",
            Box::new(|i| c[i] + 0.1 * (a[i] + 2.0 * b[i] + 2.0 * c[i] + a[i])),
        ),
        (
            "let y = vec4<f32>(a[i], b[i], c[i], a[i]); let k = vec4<f32>(c[i], a[i], b[i], b[i]); out[i] = (y + 0.3 * k).y;",
            Box::new(|i| b[i] + 0.3 * a[i]),
        ),
        ("out[i] = a[i] * a[i] * a[i] * b[i];", Box::new(|i| a[i] * a[i] * a[i] * b[i])),
        ("out[i] = 1.28 * (a[i] / (sf_exp(a[i]) - 1.0));", Box::new(|i| 1.28 * (a[i] / (sf_exp(a[i]) - 1.0)))),
        ("out[i] = 4.0 / (1.0 + sf_exp((40.0 - a[i]) * 0.2));", Box::new(|i| 4.0 / (1.0 + sf_exp((40.0 - a[i]) * 0.2)))),
        (
            "out[i] = c[i] + b[i] * (a[i] - c[i]) * 0.5 + a[i] * (b[i] * b[i]) * (c[i] - a[i]);",
            Box::new(|i| c[i] + b[i] * (a[i] - c[i]) * 0.5 + a[i] * (b[i] * b[i]) * (c[i] - a[i])),
        ),
    ];
    for (body, want) in probes {
        let got = run(body, &a, &b, &c);
        assert_eq!(differing(&got, &want), vec![], "{body}");
    }
}
