//! Charts drawn with plotters' SVG backend into strings, ready to inline in HTML. Text is
//! written as SVG `<text>` elements (escaped by the backend) and laid out by the viewer, so
//! no font files are read.

use std::error::Error;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::{escape_html, one_decimal, truncate};

const WIDTH: u32 = 760;
const HEIGHT: u32 = 320;
const FONT: &str = "sans-serif";
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 94, 160),
    RGBColor(214, 110, 20),
    RGBColor(46, 139, 87),
    RGBColor(178, 34, 52),
    RGBColor(120, 81, 169),
];
/// Most bars one chart draws; callers pick which and say so in the title.
pub(crate) const MAX_BARS: usize = 30;
/// Longest category label drawn on a bar chart; the table beneath has the full text.
const LABEL_CHARS: usize = 34;

type Drawn = Result<(), Box<dyn Error>>;

/// One line of a line chart; `None` leaves a gap.
pub(crate) struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
}

/// A line chart over categories (periods), one line per series.
pub(crate) fn line_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    labels: &[String],
    series: &[Series],
    y_max: Option<f64>,
) -> String {
    let mut svg = String::new();
    let drawn = draw_lines(&mut svg, title, x_desc, y_desc, labels, series, y_max);
    finish(svg, drawn, title)
}

/// A horizontal bar chart: one bar per label, the first at the top, each with its value
/// written at its end. `integer` keeps the axis ticks to whole numbers (counts).
pub(crate) struct Bars<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub value_labels: Vec<String>,
    pub x_max: Option<f64>,
    pub integer: bool,
}

pub(crate) fn bar_chart(bars: &Bars) -> String {
    let mut svg = String::new();
    let drawn = draw_bars(&mut svg, bars);
    finish(svg, drawn, bars.title)
}

fn draw_lines(
    svg: &mut String,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    labels: &[String],
    series: &[Series],
    y_max: Option<f64>,
) -> Drawn {
    let n = labels.len().max(1) as i32;
    let data_max =
        series.iter().flat_map(|s| s.values.iter().flatten()).copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let headroom = if series.len() > 1 { 1.45 } else { 1.15 };
    let top = match y_max {
        Some(max) if max > 0.0 => max * if series.len() > 1 { 1.3 } else { 1.05 },
        _ if data_max > 0.0 => data_max * headroom,
        _ => 1.0,
    };
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        // An i32 range includes its end: 0..n-1 gives exactly n segments.
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top)?;
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => usize::try_from(*i).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.12))
        .x_labels(labels.len().max(1))
        .x_label_formatter(&label_of)
        .y_label_formatter(&|v| one_decimal(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 14))
        .draw()?;
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut runs: Vec<Vec<(SegmentValue<i32>, f64)>> = Vec::new();
        let mut run = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) if v.is_finite() => run.push((SegmentValue::CenterOf(i as i32), *v)),
                _ if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                _ => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for run in &runs {
            chart.draw_series(LineSeries::new(run.iter().cloned(), color.stroke_width(2)))?;
        }
        chart
            .draw_series(runs.iter().flatten().map(|p| Circle::new(p.clone(), 4, color.filled())))?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 14))
            .draw()?;
    }
    if series.iter().all(|s| s.values.iter().all(|v| v.is_none())) {
        no_data(&root)?;
    }
    root.present()?;
    Ok(())
}

fn draw_bars(svg: &mut String, bars: &Bars) -> Drawn {
    let n = bars.labels.len().min(bars.values.len()).min(MAX_BARS);
    let data_max = bars.values.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = match bars.x_max {
        Some(max) if max > 0.0 => max,
        _ if data_max > 0.0 && bars.integer => data_max.ceil() + 1.0,
        _ if data_max > 0.0 => data_max * 1.1,
        _ => 1.0,
    };
    let slots = n.max(1) as i32;
    // Bar i (0 = first) sits in slot slots-1-i, so the list reads top to bottom.
    let slot_of = |i: usize| slots - 1 - i as i32;
    let height = HEIGHT.max(u32::try_from(n).unwrap_or(u32::MAX).saturating_mul(34).saturating_add(110));
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let short: Vec<String> = bars.labels.iter().map(|l| truncate(l, LABEL_CHARS)).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(bars.title, (FONT, 20))
        .margin(12)
        .margin_right(110)
        .x_label_area_size(48)
        .y_label_area_size(250)
        .build_cartesian_2d(0f64..top, (0..slots - 1).into_segmented())?;
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(s) => {
            usize::try_from(slots - 1 - *s).ok().and_then(|i| short.get(i)).cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let integer = bars.integer;
    let tick = |v: &f64| if integer && v.fract() != 0.0 { String::new() } else { one_decimal(*v) };
    let ticks = if integer { (top as usize).saturating_add(1).min(11) } else { 11 };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.12))
        .y_labels(n.max(1))
        .y_label_formatter(&label_of)
        .x_labels(ticks)
        .x_label_formatter(&tick)
        .x_desc(bars.x_desc)
        .y_desc(bars.y_desc)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 14))
        .draw()?;
    let value = |i: usize| bars.values.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    chart.draw_series(
        Histogram::horizontal(&chart).style(PALETTE[0].filled()).margin(6).data((0..n).map(|i| (slot_of(i), value(i)))),
    )?;
    let text_style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    chart.draw_series((0..n).map(|i| {
        let label = bars.value_labels.get(i).cloned().unwrap_or_default();
        EmptyElement::at((value(i), SegmentValue::CenterOf(slot_of(i)))) + Text::new(label, (6, 0), text_style.clone())
    }))?;
    if n == 0 {
        no_data(&root)?;
    }
    root.present()?;
    Ok(())
}

fn no_data(root: &DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn {
    let (w, h) = root.dim_in_pixel();
    let grey = BLACK.mix(0.6);
    let style = TextStyle::from((FONT, 18).into_font()).color(&grey).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new("No data in this period", (w as i32 / 2, h as i32 / 2), style))?;
    Ok(())
}

/// Makes the backend's SVG fit inline HTML: no XML namespace URL (HTML parsers place inline
/// `<svg>` in the SVG namespace), an accessible name, and a plain fallback if drawing failed.
fn finish(svg: String, drawn: Drawn, title: &str) -> String {
    let title = escape_html(title);
    if drawn.is_err() || !svg.starts_with("<svg") {
        return format!(
            "<svg role=\"img\" aria-label=\"{title}\" width=\"{WIDTH}\" height=\"60\" viewBox=\"0 0 {WIDTH} 60\">\
             <text x=\"10\" y=\"35\" font-family=\"sans-serif\" font-size=\"16\">{title}: chart unavailable, see the \
             table below</text></svg>"
        );
    }
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{title}\" class=\"chart\" "), 1)
}
