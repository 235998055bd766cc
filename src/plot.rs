//! Figures with plotters: stacked panels of traces (like PyNN's Figure/Panel), rasters
//! coloured by population with the population rate below, and histograms. The file type
//! follows the extension: `.svg` gives SVG, anything else PNG. Text uses the embedded DejaVu
//! Sans (assets/, Bitstream Vera licence), so no system font is needed.

use crate::output::ResultFile;
use crate::record::Segment;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use thiserror::Error;

/// A figure could not be drawn or written.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("figure {path}: {message}")]
pub struct PlotError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// One panel: a title, a y-axis label and lines of (times in ms, values).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    /// Panel title.
    pub title: String,
    /// y-axis label (with unit).
    pub y_label: String,
    /// (x, y) series; x is time in ms.
    pub lines: Vec<(Vec<f64>, Vec<f64>)>,
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, include_bytes!("../assets/DejaVuSans.ttf"))
            .map_err(|_| "the embedded font could not be loaded".to_string())
    })
    .clone()
}

fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError { path: path.display().to_string(), message: e.to_string() }
}

fn with_backend(
    path: &Path,
    size: (u32, u32),
    draw: impl Fn(DrawingArea<BitMapBackend, Shift>) -> Result<(), String>,
    draw_svg: impl Fn(DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<(), PlotError> {
    font().map_err(|e| err(path, e))?;
    let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if svg {
        let root = SVGBackend::new(path, size).into_drawing_area();
        draw_svg(root).map_err(|e| err(path, e))
    } else {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        draw(root).map_err(|e| err(path, e))
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad, hi + pad)
}

fn draw_panels<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, title: &str, columns: usize, panels: &[Panel]) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(|e| e.to_string())?;
    let columns = columns.max(1);
    let rows = panels.len().div_ceil(columns).max(1);
    let areas = root.split_evenly((rows, columns));
    for (panel, area) in panels.iter().zip(areas) {
        let (x0, x1) = range(panel.lines.iter().flat_map(|(x, _)| x.iter().copied()));
        let (y0, y1) = range(panel.lines.iter().flat_map(|(_, y)| y.iter().copied()));
        let mut chart = ChartBuilder::on(&area)
            .caption(&panel.title, ("sans-serif", 14))
            .margin(6)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("time (ms)")
            .y_desc(panel.y_label.as_str())
            .label_style(("sans-serif", 11))
            .x_labels(5)
            .y_labels(5)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (x, y)) in panel.lines.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            chart
                .draw_series(LineSeries::new(x.iter().copied().zip(y.iter().copied()), color.stroke_width(1)))
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())
}

/// Stacked panels in a grid of `columns` columns.
pub fn panels(path: &Path, title: &str, columns: usize, panels: &[Panel]) -> Result<(), PlotError> {
    let rows = panels.len().div_ceil(columns.max(1)).max(1) as u32;
    let size = (420 * columns.max(1) as u32, 60 + 220 * rows);
    with_backend(path, size, |r| draw_panels(r, title, columns, panels), |r| draw_panels(r, title, columns, panels))
}

