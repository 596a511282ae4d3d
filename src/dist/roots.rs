//! Root finding for monotone functions: a bracket search out from a starting point, then Brent's method.

/// Finds the root of a monotone `f` (rising if `increasing`) by stepping out from `start` until the sign changes
/// (within `[min, max]`) and then running Brent's method; None if there is no sign change or f is not finite.
pub(super) fn bracket_and_solve<F: FnMut(f64) -> f64>(
    mut f: F,
    start: f64,
    increasing: bool,
    min: f64,
    max: f64,
    step: f64,
    tol: f64,
) -> Option<f64> {
    let f0 = f(start);
    if f0 == 0.0 {
        return Some(start);
    }
    if !f0.is_finite() {
        return None;
    }
    // Rising f above zero means the root lies below `start`.
    let direction = if (f0 > 0.0) == increasing { -1.0 } else { 1.0 };
    let (mut a, mut fa) = (start, f0);
    let mut step = step;
    loop {
        let b = (a + direction * step).clamp(min, max);
        if b == a {
            return None;
        }
        let fb = f(b);
        if !fb.is_finite() {
            return None;
        }
        if fb == 0.0 || (fb > 0.0) != (fa > 0.0) {
            return brent(&mut f, a, b, fa, fb, tol);
        }
        a = b;
        fa = fb;
        step *= 2.0;
    }
}

/// Brent's root finder (as in Numerical Recipes' zbrent) on a bracket `[a, b]` with f(a), f(b) of opposite signs.
fn brent<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64, fa: f64, fb: f64, tol: f64) -> Option<f64> {
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..300 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // Inverse quadratic interpolation (secant when only two points are distinct).
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * xm * s, 1.0 - s)
            } else {
                let q = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * xm * q * (q - r) - (b - a) * (r - 1.0)),
                    (q - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    None
}

/// The minimum of `f` on `[lo, hi]`: a scan of `points` evenly spaced values (so that a function with more than one
/// dip is not led astray), then golden-section search between the best value's neighbours until the bracket is
/// narrower than `tol`. `f` may return infinity or NaN where it is undefined. Returns (x, f(x)), or None when `f` is
/// nowhere finite.
pub(super) fn minimise<F: FnMut(f64) -> f64>(
    mut f: F,
    lo: f64,
    hi: f64,
    points: usize,
    tol: f64,
) -> Option<(f64, f64)> {
    let finite = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    let points = points.max(3);
    let at = |i: usize| lo + (hi - lo) * i as f64 / (points - 1) as f64;
    let (mut best, mut best_value) = (0, f64::INFINITY);
    for i in 0..points {
        let v = finite(f(at(i)));
        if v < best_value {
            (best, best_value) = (i, v);
        }
    }
    if !best_value.is_finite() {
        return None;
    }
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(points - 1)));
    let (mut c, mut d) = (b - golden * (b - a), a + golden * (b - a));
    let (mut fc, mut fd) = (finite(f(c)), finite(f(d)));
    // The cap only guarantees an end where `tol` is below the spacing of floating-point numbers near x.
    for _ in 0..200 {
        if b - a <= tol {
            break;
        }
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - golden * (b - a);
            fc = finite(f(c));
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + golden * (b - a);
            fd = finite(f(d));
        }
    }
    let (x, v) = if fc < fd { (c, fc) } else { (d, fd) };
    Some(if v <= best_value {
        (x, v)
    } else {
        (at(best), best_value)
    })
}
