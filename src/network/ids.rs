//! Typed handles: populations, views of them, projections, current sources.

use serde::{Deserialize, Serialize};

/// A population of the simulation that created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PopulationId {
    pub(crate) index: u32,
    pub(crate) size: u32,
}

impl PopulationId {
    /// Index of the population in creation order.
    pub fn index(self) -> usize {
        self.index as usize
    }

    /// Number of neurons.
    pub fn size(self) -> usize {
        self.size as usize
    }

    /// All neurons.
    #[must_use]
    pub fn all(self) -> PopulationView {
        PopulationView { pop: self, selection: Selection::All }
    }

    /// Neurons `range` (PyNN's `pop[a:b]`).
    #[must_use]
    pub fn slice(self, range: std::ops::Range<usize>) -> PopulationView {
        PopulationView { pop: self, selection: Selection::Range(range.start, range.end) }
    }

    /// Neurons at `indices` (PyNN's `pop[[i, j, k]]`), in the given order.
    #[must_use]
    pub fn view(self, indices: impl IntoIterator<Item = usize>) -> PopulationView {
        PopulationView { pop: self, selection: Selection::Indices(indices.into_iter().collect()) }
    }
}

/// Which neurons of a population a view holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    /// Every neuron.
    All,
    /// Neurons start..end.
    Range(usize, usize),
    /// Listed neurons.
    Indices(Vec<usize>),
}

/// A subset of one population (PyNN's `PopulationView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationView {
    /// The parent population.
    pub pop: PopulationId,
    /// The neurons.
    pub selection: Selection,
}

impl PopulationView {
    /// The neurons' indices in the parent population, checked against its size.
    pub fn indices(&self) -> Result<Vec<usize>, ViewError> {
        let n = self.pop.size();
        match &self.selection {
            Selection::All => Ok((0..n).collect()),
            Selection::Range(a, b) if a <= b && *b <= n => Ok((*a..*b).collect()),
            Selection::Range(a, b) => Err(ViewError { index: (*a).max(*b), size: n }),
            Selection::Indices(v) => match v.iter().find(|&&i| i >= n) {
                Some(&i) => Err(ViewError { index: i, size: n }),
                None => Ok(v.clone()),
            },
        }
    }

    /// Number of neurons in the view (unchecked for bad ranges).
    pub fn len(&self) -> usize {
        match &self.selection {
            Selection::All => self.pop.size(),
            Selection::Range(a, b) => b.saturating_sub(*a),
            Selection::Indices(v) => v.len(),
        }
    }

    /// Whether the view holds no neuron.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<PopulationId> for PopulationView {
    fn from(p: PopulationId) -> Self {
        p.all()
    }
}

impl From<&PopulationView> for PopulationView {
    fn from(v: &PopulationView) -> Self {
        v.clone()
    }
}

/// A view index outside its population.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("neuron index {index} is out of range for a population of {size}")]
pub struct ViewError {
    /// The bad index.
    pub index: usize,
    /// The population size.
    pub size: usize,
}

/// A projection of the simulation that created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectionId(pub(crate) u32);

impl ProjectionId {
    /// Index in creation order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Which synaptic input of the target a projection drives (PyNN's `receptor_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Receptor {
    /// `"excitatory"`: weights ≥ 0.
    #[default]
    Excitatory,
    /// `"inhibitory"`: weights ≤ 0 onto current-based cells (PyNN's convention), ≥ 0 onto
    /// conductance-based cells.
    Inhibitory,
}

impl Receptor {
    /// 0 for excitatory, 1 for inhibitory: the ring buffer channel.
    pub fn channel(self) -> u32 {
        match self {
            Receptor::Excitatory => 0,
            Receptor::Inhibitory => 1,
        }
    }

    /// PyNN's name.
    pub fn name(self) -> &'static str {
        match self {
            Receptor::Excitatory => "excitatory",
            Receptor::Inhibitory => "inhibitory",
        }
    }
}
