//! Message labels.

use crate::sort::PayloadSort;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A message label: its name and the sort of its payload.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Label {
    /// The label's name, e.g. `ping`.
    pub name: Arc<str>,
    /// The payload sort carried with the label.
    pub sort: PayloadSort,
}

impl Label {
    /// A label with a payload of the given sort.
    pub fn new(name: impl AsRef<str>, sort: PayloadSort) -> Self {
        Label {
            name: Arc::from(name.as_ref()),
            sort,
        }
    }

    /// A label with no payload.
    pub fn unit(name: impl AsRef<str>) -> Self {
        Label::new(name, PayloadSort::Unit)
    }

    /// The label's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `name(sort)`, the form used in global types.
impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.sort)
    }
}
