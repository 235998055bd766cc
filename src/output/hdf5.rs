//! The HDF5 writer and reader (rust-hdf5, pure Rust: no libhdf5 needed).
//!
//! The writer uses HDF5's SWMR (single writer, multiple readers) mode: all groups, datasets
//! and their attributes are created, then `start_swmr` writes a complete file, and every
//! [`ResultWriter::append`] extends the chunked datasets (unlimited first dimension), writes
//! the new rows and flushes the chunk indices and extents with `fdatasync`. A run killed
//! between two appends therefore leaves a valid file holding everything appended so far; its
//! superblock still says "open for SWMR writing", which h5py accepts with `swmr=True` and the
//! HDF5 tools after `h5clear -s FILE` (docs/output-format.md).

use super::{OutputError, PopulationResult, ResultFile, RunMetadata, Signal};
use crate::network::build::BuiltNetwork;
use crate::stats::PopulationStats;
use crate::{PopulationId, Simulation};
use rust_hdf5::swmr::SwmrFileWriter;
use rust_hdf5::{H5File, H5Type};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Elements per chunk of the spike datasets (32 KiB of times).
const SPIKE_CHUNK: u64 = 4096;
/// Target bytes per chunk of a signal dataset.
const SIGNAL_CHUNK_BYTES: u64 = 64 * 1024;

/// One population in the root attribute `spikeflow_layout` (what [`ResultFile::open`] reads;
/// the same values are numeric attributes of `/populations/<label>` for h5py).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PopLayout {
    label: String,
    size: usize,
    cell_type: String,
    first_index: usize,
    /// The recorded variables, in the order of `Simulation::get_data`.
    signals: Vec<String>,
}

/// The root attribute `spikeflow_layout`: the numeric metadata as JSON, because rust-hdf5 0.7
/// reads only string attributes of groups back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Layout {
    seed: u64,
    dt_ms: f64,
    duration_ms: f64,
    populations: Vec<PopLayout>,
}

#[derive(Debug)]
struct SignalDs {
    variable: String,
    data: usize,
    columns: usize,
    written: usize,
}

#[derive(Debug)]
struct PopWriter {
    pop: PopulationId,
    label: String,
    recorded: bool,
    neuron_ds: usize,
    time_ds: usize,
    /// Per spike train (in `get_data` order): its source neuron and spikes written.
    trains: Vec<(usize, usize)>,
    spikes_written: u64,
    signals: Vec<SignalDs>,
}

/// Writes one run's results into an HDF5 file while it runs (layout: docs/output-format.md).
///
/// Dropping the writer without [`finish`](Self::finish) closes the file too (with everything
/// appended so far); a process killed outright leaves a file that still reads (see the module
/// documentation of `output::hdf5`).
pub struct ResultWriter {
    path: PathBuf,
    file: Option<SwmrFileWriter>,
    meta: RunMetadata,
    pops: Vec<PopulationId>,
    writers: Vec<PopWriter>,
    until_ds: usize,
    started: bool,
}

impl std::fmt::Debug for ResultWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultWriter").field("path", &self.path).field("started", &self.started).finish_non_exhaustive()
    }
}

fn h5err(path: &Path, doing: &str, e: impl std::fmt::Display) -> OutputError {
    OutputError::Hdf5 { path: path.display().to_string(), message: format!("{doing}: {e}") }
}

fn format_err(path: &Path, what: impl Into<String>, rule: impl Into<String>) -> OutputError {
    OutputError::Format { path: path.display().to_string(), what: what.into(), rule: rule.into() }
}

fn le_bytes<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| f(v)).collect()
}

