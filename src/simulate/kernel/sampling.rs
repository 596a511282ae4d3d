//! Parameter sampling: one draw of every uncertain parameter per iteration, one iteration at a time or eight at once
//! on lanes with the same values.

#[cfg(doc)]
use super::{simulate_lanes, Workspace};
use super::{Lanes, LANES};
use crate::dist::LaneRng;
use crate::model::{Draw, Joint, Model};
use rand::Rng;

/// Fills `draws` with one sample of every uncertain parameter, in a fixed order.
pub fn sample_parameters<R: Rng + ?Sized>(model: &Model, rng: &mut R, draws: &mut [f64]) {
    for d in &model.draws {
        match d {
            Draw::One { slot, sampler, .. } => draws[*slot] = sampler.sample(rng),
            Draw::Dirichlet { first_slot, dirichlet } => {
                dirichlet.sample_into(rng, &mut draws[*first_slot..*first_slot + dirichlet.len()])
            }
            // Written by its group's joint draw, later in the list.
            Draw::Member { .. } => {}
            Draw::Joint(joint) => sample_joint(model, joint, rng, draws),
        }
    }
}

/// One draw of a group of correlated parameters: correlated standard normals in the members' slots, then each
/// taken to its member's distribution.
#[inline(never)]
fn sample_joint<R: Rng + ?Sized>(model: &Model, joint: &Joint, rng: &mut R, draws: &mut [f64]) {
    joint.factor.correlated_normals(rng, draws, &joint.slots);
    for &m in &joint.members {
        if let Draw::Member { slot, marginal, .. } = &model.draws[m] {
            draws[*slot] = marginal.at_normal_score(draws[*slot]);
        }
    }
}

/// [`sample_parameters`] for [`LANES`] iterations at once, lane l's values going to `draws[l * stride..]`: the
/// same values, bit for bit, as each iteration's own generator gives. The same values go to `lanes` as the
/// simulation reads them, one lane per iteration (see [`Workspace::lane_draws_mut`]).
///
/// Compiled for AVX-512 and AVX2 too, like [`simulate_lanes`], with the same results.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
pub fn sample_parameters_lanes(
    model: &Model,
    rng: &mut LaneRng,
    draws: &mut [f64],
    stride: usize,
    lanes: &mut [Lanes],
) {
    for d in &model.draws {
        // The one kind every scenario has, tested alone so that the loop stays as tight as it was before there
        // were other kinds; the others go out of line.
        if let Draw::One { slot, sampler, .. } = d {
            let values = sampler.sample_lanes(rng);
            for (l, v) in values.into_iter().enumerate() {
                draws[l * stride + slot] = v;
            }
            lanes[*slot] = values;
        } else {
            sample_other_lanes(model, d, rng, draws, stride, lanes);
        }
    }
}

/// A Dirichlet or a group of correlated parameters for [`LANES`] iterations, lane by lane through the scalar code:
/// each lane's stream gives what its iteration's would.
#[inline(never)]
fn sample_other_lanes(
    model: &Model,
    d: &Draw,
    rng: &mut LaneRng,
    draws: &mut [f64],
    stride: usize,
    lanes: &mut [Lanes],
) {
    match d {
        Draw::Dirichlet { first_slot, dirichlet } => {
            for l in 0..LANES {
                let at = l * stride + first_slot;
                dirichlet.sample_into(&mut rng.lane(l), &mut draws[at..at + dirichlet.len()]);
                for (lane, v) in lanes[*first_slot..].iter_mut().zip(&draws[at..at + dirichlet.len()]) {
                    lane[l] = *v;
                }
            }
        }
        Draw::Joint(joint) => sample_joint_lanes(model, joint, rng, draws, stride, lanes),
        // A univariate draw is the caller's; a member is written by its group's joint draw.
        Draw::One { .. } | Draw::Member { .. } => {}
    }
}

/// [`sample_joint`] for [`LANES`] iterations: each lane's correlated normals from its own stream, then each member's
/// values for all lanes at once ([`crate::dist::Marginal::at_normal_scores`]), the same bits as lane by lane.
fn sample_joint_lanes(
    model: &Model,
    joint: &Joint,
    rng: &mut LaneRng,
    draws: &mut [f64],
    stride: usize,
    lanes: &mut [Lanes],
) {
    for l in 0..LANES {
        (joint.factor).correlated_normals(&mut rng.lane(l), &mut draws[l * stride..], &joint.slots);
    }
    for &m in &joint.members {
        if let Draw::Member { slot, marginal, .. } = &model.draws[m] {
            let values = marginal.at_normal_scores(std::array::from_fn(|l| draws[l * stride + slot]));
            for (l, v) in values.into_iter().enumerate() {
                draws[l * stride + slot] = v;
            }
        }
    }
    for &s in &joint.slots {
        lanes[s] = std::array::from_fn(|l| draws[l * stride + s]);
    }
}
