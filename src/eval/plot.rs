//! Rate–distortion plots as SVG (plotters).

use std::path::Path;

use plotters::prelude::*;

use super::rd::RdCurve;
use crate::{Error, Result};

/// The axes of a plot: rate range and labels.
pub struct Axes<'a> {
    /// Largest rate drawn.
    pub max_rate: f64,
    /// Rate label, e.g. "bits per pixel".
    pub rate: &'a str,
    /// Quality label, e.g. "PSNR-RGB (dB)".
    pub quality: &'a str,
}

/// The axes of image plots up to `max_bpp`.
pub fn image_axes(max_bpp: f64) -> Axes<'static> {
    Axes { max_rate: max_bpp, rate: "bits per pixel", quality: "PSNR-RGB (dB)" }
}

/// Draws quality over rate for `curves` (the first is nmc, drawn thick) into an SVG file.
pub fn rd_plot(path: &Path, title: &str, curves: &[RdCurve], axes: &Axes) -> Result<()> {
    let max_bpp = axes.max_rate;
    let err = |e: String| Error::InvalidArgument(format!("plot: {e}")).in_file(path);
    let visible = |c: &RdCurve| c.points.iter().filter(|p| p.bpp <= max_bpp).copied().collect::<Vec<_>>();
    let all: Vec<_> = curves.iter().flat_map(visible).collect();
    if all.is_empty() {
        return Err(err("no points to draw".into()));
    }
    let lo = all.iter().map(|p| p.psnr).fold(f64::INFINITY, f64::min).floor() - 1.0;
    let hi = all.iter().map(|p| p.psnr).fold(f64::NEG_INFINITY, f64::max).ceil() + 1.0;
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..max_bpp, lo..hi)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(axes.rate)
        .y_desc(axes.quality)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (i, curve) in curves.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let width = if i == 0 { 3 } else { 1 };
        let points: Vec<(f64, f64)> = visible(curve).iter().map(|p| (p.bpp, p.psnr)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))
            .map_err(|e| err(e.to_string()))?
            .label(curve.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(e.to_string()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))
}