/// Seconds since 1970 as ISO 8601 UTC (civil-from-days, proleptic Gregorian).
fn iso_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A 1-D u32 dataset written once (chunked, so that an empty one is possible).
fn write_u32(f: &mut SwmrFileWriter, name: &str, values: &[u32]) -> Result<(), rust_hdf5::Hdf5Error> {
    let n = values.len() as u64;
    let ds = f.create_grid_dataset_with_max(name, u32::hdf5_type(), &[n], &[None], &[n.clamp(1, SPIKE_CHUNK)], None)?;
    if n > 0 {
        f.write_slice(ds, &[0], &[n], &le_bytes(values, u32::to_le_bytes))?;
    }
    Ok(())
}

fn check_label(label: &str) -> Result<(), OutputError> {
    if label.is_empty() || label == "." || label.contains('/') {
        return Err(OutputError::Invalid {
            what: format!("population '{label}'.label"),
            rule: "must be non-empty, not '.', and contain no '/' to name an HDF5 group".into(),
        });
    }
    Ok(())
}

impl ResultWriter {
    /// Creates the file and writes metadata and the population groups (labels, sizes, cell
    /// types from the sim). If the simulation is not built yet, the population groups are
    /// written by the first [`append`](Self::append) (what is recorded is fixed only then).
    pub fn create(path: &Path, meta: &RunMetadata, sim: &Simulation, pops: &[PopulationId]) -> Result<Self, OutputError> {
        for &p in pops {
            check_label(sim.label(p)?)?;
        }
        if let Some(dup) = pops.iter().enumerate().find(|(i, p)| pops[..*i].iter().any(|q| q.index() == p.index())) {
            return Err(OutputError::Invalid { what: "pops".into(), rule: format!("population '{}' is listed twice", sim.label(*dup.1)?) });
        }
        let file = SwmrFileWriter::create(path).map_err(|e| h5err(path, "create", e))?;
        let mut w = Self {
            path: path.to_path_buf(),
            file: Some(file),
            meta: meta.clone(),
            pops: pops.to_vec(),
            writers: Vec::new(),
            until_ds: 0,
            started: false,
        };
        if sim.network().is_some() {
            w.start(sim)?;
        }
        Ok(w)
    }

    fn file(&mut self) -> Result<&mut SwmrFileWriter, OutputError> {
        let path = self.path.display().to_string();
        self.file.as_mut().ok_or(OutputError::Hdf5 { path, message: "the file is already closed".into() })
    }

