//! The bitmap backend against plotters' `BitMapBackend`: the same operations on the same pixels give the same bytes.

use super::super::raster::Raster;
use plotters::backend::BitMapBackend;
use plotters::style::{RGBAColor, ShapeStyle};
use plotters_backend::{BackendColor, DrawingBackend};
use proptest::prelude::*;

/// One drawing operation, in a backend's own coordinates.
#[derive(Debug, Clone)]
enum Op {
    Pixel((i32, i32), Paint),
    Line((i32, i32), (i32, i32), Paint),
    Rect((i32, i32), (i32, i32), Paint, bool),
    Circle((i32, i32), u32, Paint, bool),
    Polygon(Vec<(i32, i32)>, Paint),
}

/// A colour, an alpha and a stroke width.
#[derive(Debug, Clone, Copy)]
struct Paint {
    rgb: (u8, u8, u8),
    alpha: f64,
    width: u32,
}

impl Paint {
    fn style(self) -> ShapeStyle {
        ShapeStyle {
            color: RGBAColor(self.rgb.0, self.rgb.1, self.rgb.2, self.alpha),
            filled: false,
            stroke_width: self.width,
        }
    }
}

const SIZE: (u32, u32) = (48, 36);

fn draw<DB: DrawingBackend>(backend: &mut DB, ops: &[Op]) {
    for op in ops {
        let result = match op {
            Op::Pixel(at, p) => backend.draw_pixel(
                *at,
                BackendColor {
                    alpha: p.alpha,
                    rgb: p.rgb,
                },
            ),
            Op::Line(a, b, p) => backend.draw_line(*a, *b, &p.style()),
            Op::Rect(a, b, p, fill) => backend.draw_rect(*a, *b, &p.style(), *fill),
            Op::Circle(c, r, p, fill) => backend.draw_circle(*c, *r, &p.style(), *fill),
            Op::Polygon(points, p) => backend.fill_polygon(points.clone(), &p.style()),
        };
        assert!(result.is_ok(), "{op:?} draws");
    }
}

fn paint() -> impl Strategy<Value = Paint> {
    // Alphas at and around the edges the backends treat apart (0, 1/256 below 1, 1), the plane's dots' range, any.
    let alpha = prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(1.0 - 1.0 / 256.0),
        Just(1.0 - 1.0 / 512.0),
        Just(0.003),
        0.12f64..0.7,
        0.0f64..1.0,
    ];
    (any::<(u8, u8, u8)>(), alpha, 1u32..4).prop_map(|(rgb, alpha, width)| Paint { rgb, alpha, width })
}

fn point() -> impl Strategy<Value = (i32, i32)> {
    (-8i32..SIZE.0 as i32 + 8, -8i32..SIZE.1 as i32 + 8)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (point(), paint()).prop_map(|(a, p)| Op::Pixel(a, p)),
        (point(), point(), paint()).prop_map(|(a, b, p)| Op::Line(a, b, p)),
        // Straight lines, either way round, of every length (rows of 8 pixels or fewer are blended otherwise).
        (point(), -20i32..20, any::<bool>(), paint()).prop_map(|(a, d, across, p)| {
            let b = if across { (a.0 + d, a.1) } else { (a.0, a.1 + d) };
            Op::Line(a, b, p)
        }),
        (point(), point(), paint(), any::<bool>()).prop_map(|(a, b, p, fill)| Op::Rect(a, b, p, fill)),
        (point(), 0u32..7, paint(), any::<bool>()).prop_map(|(c, r, p, fill)| Op::Circle(c, r, p, fill)),
        (prop::collection::vec(point(), 3..7), paint()).prop_map(|(points, p)| Op::Polygon(points, p)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn every_operation_draws_the_bytes_plotters_bitmap_draws(
        background in prop::collection::vec(any::<u8>(), (SIZE.0 * SIZE.1 * 3) as usize),
        ops in prop::collection::vec(op(), 1..24),
    ) {
        let (mut ours, mut theirs) = (background.clone(), background);
        draw(&mut Raster::new(&mut ours, SIZE), &ops);
        draw(&mut BitMapBackend::with_buffer(&mut theirs, SIZE), &ops);
        prop_assert!(ours == theirs, "the bitmaps differ after {ops:?}");
    }
}

#[test]
fn a_plane_of_translucent_dots_is_the_plane_plotters_draws() {
    // Many dots of each kept radius over one another and off every edge, on a background of every byte value, so that
    // each blend rounds both ways.
    let background: Vec<u8> = (0..SIZE.0 * SIZE.1 * 3).map(|i| (i * 37 % 256) as u8).collect();
    let mut ops = Vec::new();
    for (i, r) in (0..600).zip([1u32, 2, 3].into_iter().cycle()) {
        let at = ((i * 7) % (SIZE.0 as i32 + 6) - 3, (i * 11) % (SIZE.1 as i32 + 6) - 3);
        let paint = Paint {
            rgb: ((i * 13 % 256) as u8, (i * 29 % 256) as u8, (i * 53 % 256) as u8),
            alpha: [0.12, 0.3, 0.7][i as usize % 3],
            width: 1,
        };
        ops.push(Op::Circle(at, r, paint, true));
    }
    let (mut ours, mut theirs) = (background.clone(), background);
    draw(&mut Raster::new(&mut ours, SIZE), &ops);
    draw(&mut BitMapBackend::with_buffer(&mut theirs, SIZE), &ops);
    assert!(ours == theirs, "the planes differ");
}

#[test]
fn translucent_bands_over_rows_alike_are_the_bands_plotters_draws() {
    // Polygons wider than tall are filled a column at a time, and a column's pixel like the one above it takes the
    // blend worked out for that one: a background of runs of like rows (with a pixel unlike its neighbours here and
    // there), and bands over one another, one of them crossing itself.
    let size = (300u32, 200u32);
    let mut background = vec![0u8; (size.0 * size.1 * 3) as usize];
    for (i, pixel) in background.chunks_exact_mut(3).enumerate() {
        let (x, y) = (i % size.0 as usize, i / size.0 as usize);
        let shade = if (y / 23) % 2 == 0 { 255 } else { 200 + (y / 23) as u8 };
        pixel.copy_from_slice(&[shade, shade - (x / 100) as u8, 255 - (y / 50) as u8]);
        if (x * 7 + y * 13) % 97 == 0 {
            pixel.copy_from_slice(&[10, 120, 30]);
        }
    }
    let band = |points: &[(i32, i32)], rgb: (u8, u8, u8), alpha: f64| {
        Op::Polygon(points.to_vec(), Paint { rgb, alpha, width: 1 })
    };
    let ops = vec![
        band(
            &[(-5, 40), (150, 10), (310, 60), (310, 150), (150, 120), (-5, 170)],
            (0, 114, 178),
            0.18,
        ),
        band(
            &[(20, 80), (160, 50), (290, 90), (290, 120), (160, 100), (20, 130)],
            (0, 114, 178),
            0.27,
        ),
        band(&[(0, 0), (299, 199), (299, 0), (0, 199)], (213, 94, 0), 0.4),
        band(&[(10, 150), (280, 140), (280, 199), (10, 210)], (0, 0, 0), 0.999),
    ];
    let (mut ours, mut theirs) = (background.clone(), background);
    draw(&mut Raster::new(&mut ours, size), &ops);
    draw(&mut BitMapBackend::with_buffer(&mut theirs, size), &ops);
    assert!(ours == theirs, "the bands differ");
}
