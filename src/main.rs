//! `spikeflow`: run model files (or built-in zoo models), write results to HDF5, print
//! statistics and draw figures.
//!
//! ```text
//! spikeflow                          the demonstration: `run zoo:coba`, results under out/
//! spikeflow run MODEL [options]      MODEL: a .toml/.json file or zoo:NAME
//! spikeflow zoo                      the built-in models
//! spikeflow info                     adapters wgpu finds and their limits
//! spikeflow stats RESULT.h5          per-population statistics of a result file
//! spikeflow plot RESULT.h5           raster, traces and rate histogram of a result file
//! spikeflow scan MODEL --set n=v1,v2 runs the variants, prints per-population rates
//! ```
//!
//! Exit codes: 0 ok, 2 bad input (model file, options, parameters), 1 runtime failure.

mod cli;

use clap::Parser;
use cli::{Cli, Failure};
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's Vulkan drivers print an alarming but harmless warning without it (headless).
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not failures; usage errors are bad input (2).
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(msg)) => {
            eprintln!("spikeflow: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(msg)) => {
            eprintln!("spikeflow: {msg}");
            ExitCode::from(1)
        }
    }
}