    /// Writes the root attributes, creates every group and dataset, and enters SWMR mode.
    fn start(&mut self, sim: &Simulation) -> Result<(), OutputError> {
        let net: &BuiltNetwork = sim.network().ok_or_else(|| OutputError::Invalid {
            what: "ResultWriter::append".into(),
            rule: "the simulation has not been built yet; call it after sim.run()".into(),
        })?;
        let path = self.path.clone();
        let e = |doing: &str| {
            let path = path.clone();
            let doing = doing.to_string();
            move |err: rust_hdf5::Hdf5Error| h5err(&path, &doing, err)
        };
        let mut layout = Layout { seed: self.meta.seed, dt_ms: self.meta.dt_ms, duration_ms: self.meta.duration_ms, populations: vec![] };
        let mut first_index = vec![0usize; net.pops.len() + 1];
        for (i, p) in net.pops.iter().enumerate() {
            first_index[i + 1] = first_index[i] + p.n as usize;
        }
        let meta = self.meta.clone();
        let created = iso_utc(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
        let pops = self.pops.clone();
        let mut writers = Vec::new();
        let f = self.file()?;
        for (name, value) in [
            ("spikeflow_version", env!("CARGO_PKG_VERSION")),
            ("model_name", &meta.model_name),
            ("model_text", &meta.model_text),
            ("backend", &meta.backend),
            ("adapter", &meta.adapter),
            ("created", &created),
        ] {
            f.set_group_attr_string("/", name, value).map_err(e(&format!("attribute /{name}")))?;
        }
        f.set_group_attr_numeric("/", "seed", &meta.seed).map_err(e("attribute /seed"))?;
        f.set_group_attr_numeric("/", "dt_ms", &meta.dt_ms).map_err(e("attribute /dt_ms"))?;
        f.set_group_attr_numeric("/", "duration_ms", &meta.duration_ms).map_err(e("attribute /duration_ms"))?;
        let until = f
            .create_grid_dataset_with_max("recorded_until_ms", f64::hdf5_type(), &[1], &[Some(1)], &[1], None)
            .map_err(e("dataset /recorded_until_ms"))?;
        f.write_slice(until, &[0], &[1], &0f64.to_le_bytes()).map_err(e("dataset /recorded_until_ms"))?;
        f.set_dataset_attr_string(until, "unit", "ms").map_err(e("dataset /recorded_until_ms"))?;
        f.create_group("/", "populations").map_err(e("group /populations"))?;
        f.create_group("/", "stats").map_err(e("group /stats"))?;
        for pop in pops {
            let bp = net.pops.get(pop.index()).ok_or_else(|| OutputError::Invalid {
                what: "pops".into(),
                rule: format!("population #{} does not belong to this simulation", pop.index()),
            })?;
            let label = bp.label.clone();
            let g = format!("/populations/{label}");
            f.create_group("/populations", &label).map_err(e(&g))?;
            f.create_group("/stats", &label).map_err(e(&format!("/stats/{label}")))?;
            f.set_group_attr_numeric(&g, "size", &u64::from(bp.n)).map_err(e(&g))?;
            f.set_group_attr_string(&g, "cell_type", bp.spec.cell_type).map_err(e(&g))?;
            f.set_group_attr_numeric(&g, "first_index", &(first_index[pop.index()] as u64)).map_err(e(&g))?;
            layout.populations.push(PopLayout {
                label: label.clone(),
                size: bp.n as usize,
                cell_type: bp.spec.cell_type.to_string(),
                first_index: first_index[pop.index()],
                signals: Vec::new(),
            });
            let recorded = bp.record.spikes || !bp.record.vars.is_empty();
            let seg = if recorded { Some(sim.get_data(pop)?) } else { None };
            let sg = format!("{g}/spikes");
            f.create_group(&g, "spikes").map_err(e(&sg))?;
            let trains: Vec<(usize, usize)> = seg.iter().flat_map(|s| s.spiketrains.iter().map(|t| (t.source_index, 0))).collect();
            let recorded_neurons: Vec<u32> = trains.iter().map(|t| t.0 as u32).collect();
            write_u32(f, &format!("{sg}/recorded_neurons"), &recorded_neurons).map_err(e(&format!("{sg}/recorded_neurons")))?;
            let neuron_ds = f
                .create_grid_dataset_with_max(&format!("{sg}/neuron"), u32::hdf5_type(), &[0], &[None], &[SPIKE_CHUNK], None)
                .map_err(e(&format!("{sg}/neuron")))?;
            let time_ds = f
                .create_grid_dataset_with_max(&format!("{sg}/time_ms"), f64::hdf5_type(), &[0], &[None], &[SPIKE_CHUNK], None)
                .map_err(e(&format!("{sg}/time_ms")))?;
            f.set_dataset_attr_string(time_ds, "unit", "ms").map_err(e(&sg))?;
            let sigg = format!("{g}/signals");
            f.create_group(&g, "signals").map_err(e(&sigg))?;
            let mut signals = Vec::new();
            for a in seg.iter().flat_map(|s| &s.analogsignals) {
                if a.channel_index.is_empty() {
                    continue;
                }
                let vg = format!("{sigg}/{}", a.name);
                f.create_group(&sigg, &a.name).map_err(e(&vg))?;
                let cols = a.channel_index.len() as u64;
                let rows = (SIGNAL_CHUNK_BYTES / (4 * cols)).clamp(1, 1024);
                let data = f
                    .create_grid_dataset_with_max(
                        &format!("{vg}/data"),
                        f32::hdf5_type(),
                        &[0, cols],
                        &[None, Some(cols)],
                        &[rows, cols],
                        None,
                    )
                    .map_err(e(&format!("{vg}/data")))?;
                f.set_dataset_attr_string(data, "unit", &a.units).map_err(e(&vg))?;
                f.set_dataset_attr_numeric(data, "sampling_interval_ms", &a.sampling_period).map_err(e(&vg))?;
                f.set_dataset_attr_numeric(data, "t_start_ms", &a.t_start).map_err(e(&vg))?;
                let neurons: Vec<u32> = a.channel_index.iter().map(|&i| i as u32).collect();
                write_u32(f, &format!("{vg}/neurons"), &neurons).map_err(e(&format!("{vg}/neurons")))?;
                signals.push(SignalDs { variable: a.name.clone(), data, columns: cols as usize, written: 0 });
                if let Some(pl) = layout.populations.last_mut() {
                    pl.signals.push(a.name.clone());
                }
            }
            writers.push(PopWriter { pop, label, recorded, neuron_ds, time_ds, trains, spikes_written: 0, signals });
        }
        let json = serde_json::to_string(&layout).map_err(|err| h5err(&path, "metadata", err))?;
        f.set_group_attr_string("/", "spikeflow_layout", &json).map_err(e("attribute /spikeflow_layout"))?;
        f.start_swmr().map_err(e("start SWMR"))?;
        self.writers = writers;
        self.until_ds = until;
        self.started = true;
        Ok(())
    }

    /// Appends everything recorded in `sim` since the previous call (spikes and signals of
    /// each population) and flushes, so a run killed later keeps it. Called by the CLI after
    /// each `sim.run(slice)`.
    pub fn append(&mut self, sim: &Simulation) -> Result<(), OutputError> {
        if !self.started {
            self.start(sim)?;
        }
        let path = self.path.clone();
        let e = |doing: String| {
            let path = path.clone();
            move |err: rust_hdf5::Hdf5Error| h5err(&path, &doing, err)
        };
        let mut writers = std::mem::take(&mut self.writers);
        let result = (|| {
            for pw in &mut writers {
                if !pw.recorded {
                    continue;
                }
                let seg = sim.get_data(pw.pop)?;
                if seg.spiketrains.len() != pw.trains.len()
                    || seg.spiketrains.iter().zip(&pw.trains).any(|(s, t)| s.source_index != t.0 || s.times.len() < t.1)
                {
                    return Err(OutputError::Invalid {
                        what: format!("ResultWriter::append population '{}'", pw.label),
                        rule: "the recording changed since the file was created (was the simulation reset?)".into(),
                    });
                }
                let mut new: Vec<(f64, u32)> = Vec::new();
                for (s, t) in seg.spiketrains.iter().zip(&mut pw.trains) {
                    new.extend(s.times[t.1..].iter().map(|&x| (x, s.source_index as u32)));
                    t.1 = s.times.len();
                }
                new.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let f = self.file.as_mut().ok_or_else(|| h5err(&path, "append", "the file is already closed"))?;
                if !new.is_empty() {
                    let (start, n) = (pw.spikes_written, new.len() as u64);
                    let sg = format!("/populations/{}/spikes", pw.label);
                    let neurons: Vec<u32> = new.iter().map(|s| s.1).collect();
                    let times: Vec<f64> = new.iter().map(|s| s.0).collect();
                    f.set_extent(pw.neuron_ds, &[start + n]).map_err(e(format!("{sg}/neuron")))?;
                    f.write_slice(pw.neuron_ds, &[start], &[n], &le_bytes(&neurons, u32::to_le_bytes))
                        .map_err(e(format!("{sg}/neuron")))?;
                    f.set_extent(pw.time_ds, &[start + n]).map_err(e(format!("{sg}/time_ms")))?;
                    f.write_slice(pw.time_ds, &[start], &[n], &le_bytes(&times, f64::to_le_bytes)).map_err(e(format!("{sg}/time_ms")))?;
                    pw.spikes_written += n;
                }
                for sd in &mut pw.signals {
                    let what = format!("/populations/{}/signals/{}/data", pw.label, sd.variable);
                    let a = seg.signal(&sd.variable).filter(|a| a.data.len() == sd.columns).ok_or_else(|| OutputError::Invalid {
                        what: format!("ResultWriter::append population '{}'", pw.label),
                        rule: format!("signal '{}' changed since the file was created", sd.variable),
                    })?;
                    let samples = a.data.first().map_or(0, Vec::len);
                    if samples <= sd.written {
                        continue;
                    }
                    let rows = samples - sd.written;
                    let mut buf = Vec::with_capacity(rows * sd.columns * 4);
                    for s in sd.written..samples {
                        for col in &a.data {
                            buf.extend_from_slice(&col[s].to_le_bytes());
                        }
                    }
                    let cols = sd.columns as u64;
                    f.set_extent(sd.data, &[samples as u64, cols]).map_err(e(what.clone()))?;
                    f.write_slice(sd.data, &[sd.written as u64, 0], &[rows as u64, cols], &buf).map_err(e(what))?;
                    sd.written = samples;
                }
            }
            Ok(())
        })();
        self.writers = writers;
        result?;
        let until = self.until_ds;
        let t = sim.time();
        let f = self.file()?;
        f.write_slice(until, &[0], &[1], &t.to_le_bytes()).map_err(|err| h5err(&path, "dataset /recorded_until_ms", err))?;
        f.flush().map_err(|err| h5err(&path, "flush", err))
    }

    /// Writes each population's statistics as attributes of `/stats/<label>` (undefined ones
    /// as NaN). They reach the file when it is closed.
    pub fn write_stats(&mut self, stats: &[(String, PopulationStats)]) -> Result<(), OutputError> {
        if !self.started {
            return Err(OutputError::Invalid {
                what: "ResultWriter::write_stats".into(),
                rule: "call append() at least once first (nothing has been written yet)".into(),
            });
        }
        let path = self.path.clone();
        let labels: Vec<String> = self.writers.iter().map(|w| w.label.clone()).collect();
        let f = self.file()?;
        for (label, s) in stats {
            if !labels.contains(label) {
                return Err(OutputError::Invalid {
                    what: format!("write_stats '{label}'"),
                    rule: format!("no such population in the file (it has: {})", labels.join(", ")),
                });
            }
            let g = format!("/stats/{label}");
            let nan = f64::NAN;
            for (name, v) in [
                ("mean_rate_hz", s.mean_rate_hz),
                ("cv_isi", s.cv_isi.unwrap_or(nan)),
                ("fano_factor", s.fano_factor.unwrap_or(nan)),
                ("fraction_active", s.fraction_active),
                ("rate_peak_hz", s.rate_peak_hz.unwrap_or(nan)),
                ("fano_bin_ms", crate::stats::FANO_BIN_MS),
                ("rate_bin_ms", crate::stats::RATE_BIN_MS),
            ] {
                f.set_group_attr_numeric(&g, name, &v).map_err(|err| h5err(&path, &format!("{g}.{name}"), err))?;
            }
            for (name, v) in [("n_neurons", s.n_neurons as u64), ("n_spikes", s.n_spikes as u64)] {
                f.set_group_attr_numeric(&g, name, &v).map_err(|err| h5err(&path, &format!("{g}.{name}"), err))?;
            }
        }
        Ok(())
    }

    /// Closes the file (it is complete and readable by any HDF5 reader without `h5clear`).
    pub fn finish(mut self) -> Result<(), OutputError> {
        let path = self.path.clone();
        match self.file.take() {
            Some(f) => f.close().map_err(|e| h5err(&path, "close", e)),
            None => Ok(()),
        }
    }
}

impl ResultFile {
    /// Reads a result file written by [`ResultWriter`], complete or from a run that was
    /// stopped (then it holds what was appended before).
    pub fn open(path: &Path) -> Result<Self, OutputError> {
        let f = H5File::open(path).map_err(|e| h5err(path, "open", e))?;
        let sattr = |name: &str| f.attr_string(name).map_err(|e| format_err(path, format!("attribute /{name}"), e.to_string()));
        let layout: Layout = serde_json::from_str(&sattr("spikeflow_layout")?)
            .map_err(|e| format_err(path, "attribute /spikeflow_layout", format!("not spikeflow's layout JSON: {e}")))?;
        let meta = RunMetadata {
            model_name: sattr("model_name")?,
            model_text: sattr("model_text")?,
            seed: layout.seed,
            backend: sattr("backend")?,
            adapter: sattr("adapter")?,
            dt_ms: layout.dt_ms,
            duration_ms: layout.duration_ms,
        };
        let ds = |name: &str| f.dataset(name).map_err(|e| format_err(path, format!("dataset /{name}"), e.to_string()));
        let read_err = |name: &str, e: rust_hdf5::Hdf5Error| format_err(path, format!("dataset /{name}"), e.to_string());
        let until = ds("recorded_until_ms")?.read_raw::<f64>().map_err(|e| read_err("recorded_until_ms", e))?;
        let recorded_until_ms =
            *until.first().ok_or_else(|| format_err(path, "dataset /recorded_until_ms", "must hold one value (it is empty)"))?;
        let mut populations = Vec::new();
        for p in layout.populations {
            let g = format!("populations/{}", p.label);
            let read_u32 = |name: String| ds(&name)?.read_raw::<u32>().map_err(|e| read_err(&name, e));
            let spikes_recorded = read_u32(format!("{g}/spikes/recorded_neurons"))?;
            let spike_neurons = read_u32(format!("{g}/spikes/neuron"))?;
            let tname = format!("{g}/spikes/time_ms");
            let spike_times_ms = ds(&tname)?.read_raw::<f64>().map_err(|e| read_err(&tname, e))?;
            if spike_neurons.len() != spike_times_ms.len() {
                return Err(format_err(
                    path,
                    format!("/{g}/spikes"),
                    format!("neuron and time_ms must have the same length ({} and {})", spike_neurons.len(), spike_times_ms.len()),
                ));
            }
            let mut signals = Vec::new();
            for var in &p.signals {
                let dname = format!("{g}/signals/{var}/data");
                let d = ds(&dname)?;
                let shape = d.shape();
                let data = d.read_raw::<f32>().map_err(|e| read_err(&dname, e))?;
                let attr_f64 = |name: &str| {
                    d.attr(name)
                        .and_then(|a| a.read_numeric::<f64>())
                        .map_err(|e| format_err(path, format!("/{dname}.{name}"), e.to_string()))
                };
                let unit =
                    d.attr("unit").and_then(|a| a.read_string()).map_err(|e| format_err(path, format!("/{dname}.unit"), e.to_string()))?;
                let neurons = read_u32(format!("{g}/signals/{var}/neurons"))?;
                if shape.len() != 2 || shape[1] != neurons.len() || data.len() != shape[0] * shape[1] {
                    return Err(format_err(
                        path,
                        format!("/{dname}"),
                        format!("must be [samples][{} neurons] (shape {shape:?}, {} values)", neurons.len(), data.len()),
                    ));
                }
                signals.push(Signal {
                    variable: var.clone(),
                    unit,
                    sampling_interval_ms: attr_f64("sampling_interval_ms")?,
                    t_start_ms: attr_f64("t_start_ms")?,
                    neurons,
                    data,
                });
            }
            populations.push(PopulationResult {
                label: p.label,
                size: p.size,
                cell_type: p.cell_type,
                first_index: p.first_index,
                spikes_recorded,
                spike_neurons,
                spike_times_ms,
                signals,
            });
        }
        Ok(Self { meta, spikeflow_version: sattr("spikeflow_version")?, created: sattr("created")?, recorded_until_ms, populations })
    }
}

#[cfg(test)]
mod tests {
    use super::iso_utc;

    #[test]
    fn iso_time_of_known_instants() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