fn draw_raster<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, title: &str, segments: &[&Segment], t_stop: f64) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(|e| e.to_string())?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 * 7 / 10);
    let n_total: usize = segments.iter().map(|s| s.spiketrains.len()).sum::<usize>().max(1);
    let t_stop = if t_stop > 0.0 { t_stop } else { 1.0 };
    let mut chart = ChartBuilder::on(&top)
        .margin(8)
        .x_label_area_size(20)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..t_stop, 0.0..n_total as f64)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().y_desc("neuron").label_style(("sans-serif", 11)).disable_mesh().draw().map_err(|e| e.to_string())?;
    let mut base = 0usize;
    for (k, seg) in segments.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points = seg.spiketrains.iter().enumerate().flat_map(|(row, st)| st.times.iter().map(move |&t| (t, (base + row) as f64 + 0.5)));
        chart
            .draw_series(points.map(|p| Circle::new(p, 1, color.filled())))
            .map_err(|e| e.to_string())?
            .label(seg.population.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 8, y + 4)], color.filled()));
        base += seg.spiketrains.len();
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| e.to_string())?;

    // Population rate in 1 ms... bins of t_stop/200 (at least dt-free: 1 ms minimum).
    let bin = (t_stop / 200.0).max(1.0);
    let nbins = (t_stop / bin).ceil() as usize;
    let mut series = Vec::new();
    let mut max_rate: f64 = 1.0;
    for seg in segments {
        let mut counts = vec![0usize; nbins];
        for t in seg.spiketrains.iter().flat_map(|s| &s.times) {
            let b = ((t / bin) as usize).min(nbins - 1);
            counts[b] += 1;
        }
        let n = seg.spiketrains.len().max(1) as f64;
        let rates: Vec<(f64, f64)> =
            counts.iter().enumerate().map(|(b, &c)| ((b as f64 + 0.5) * bin, c as f64 / n / (bin / 1000.0))).collect();
        max_rate = rates.iter().map(|r| r.1).fold(max_rate, f64::max);
        series.push(rates);
    }
    let mut rate_chart = ChartBuilder::on(&bottom)
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..t_stop, 0.0..max_rate * 1.05)
        .map_err(|e| e.to_string())?;
    rate_chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, rates) in series.into_iter().enumerate() {
        rate_chart.draw_series(LineSeries::new(rates, COLORS[k % COLORS.len()].stroke_width(1))).map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Spike raster of the segments (one colour per population) with each population's rate
/// below, over [0, t_stop] ms.
pub fn raster(path: &Path, title: &str, segments: &[&Segment], t_stop: f64) -> Result<(), PlotError> {
    with_backend(path, (1000, 700), |r| draw_raster(r, title, segments, t_stop), |r| draw_raster(r, title, segments, t_stop))
}

/// A histogram: bins with `edges` (one more than `counts`), as bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Figure title.
    pub title: String,
    /// x-axis label (with unit).
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Bin edges, ascending.
    pub edges: Vec<f64>,
    /// Height of each bin.
    pub counts: Vec<f64>,
}

fn draw_histogram<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, h: &Histogram) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(&h.title, ("sans-serif", 20)).map_err(|e| e.to_string())?;
    histogram_on(&root, h, None)?;
    root.present().map_err(|e| e.to_string())
}

/// Bars of `h` on `area`, with `caption` above them when given.
fn histogram_on<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &Histogram, caption: Option<&str>) -> Result<(), String> {
    let (x0, x1) = match (h.edges.first(), h.edges.last()) {
        (Some(&a), Some(&b)) if b > a => (a, b),
        _ => (0.0, 1.0),
    };
    let top = h.counts.iter().copied().filter(|c| c.is_finite()).fold(0.0, f64::max).max(1e-12) * 1.05;
    let mut builder = ChartBuilder::on(area);
    if let Some(c) = caption {
        builder.caption(c, ("sans-serif", 14));
    }
    let mut chart =
        builder.margin(10).x_label_area_size(36).y_label_area_size(56).build_cartesian_2d(x0..x1, 0.0..top).map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(h.x_label.as_str())
        .y_desc(h.y_label.as_str())
        .label_style(("sans-serif", 12))
        .disable_x_mesh()
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    let bars = h.edges.windows(2).zip(&h.counts).map(|(e, &c)| Rectangle::new([(e[0], 0.0), (e[1], c)], COLORS[0].filled()));
    chart.draw_series(bars).map_err(|e| e.to_string())?;
    Ok(())
}

