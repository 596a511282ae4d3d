//! One subgroup (client group) of a model on its own, for results by subgroup: the same parameters and draws, only
//! the subgroup's people.

use super::{Model, SubgroupInfo};

impl Model {
    /// The people of each subgroup: the cohort's size split between the subgroups by their shares, by largest
    /// remainder (ties to the earlier subgroup), so that they add up to the cohort's size.
    pub fn subgroup_people(&self) -> Vec<u64> {
        let n = self.cohort_size;
        let exact: Vec<f64> = self.subgroups.iter().map(|g| n as f64 * g.share).collect();
        let mut people: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
        let assigned: u64 = people.iter().sum();
        let mut order: Vec<usize> = (0..exact.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        for &g in order.iter().take(n.saturating_sub(assigned) as usize) {
            people[g] += 1;
        }
        people
    }

    /// The model of subgroup `g` alone, or None when the model has one subgroup or `g` has no people (see
    /// [`Model::subgroup_people`]).
    ///
    /// Every parameter stays (each iteration draws the same values as the whole model's: the random stream is consumed
    /// alike); only the other subgroups' people go. Its people are the subgroup's own, and they bear their share of
    /// the programme's set-up and annual costs ([`Model::programme_share`]), so that each person bears the same
    /// amount, whichever subgroup they are in. In cohort mode the whole model's results per person are then the
    /// share-weighted sum of its subgroups' (exactly, but for capacity-limited costs: their blocks are those each
    /// subgroup's own people need). A stated `population` is split by the subgroups' shares.
    pub fn for_subgroup(&self, g: usize) -> Option<Model> {
        if self.subgroups.len() < 2 {
            return None;
        }
        let people = *self.subgroup_people().get(g)?;
        if people == 0 {
            return None;
        }
        let share = self.subgroups[g].share;
        let contexts = (self.contexts.iter().filter(|c| c.subgroup == g))
            .map(|c| {
                let mut c = c.clone();
                c.subgroup = 0;
                // As compiled for a cohort of this subgroup alone: its share (1) times the stratum's.
                c.share = self.strata[c.stratum].share;
                c
            })
            .collect();
        let mut model = Model {
            contexts: Vec::new(),
            ..self.clone()
        };
        model.contexts = contexts;
        model.subgroups = vec![SubgroupInfo {
            share: 1.0,
            ..self.subgroups[g].clone()
        }];
        model.cohort_size = people;
        model.programme_share = people as f64 / self.cohort_size as f64;
        model.settings.population = self.settings.population.map(|p| p * share);
        Some(model)
    }
}
