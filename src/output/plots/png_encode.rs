//! The plots' PNG files: every row Paeth-filtered here, then compressed with fdeflate and written as the png crate's
//! own encoder writes them (its header, one IDAT chunk, its end), so the same bytes it gives.
//!
//! Why these settings: plotters' encoder tries every filter on every row, which took a tenth of a small run's
//! processor time; Paeth on every row with the fast compression took 0.9 of the figures' time for files 5% larger
//! (the reference workload's five plots, 715 kB against 681 kB), and the default compression would halve the files but
//! took 1.3 times as long.
//!
//! Why the filter is by hand: the png crate's Paeth filter is compiled for the baseline CPU, and took 4.5% of the
//! samples of 10^4-iteration runs (`perf`, 2026-12-07). Here it is compiled for
//! AVX-512 and AVX2 too (picked at run time), and a row the same as the one above it, as a plot's margins, grid and
//! background are row after row, is known to filter to zeros without computing them.

/// Bytes per pixel of the RGB bitmaps drawn.
const BPP: usize = 3;

/// The PNG filter type byte of Paeth.
const PAETH: u8 = 4;

/// An RGB image (`width × height` pixels, 3 bytes each, row by row) as PNG bytes: every row Paeth-filtered,
/// compressed with fdeflate (the png crate's fast setting), as `png::Encoder` with `Compression::Fast`,
/// `FilterType::Paeth` and no adaptive filtering writes it.
pub(super) fn encode_png(pixels: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    let row_len = width as usize * BPP;
    if pixels.len() != row_len * height as usize {
        return Err(format!(
            "a {width} × {height} bitmap has {} bytes, not {}",
            row_len * height as usize,
            pixels.len()
        ));
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_chunk(png::chunk::IDAT, &compressed_rows(pixels, row_len)?)
            .map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(bytes)
}

/// The zlib stream of the image's rows, each its filter byte and its Paeth residuals, fed to the compressor a row
/// at a time (as the png crate feeds it, so the same stream); stored rather than compressed where compressing would
/// not make it smaller, as the png crate does.
fn compressed_rows(pixels: &[u8], row_len: usize) -> Result<Vec<u8>, String> {
    let error = |e: std::io::Error| e.to_string();
    let mut compressor = fdeflate::Compressor::new(std::io::Cursor::new(Vec::new())).map_err(error)?;
    let zeros = vec![0u8; row_len];
    let mut current = vec![0u8; row_len + 1];
    current[0] = PAETH;
    let mut previous: &[u8] = &zeros;
    let rows = pixels.chunks_exact(row_len.max(1));
    for row in rows.clone() {
        paeth_row(previous, row, &mut current[1..]);
        compressor.write_data(&current).map_err(error)?;
        previous = row;
    }
    let compressed = compressor.finish().map_err(error)?.into_inner();
    if compressed.len() <= fdeflate::StoredOnlyCompressor::<()>::compressed_size((row_len + 1) * rows.len()) {
        return Ok(compressed);
    }
    let mut stored = fdeflate::StoredOnlyCompressor::new(std::io::Cursor::new(Vec::new())).map_err(error)?;
    for row in rows {
        stored.write_data(&[0]).map_err(error)?;
        stored.write_data(row).map_err(error)?;
    }
    Ok(stored.finish().map_err(error)?.into_inner())
}

/// `row`'s Paeth residuals against `above` (the row before, zeros for the first) into `out`. A row equal to the one
/// above has residuals of zero: each byte's up neighbour is itself, and its left and upper-left neighbours are equal,
/// so the predictor picks the byte itself (see [`paeth_byte`]).
fn paeth_row(above: &[u8], row: &[u8], out: &mut [u8]) {
    if row == above {
        out.fill(0);
        return;
    }
    paeth_differs(above, row, out);
}

/// [`paeth_row`] of a row that differs from the one above, computed.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2"))]
fn paeth_differs(above: &[u8], row: &[u8], out: &mut [u8]) {
    let n = row.len();
    // The first pixel has no left neighbours: its predictor is its up neighbour's byte.
    for i in 0..BPP.min(n) {
        out[i] = row[i].wrapping_sub(above[i]);
    }
    if n <= BPP {
        return;
    }
    // Every later byte from four plain slices, so that the loop vectorises: its left and upper-left neighbours are
    // BPP bytes back.
    let (left, up_left) = (&row[..n - BPP], &above[..n - BPP]);
    let (here, up) = (&row[BPP..], &above[BPP..]);
    for (o, (((&x, &a), &b), &c)) in out[BPP..].iter_mut().zip(here.iter().zip(left).zip(up).zip(up_left)) {
        *o = x.wrapping_sub(paeth_byte(a, b, c));
    }
}

/// The Paeth predictor of a byte from its left (`a`), up (`b`) and upper-left (`c`) neighbours (PNG specification,
/// section 9.4): whichever of them is nearest a + b − c, ties broken in the order a, b, c.
#[inline(always)]
fn paeth_byte(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (b16 - c16).abs();
    let pb = (a16 - c16).abs();
    let pc = (a16 + b16 - 2 * c16).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The png crate's own encoding with the settings these plots used before: what `encode_png` must equal.
    fn png_crate(pixels: &[u8], (width, height): (u32, u32)) -> Vec<u8> {
        let mut bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut bytes, width, height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            encoder.set_filter(png::FilterType::Paeth);
            encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
            let mut writer = encoder.write_header().expect("a header");
            writer.write_image_data(pixels).expect("image data");
        }
        bytes
    }

    /// Decodes PNG bytes back to RGB pixels and their size.
    fn decode(bytes: &[u8]) -> (Vec<u8>, (u32, u32)) {
        let mut reader = png::Decoder::new(bytes).read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        pixels.truncate(info.buffer_size());
        (pixels, (info.width, info.height))
    }

    /// The predictor as the specification writes it (section 9.4), distances from p = a + b − c itself.
    fn paeth_as_specified(a: u8, b: u8, c: u8) -> u8 {
        let p = i32::from(a) + i32::from(b) - i32::from(c);
        let (pa, pb, pc) = (
            (p - i32::from(a)).abs(),
            (p - i32::from(b)).abs(),
            (p - i32::from(c)).abs(),
        );
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }

    #[test]
    fn the_paeth_predictor_follows_the_specification() {
        // By hand: p = a + b − c, and the nearest of a, b, c to p, ties to a, then b.
        assert_eq!(paeth_byte(10, 20, 10), 20); // p = 20: b itself
        assert_eq!(paeth_byte(20, 10, 10), 20); // p = 20: a itself
        assert_eq!(paeth_byte(10, 10, 20), 10); // p = 0: a and b both 10 away, a first
        assert_eq!(paeth_byte(100, 50, 200), 50); // p = −50: 150, 100 and 250 away
        assert_eq!(paeth_byte(0, 255, 0), 255); // p = 255: b itself
        assert_eq!(paeth_byte(255, 0, 128), 128); // p = 127: 128, 127 and 1 away

        // And every triple of bytes against the specification's own form.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    assert_eq!(paeth_byte(a, b, c), paeth_as_specified(a, b, c), "a {a}, b {b}, c {c}");
                }
            }
        }
    }

    #[test]
    fn a_row_like_the_one_above_filters_to_zeros_as_computed() {
        let row: Vec<u8> = (0..99u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut computed = vec![1; row.len()];
        paeth_differs(&row, &row, &mut computed);
        assert!(computed.iter().all(|&r| r == 0));
        let mut shortcut = vec![1; row.len()];
        paeth_row(&row, &row, &mut shortcut);
        assert_eq!(shortcut, computed);
    }

    /// A plot-like bitmap: a background, a frame, bands of rows repeated, and a few odd pixels.
    fn plot_like(width: usize, height: usize, seed: u64) -> Vec<u8> {
        let mut pixels = vec![255u8; width * height * BPP];
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        for y in 0..height {
            for x in 0..width {
                let at = (y * width + x) * BPP;
                if x == 0 || y == 0 || x + 1 == width || y + 1 == height || (y / 3) % 4 == 1 {
                    pixels[at..at + BPP].copy_from_slice(&[40, 80, (y % 256) as u8]);
                }
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if state >> 60 == 0 {
                    pixels[at..at + BPP].copy_from_slice(&[
                        (state >> 8) as u8,
                        (state >> 16) as u8,
                        (state >> 24) as u8,
                    ]);
                }
            }
        }
        pixels
    }

    #[test]
    fn a_plot_sized_bitmap_gives_the_png_crates_bytes_and_decodes_to_itself() {
        let (width, height) = (1200, 800);
        let pixels = plot_like(width, height, 7);
        let bytes = encode_png(&pixels, (width as u32, height as u32)).expect("encodes");
        assert_eq!(bytes, png_crate(&pixels, (width as u32, height as u32)));
        assert_eq!(decode(&bytes), (pixels, (width as u32, height as u32)));
    }

    #[test]
    fn a_bitmap_of_the_wrong_size_is_refused() {
        assert!(encode_png(&[0; 10], (2, 2)).is_err());
    }

    proptest! {
        #[test]
        fn any_bitmap_gives_the_png_crates_bytes_and_decodes_to_itself(
            width in 1usize..40,
            height in 1usize..12,
            seed in any::<u64>(),
            noise in any::<bool>(),
        ) {
            let pixels = if noise {
                let mut state = seed;
                (0..width * height * BPP)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (state >> 33) as u8
                    })
                    .collect()
            } else {
                plot_like(width, height, seed)
            };
            let size = (width as u32, height as u32);
            let bytes = encode_png(&pixels, size).expect("encodes");
            prop_assert_eq!(&bytes, &png_crate(&pixels, size));
            prop_assert_eq!(decode(&bytes), (pixels, size));
        }
    }
}