fn draw_histograms<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, title: &str, columns: usize, hs: &[Histogram]) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(|e| e.to_string())?;
    let rows = hs.len().div_ceil(columns).max(1);
    for (h, area) in hs.iter().zip(root.split_evenly((rows, columns))) {
        histogram_on(&area, h, Some(&h.title))?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Several histograms in a grid of `columns` columns, each titled with its own title.
pub fn histograms(path: &Path, title: &str, columns: usize, histograms: &[Histogram]) -> Result<(), PlotError> {
    if let Some(h) = histograms.iter().find(|h| h.edges.len() != h.counts.len() + 1) {
        return Err(err(path, format!("histogram '{}': {} edges for {} bins", h.title, h.edges.len(), h.counts.len())));
    }
    let columns = columns.clamp(1, histograms.len().max(1));
    let rows = histograms.len().div_ceil(columns).max(1) as u32;
    let size = (520 * columns as u32, 60 + 340 * rows);
    with_backend(path, size, |r| draw_histograms(r, title, columns, histograms), |r| draw_histograms(r, title, columns, histograms))
}

/// A histogram as a bar chart.
pub fn histogram(path: &Path, histogram: &Histogram) -> Result<(), PlotError> {
    if histogram.edges.len() != histogram.counts.len() + 1 {
        return Err(err(path, format!("{} edges for {} bins", histogram.edges.len(), histogram.counts.len())));
    }
    with_backend(path, (640, 420), |r| draw_histogram(r, histogram), |r| draw_histogram(r, histogram))
}

/// Most neurons drawn per trace panel by [`traces_file`] (the panel title says how many of
/// how many are shown).
pub const MAX_TRACES_PER_PANEL: usize = 10;
/// Bins of the per-neuron rate histograms of [`rate_histogram_file`].
pub const RATE_HISTOGRAM_BINS: usize = 20;

/// Raster of every population of a result file that recorded spikes (one colour per
/// population) with the population rates below, over the recorded time.
pub fn raster_file(file: &ResultFile, path: &Path) -> Result<(), PlotError> {
    let t = file.recorded_until_ms;
    let segments: Vec<Segment> = file.populations.iter().filter(|p| !p.spikes_recorded.is_empty()).map(|p| p.segment(t)).collect();
    if segments.is_empty() {
        return Err(err(path, "no population of the file recorded spikes"));
    }
    let refs: Vec<&Segment> = segments.iter().collect();
    raster(path, &format!("{}: spikes", file.meta.model_name), &refs, t)
}

/// Recorded state variables in stacked panels (PyNN's Figure/Panel): one panel per
/// population and variable, with up to [`MAX_TRACES_PER_PANEL`] neurons each.
pub fn traces_file(file: &ResultFile, path: &Path) -> Result<(), PlotError> {
    let mut list = Vec::new();
    for p in &file.populations {
        for s in &p.signals {
            let shown = s.neurons.len().min(MAX_TRACES_PER_PANEL);
            let which = if shown < s.neurons.len() {
                format!("first {shown} of {} recorded neurons", s.neurons.len())
            } else {
                format!("{shown} neuron{}", if shown == 1 { "" } else { "s" })
            };
            let times: Vec<f64> = (0..s.n_samples()).map(|k| s.t_start_ms + k as f64 * s.sampling_interval_ms).collect();
            list.push(Panel {
                title: format!("{} {}: {which}", p.label, s.variable),
                y_label: format!("{} ({})", s.variable, s.unit),
                lines: (0..shown).map(|k| (times.clone(), s.column(k).iter().map(|&v| f64::from(v)).collect())).collect(),
            });
        }
    }
    if list.is_empty() {
        return Err(err(path, "no population of the file recorded a state variable"));
    }
    let size = (900, 60 + 220 * list.len() as u32);
    let title = format!("{}: recorded variables", file.meta.model_name);
    with_backend(path, size, |r| draw_panels(r, &title, 1, &list), |r| draw_panels(r, &title, 1, &list))
}

/// Histograms of the firing rates of the recorded neurons, one panel per population that
/// recorded spikes ([`RATE_HISTOGRAM_BINS`] bins from 0 to the highest rate).
pub fn rate_histogram_file(file: &ResultFile, path: &Path) -> Result<(), PlotError> {
    let t = file.recorded_until_ms;
    if t <= 0.0 {
        return Err(err(path, "the file holds no simulated time"));
    }
    let mut hs = Vec::new();
    for p in file.populations.iter().filter(|p| !p.spikes_recorded.is_empty()) {
        let mut count = std::collections::HashMap::new();
        for &n in &p.spike_neurons {
            *count.entry(n).or_insert(0usize) += 1;
        }
        let rates: Vec<f64> = p.spikes_recorded.iter().map(|n| count.get(n).copied().unwrap_or(0) as f64 / (t / 1000.0)).collect();
        let hi = rates.iter().copied().fold(0.0, f64::max).max(1.0);
        let width = hi / RATE_HISTOGRAM_BINS as f64;
        let mut counts = vec![0.0; RATE_HISTOGRAM_BINS];
        for r in &rates {
            counts[((r / width) as usize).min(RATE_HISTOGRAM_BINS - 1)] += 1.0;
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        hs.push(Histogram {
            title: format!("{} (mean {mean:.2} Hz)", p.label),
            x_label: "rate (Hz)".into(),
            y_label: "neurons".into(),
            edges: (0..=RATE_HISTOGRAM_BINS).map(|k| k as f64 * width).collect(),
            counts,
        });
    }
    if hs.is_empty() {
        return Err(err(path, "no population of the file recorded spikes"));
    }
    histograms(path, &format!("{}: firing rates", file.meta.model_name), 2, &hs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SpikeTrain;

    #[test]
    fn panels_and_raster_write_png_and_svg() {
        let dir = std::env::temp_dir().join(format!("spikeflow-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t: Vec<f64> = (0..100).map(f64::from).collect();
        let p = Panel { title: "v".into(), y_label: "v (mV)".into(), lines: vec![(t.clone(), t.iter().map(|x| x.sin()).collect())] };
        let seg = Segment {
            population: "exc".into(),
            t_start: 0.0,
            t_stop: 100.0,
            spiketrains: vec![SpikeTrain { source_index: 0, times: vec![1.0, 50.0] }, SpikeTrain { source_index: 1, times: vec![20.0] }],
            analogsignals: vec![],
        };
        let h = Histogram {
            title: "weights".into(),
            x_label: "w (µS)".into(),
            y_label: "synapses".into(),
            edges: vec![0.0, 0.5, 1.0],
            counts: vec![3.0, 7.0],
        };
        for ext in ["png", "svg"] {
            let f = dir.join(format!("histogram.{ext}"));
            histogram(&f, &h).unwrap();
            assert!(std::fs::metadata(&f).unwrap().len() > 1000, "{ext} histogram file too small");
            let f = dir.join(format!("panels.{ext}"));
            panels(&f, "test", 2, &[p.clone(), p.clone(), p.clone()]).unwrap();
            assert!(std::fs::metadata(&f).unwrap().len() > 1000, "{ext} panels file too small");
            let r = dir.join(format!("raster.{ext}"));
            raster(&r, "raster", &[&seg], 100.0).unwrap();
            assert!(std::fs::metadata(&r).unwrap().len() > 1000, "{ext} raster file too small");
        }
        let png = std::fs::read(dir.join("panels.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;
    use crate::output::{PopulationResult, ResultFile, RunMetadata, Signal};

    /// Two populations: `exc` fires neuron i at 10 + 2i ms and 300 + 2i ms, `inh` never;
    /// `exc` has a sine trace of 3 neurons.
    fn file(with_spikes: bool) -> ResultFile {
        let (mut neurons, mut times) = (Vec::new(), Vec::new());
        if with_spikes {
            for base in [10.0, 300.0] {
                for i in 0..40u32 {
                    neurons.push(i);
                    times.push(base + 2.0 * f64::from(i));
                }
            }
        }
        let data: Vec<f32> = (0..500).flat_map(|k| (0..3).map(move |n| -65.0 + 5.0 * ((k as f32) * 0.05 + n as f32).sin())).collect();
        let pop = |label: &str, size: usize, first: usize| PopulationResult {
            label: label.into(),
            size,
            cell_type: "IF_cond_exp".into(),
            first_index: first,
            spikes_recorded: (0..size as u32).collect(),
            spike_neurons: vec![],
            spike_times_ms: vec![],
            signals: vec![],
        };
        let mut exc = pop("exc", 40, 0);
        exc.spike_neurons = neurons;
        exc.spike_times_ms = times;
        exc.signals = vec![Signal {
            variable: "v".into(),
            unit: "mV".into(),
            sampling_interval_ms: 1.0,
            t_start_ms: 0.0,
            neurons: vec![0, 1, 2],
            data,
        }];
        ResultFile {
            meta: RunMetadata {
                model_name: "test".into(),
                model_text: String::new(),
                seed: 1,
                backend: "cpu".into(),
                adapter: "cpu".into(),
                dt_ms: 0.1,
                duration_ms: 500.0,
            },
            spikeflow_version: "0".into(),
            created: "1970-01-01T00:00:00Z".into(),
            recorded_until_ms: 500.0,
            populations: vec![exc, pop("inh", 10, 40)],
        }
    }

    /// (width, height, pixels of exactly `color`).
    fn png_stats(path: &Path, color: RGBColor) -> (u32, u32, usize) {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
        let n = buf[..info.buffer_size()].chunks(3).filter(|p| p == &[color.0, color.1, color.2]).count();
        (info.width, info.height, n)
    }

    #[test]
    fn result_file_figures_in_png_and_svg() {
        let dir = std::env::temp_dir().join(format!("spikeflow-plot-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (full, silent) = (file(true), file(false));
        for ext in ["png", "svg"] {
            raster_file(&full, &dir.join(format!("raster.{ext}"))).unwrap();
            raster_file(&silent, &dir.join(format!("raster-silent.{ext}"))).unwrap();
            traces_file(&full, &dir.join(format!("traces.{ext}"))).unwrap();
            rate_histogram_file(&full, &dir.join(format!("rates.{ext}"))).unwrap();
        }
        // PNG: the right size, and the population's colour where its spikes are.
        let (w, h, spikes) = png_stats(&dir.join("raster.png"), COLORS[0]);
        let (_, _, none) = png_stats(&dir.join("raster-silent.png"), COLORS[0]);
        assert_eq!((w, h), (1000, 700));
        assert!(spikes > none + 80 * 4, "80 spikes should colour pixels: {spikes} vs {none} without spikes");
        let (w, h, line) = png_stats(&dir.join("traces.png"), COLORS[0]);
        assert_eq!((w, h), (900, 280));
        assert!(line > 300, "the first trace is drawn ({line} pixels)");
        let (w, h, bars) = png_stats(&dir.join("rates.png"), COLORS[0]);
        assert_eq!((w, h), (1040, 400));
        assert!(bars > 1000, "rate bars are drawn ({bars} pixels)");
        // SVG: one circle per spike, a polyline per trace, the titles as text.
        let svg = std::fs::read_to_string(dir.join("raster.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.matches("<circle").count() >= 80, "raster SVG lacks the spikes");
        let svg = std::fs::read_to_string(dir.join("traces.svg")).unwrap();
        assert!(svg.contains("exc v: 3 neurons") && svg.matches("<polyline").count() >= 3, "traces SVG lacks its panel");
        let svg = std::fs::read_to_string(dir.join("rates.svg")).unwrap();
        assert!(svg.contains("exc (mean 4.00 Hz)") && svg.contains("inh (mean 0.00 Hz)"), "rate histogram SVG lacks its panels");
        // Nothing to draw is an error naming the file.
        let mut none = file(true);
        none.populations.iter_mut().for_each(|p| {
            p.signals.clear();
            p.spikes_recorded.clear();
        });
        for e in
            [raster_file(&none, &dir.join("x.png")), traces_file(&none, &dir.join("y.png")), rate_histogram_file(&none, &dir.join("z.png"))]
        {
            let e = e.unwrap_err();
            assert!(e.to_string().contains("no population of the file recorded"), "{e}");
        }
    }
}
