//! One role's local type, owned or borrowed, as the entry points that build
//! images accept it.

use telltale_types::{LocalType, Role};

/// A role and its local type, however the caller holds them: what
/// `telltale_theory::project_all` returns (a `BTreeMap<Role, LocalType>`,
/// owned or by reference) and hand-written lists (`Vec<(Role, LocalType)>`,
/// owned or by reference) all feed an image without conversion.
pub trait RoleLocalType {
    /// The role.
    fn role(&self) -> &Role;
    /// Its local type.
    fn local_type(&self) -> &LocalType;
}

impl RoleLocalType for (Role, LocalType) {
    fn role(&self) -> &Role {
        &self.0
    }
    fn local_type(&self) -> &LocalType {
        &self.1
    }
}

impl RoleLocalType for &(Role, LocalType) {
    fn role(&self) -> &Role {
        &self.0
    }
    fn local_type(&self) -> &LocalType {
        &self.1
    }
}

impl RoleLocalType for (&Role, &LocalType) {
    fn role(&self) -> &Role {
        self.0
    }
    fn local_type(&self) -> &LocalType {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::RoleLocalType;
    use crate::CodeImage;
    use std::collections::BTreeMap;
    use telltale_types::{Label, LocalType, Role};

    fn pair() -> Vec<(Role, LocalType)> {
        vec![
            (
                Role::new("A"),
                LocalType::send("B", Label::unit("m"), LocalType::End),
            ),
            (
                Role::new("B"),
                LocalType::recv("A", Label::unit("m"), LocalType::End),
            ),
        ]
    }

    #[test]
    fn every_shape_of_role_list_builds_the_same_image() {
        let list = pair();
        let map: BTreeMap<Role, LocalType> = pair().into_iter().collect();
        let from_slice = CodeImage::build(None, &list[..]).unwrap();
        assert_eq!(CodeImage::build(None, &list).unwrap(), from_slice);
        assert_eq!(CodeImage::build(None, pair()).unwrap(), from_slice);
        assert_eq!(CodeImage::build(None, &map).unwrap(), from_slice);
        assert_eq!(CodeImage::build(None, map).unwrap(), from_slice);
        assert_eq!(list[0].role().as_str(), "A");
    }
}
