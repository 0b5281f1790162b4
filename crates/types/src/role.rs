//! Role names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The name of a protocol participant, cheap to clone.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Role(Arc<str>);

impl Role {
    /// Makes a role from its name.
    pub fn new(name: impl AsRef<str>) -> Self {
        Role(Arc::from(name.as_ref()))
    }

    /// The role's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Self {
        Role::new(s)
    }
}

impl From<String> for Role {
    fn from(s: String) -> Self {
        Role(Arc::from(s))
    }
}

impl From<&String> for Role {
    fn from(s: &String) -> Self {
        Role::new(s)
    }
}

impl From<&Role> for Role {
    fn from(r: &Role) -> Self {
        r.clone()
    }
}

impl AsRef<str> for Role {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Role {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Role {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}
