//! Results by subgroup (client group): each subgroup's run analysed as a run of its own.

use super::budget::Budget;
use super::cba::Cba;
use super::per_year::PerYear;
use super::Analysis;

/// One subgroup's results: who they are, and the analyses of a run of the subgroup alone
/// ([`Model::for_subgroup`](crate::model::Model::for_subgroup)), per person of the subgroup.
#[derive(Debug, Clone)]
pub struct SubgroupResult {
    pub name: String,
    pub label: String,
    /// Its share of the cohort.
    pub share: f64,
    /// Its people: the cohort's size split between the subgroups ([`Model::subgroup_people`](crate::model::Model::subgroup_people)).
    pub people: u64,
    pub analysis: Analysis,
    pub per_year: PerYear,
    /// Its budget impact, for its own people, when the scenario gives a start date.
    pub budget: Option<Budget>,
    /// Its local cost-benefit account, per person of the subgroup, when the scenario has a `[cba]` block.
    pub cba: Option<Cba>,
}
