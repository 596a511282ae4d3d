//! What the figures make of their input data: usable values, quantiles, and lines and bands as runs of points
//! that do not bridge gaps.

/// Whether a value can be plotted.
pub(super) fn usable(v: f64) -> bool {
    // Beyond ~1e200 spans overflow to infinity; such values are as unplottable as NaN.
    v.is_finite() && v.abs() < 1e200
}

/// Lines as runs of points; a gap in the data starts a new run.
pub(super) type Runs = Vec<Vec<(f64, f64)>>;

/// Splits a sequence of optional points into runs of consecutive usable points, so gaps are not bridged.
pub(super) fn runs<I: IntoIterator<Item = (f64, f64)>>(points: I) -> Runs {
    let mut out: Runs = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in points {
        if usable(x) && usable(y) {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Indices of `lambda` with usable values, in increasing order of lambda (curves are drawn left to right).
pub(super) fn lambda_order(lambda: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..lambda.len()).filter(|&i| usable(lambda[i])).collect();
    idx.sort_by(|&a, &b| lambda[a].total_cmp(&lambda[b]));
    idx
}

/// Closed polygons between two curves over runs of years where both are usable.
pub(super) fn band(years: &[f64], lo: &[f64], hi: &[f64], order: &[usize]) -> Runs {
    let mut out = Vec::new();
    let mut upper: Vec<(f64, f64)> = Vec::new();
    let mut lower: Vec<(f64, f64)> = Vec::new();
    let mut flush = |upper: &mut Vec<(f64, f64)>, lower: &mut Vec<(f64, f64)>| {
        if !upper.is_empty() {
            let mut poly = std::mem::take(upper);
            poly.extend(lower.drain(..).rev());
            out.push(poly);
        }
    };
    for &j in order {
        match (lo.get(j), hi.get(j)) {
            (Some(&a), Some(&b)) if usable(a) && usable(b) => {
                upper.push((years[j], a.max(b)));
                lower.push((years[j], a.min(b)));
            }
            _ => flush(&mut upper, &mut lower),
        }
    }
    flush(&mut upper, &mut lower);
    out
}
