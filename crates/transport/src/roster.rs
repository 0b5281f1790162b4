//! The roster: where each role listens and which key proves its identity.

use crate::error::TransportError;
use crate::hex;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use telltale_types::Role;

/// One role's entry in the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    /// The address the role listens on.
    pub address: SocketAddr,
    /// The role's ed25519 public key, when the deployment authenticates peers.
    pub public_key: Option<VerifyingKey>,
}

/// Every role of a deployment: address and optional public key.
///
/// The TOML form has one table per role:
///
/// ```toml
/// [roles.Alice]
/// address = "127.0.0.1:7001"
/// public_key = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
///
/// [roles.Bob]
/// address = "127.0.0.1:7002"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    /// The roles, in name order.
    pub roles: BTreeMap<Role, RosterEntry>,
}

/// The TOML shape of a roster.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterFile {
    roles: BTreeMap<String, EntryFile>,
}

/// The TOML shape of one entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    address: String,
    public_key: Option<String>,
}

impl Roster {
    /// Reads a roster from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Roster, TransportError> {
        let file: RosterFile =
            toml::from_str(text).map_err(|e| TransportError::Roster(e.to_string()))?;
        let mut roles = BTreeMap::new();
        for (name, entry) in file.roles {
            let address = entry.address.parse().map_err(|e| {
                TransportError::Roster(format!(
                    "role {name}: address `{}` is not host:port: {e}",
                    entry.address
                ))
            })?;
            let public_key = match entry.public_key {
                None => None,
                Some(text) => Some(parse_public_key(&name, &text)?),
            };
            roles.insert(
                Role::new(&name),
                RosterEntry {
                    address,
                    public_key,
                },
            );
        }
        Ok(Roster { roles })
    }

    /// Writes the roster as TOML text that [`Roster::from_toml_str`] reads back.
    pub fn to_toml_string(&self) -> String {
        let mut text = String::new();
        for (role, entry) in &self.roles {
            text.push_str(&format!(
                "[roles.{role}]\naddress = \"{}\"\n",
                entry.address
            ));
            if let Some(key) = &entry.public_key {
                text.push_str(&format!(
                    "public_key = \"{}\"\n",
                    hex::encode(key.as_bytes())
                ));
            }
            text.push('\n');
        }
        text
    }
}

fn parse_public_key(role: &str, text: &str) -> Result<VerifyingKey, TransportError> {
    let bytes = hex::decode::<32>(text).ok_or_else(|| {
        TransportError::Roster(format!(
            "role {role}: public key must be 64 hexadecimal digits"
        ))
    })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|e| TransportError::Roster(format!("role {role}: not an ed25519 public key: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn rosters_round_trip_through_toml() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let mut roster = Roster::default();
        roster.roles.insert(
            Role::new("Alice"),
            RosterEntry {
                address: "127.0.0.1:7001".parse().unwrap(),
                public_key: Some(key),
            },
        );
        roster.roles.insert(
            Role::new("Bob"),
            RosterEntry {
                address: "127.0.0.1:7002".parse().unwrap(),
                public_key: None,
            },
        );
        let text = roster.to_toml_string();
        assert_eq!(Roster::from_toml_str(&text).unwrap(), roster);
    }

    #[test]
    fn bad_rosters_are_refused_with_the_role_named() {
        let cases = [
            ("[roles.A]\naddress = \"nowhere\"\n", "role A: address"),
            (
                "[roles.A]\naddress = \"127.0.0.1:1\"\npublic_key = \"12\"\n",
                "role A: public key",
            ),
            ("[roles.A]\nport = 3\n", "unknown field"),
        ];
        for (text, expected) in cases {
            let err = Roster::from_toml_str(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
