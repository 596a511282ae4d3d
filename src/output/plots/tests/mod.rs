//! Unit tests of the plots, by topic. Here: the helpers they share, to make synthetic PSA data, draw a figure
//! into a buffer and check the files written.

use super::font::{ensure_font, GlyphByGlyph};
use super::raster::Raster;
use super::render::{with_suffix, Figure, HEIGHT, HEIGHT_TWO_ROWS, WIDTH};
use plotters::backend::SVGBackend;
use plotters::drawing::IntoDrawingArea;
use std::path::{Path, PathBuf};

mod axis;
mod ce_plane;
mod ceac;
mod evpi;
mod evppi;
mod fan;
mod font;
mod heat_map;
mod labels;
mod raster;
mod render;
mod roi;
mod sweep_lines;
mod text;
mod tornado;
mod whatif_examples;

/// A fixed-seed LCG, so the synthetic PSA data are the same on every run without new dependencies.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }

    fn lognormal(&mut self, mu: f64, sigma: f64, n: usize) -> Vec<f64> {
        (0..n).map(|_| (mu + sigma * self.normal()).exp()).collect()
    }
}

/// Draws a figure into an RGB buffer through the same path as the PNG, for pixel checks.
fn raster<F: Figure>(fig: &F, size: (u32, u32)) -> Vec<u8> {
    ensure_font().expect("font");
    let mut buf = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let _glyphs = GlyphByGlyph::on();
        let root = Raster::new(&mut buf, size).into_drawing_area();
        fig.draw(&root).expect("draws");
        root.present().expect("presents");
    }
    buf
}

/// Draws a figure to a bitmap buffer and an SVG string, skipping PNG encoding (slow in debug builds), for
/// edge cases where only "draws without panicking, and says the right thing" matters.
fn draw_both<F: Figure>(fig: &F) -> String {
    draw_both_at(fig, (WIDTH, HEIGHT_TWO_ROWS))
}

/// Draws a figure to a bitmap and an SVG string (no PNG encoding), and returns the SVG; for the what-if figures,
/// which are never taller than usual.
fn draw_both_usual<F: Figure>(fig: &F) -> String {
    draw_both_at(fig, (WIDTH, HEIGHT))
}

/// Draws a figure to a bitmap buffer of `size` and an SVG string of the usual size, and returns the SVG.
fn draw_both_at<F: Figure>(fig: &F, size: (u32, u32)) -> String {
    raster(fig, size);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        fig.draw(&root).expect("draws");
        root.present().expect("presents");
    }
    assert!(svg.starts_with("<svg") && svg.contains("<text"));
    svg
}

/// Share of pixels in a rectangle that are not (near) white.
fn ink(buf: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
    let mut inked = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * width + x) * 3) as usize;
            if buf[i..i + 3].iter().any(|c| *c < 235) {
                inked += 1;
            }
        }
    }
    f64::from(inked) / f64::from((x1 - x0) * (y1 - y0))
}

/// Checks a PNG by its structure (signature, IHDR size, IEND) and returns its width and height.
fn check_png(path: &Path, min_bytes: u64) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("png readable");
    assert!(
        bytes.len() as u64 > min_bytes,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND", "PNG ends with IEND");
    (w, h)
}

/// Checks an SVG is a whole document with text elements containing each of `texts`.
fn check_svg(path: &Path, texts: &[&str]) -> String {
    let svg = std::fs::read_to_string(path).expect("svg readable");
    assert!(svg.starts_with("<svg"), "starts with <svg");
    assert!(svg.trim_end().ends_with("</svg>"), "ends with </svg>");
    assert!(svg.contains("<text"), "has text elements");
    assert_eq!(
        svg.matches("<text").count(),
        svg.matches("</text>").count(),
        "text elements closed"
    );
    assert!(
        !svg.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "no control characters"
    );
    for t in texts {
        assert!(svg.contains(t), "{} lacks {t:?}", path.display());
    }
    svg
}

fn check_outputs(paths: &[PathBuf], base: &Path, min_png_bytes: u64, texts: &[&str]) -> String {
    assert_eq!(paths, &[with_suffix(base, "png"), with_suffix(base, "svg")]);
    let (w, h) = check_png(&paths[0], min_png_bytes);
    assert!(w == WIDTH && (h == HEIGHT || h == HEIGHT_TWO_ROWS), "PNG is {w}×{h}");
    check_svg(&paths[1], texts)
}

fn payer_samples(r: &mut Lcg, n: usize) -> Vec<Vec<f64>> {
    vec![
        r.lognormal(0.25, 0.25, n),
        r.lognormal(0.7, 0.45, n),
        r.lognormal(-0.5, 0.2, n),
        r.lognormal(0.3, 0.2, n),
    ]
}

/// Incremental QALYs and costs for two arms, correlated as a real PSA's would be.
fn ce_arms(r: &mut Lcg, n: usize) -> [(Vec<f64>, Vec<f64>); 2] {
    let mut a = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut b = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let z = r.normal();
        a.0.push(0.03 + 0.012 * z);
        a.1.push(400.0 + 700.0 * (0.5 * z + 0.87 * r.normal()));
        let z = r.normal();
        b.0.push(0.008 + 0.006 * z);
        b.1.push(-300.0 + 450.0 * (-0.3 * z + 0.95 * r.normal()));
    }
    [a, b]
}

/// CEAC inputs from a small PSA: probability each arm has the highest net benefit, and the frontier.
fn ceac_inputs(n: usize) -> (Vec<f64>, Vec<Vec<f64>>, Vec<usize>, Vec<f64>) {
    let mut r = Lcg(3);
    let [a, b] = ce_arms(&mut r, n);
    let lambda: Vec<f64> = (0..=50).map(|i| i as f64 * 1000.0).collect();
    let mut probs = vec![vec![0.0; lambda.len()]; 3];
    let mut frontier = vec![0; lambda.len()];
    let mut evpi = vec![0.0; lambda.len()];
    for (li, l) in lambda.iter().enumerate() {
        let (mut mean, mut best_mean) = ([0.0; 3], 0.0);
        for j in 0..n {
            let nb = [0.0, l * a.0[j] - a.1[j], l * b.0[j] - b.1[j]];
            let best = (0..3).fold(0, |m, k| if nb[k] > nb[m] { k } else { m });
            probs[best][li] += 1.0 / n as f64;
            best_mean += nb[best] / n as f64;
            for k in 0..3 {
                mean[k] += nb[k] / n as f64;
            }
        }
        frontier[li] = (0..3).fold(0, |m, k| if mean[k] > mean[m] { k } else { m });
        evpi[li] = best_mean - mean[frontier[li]];
    }
    (lambda, probs, frontier, evpi)
}

/// Checks the PNG (signature, size, IEND) and the SVG (a whole document with each of `texts`); returns the SVG.
/// For the what-if figures, which are always of the usual size.
fn check_usual_outputs(paths: &[PathBuf], base: &Path, texts: &[&str]) -> String {
    assert_eq!(paths, &[with_suffix(base, "png"), with_suffix(base, "svg")]);
    let bytes = std::fs::read(&paths[0]).expect("png readable");
    assert!(bytes.len() > 10_000, "PNG is only {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert_eq!((w, h), (WIDTH, HEIGHT));
    assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
    let svg = std::fs::read_to_string(&paths[1]).expect("svg readable");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    for t in texts {
        assert!(svg.contains(t), "{} lacks {t:?}", paths[1].display());
    }
    svg
}
