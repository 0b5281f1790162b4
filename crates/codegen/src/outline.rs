//! The typed API of a protocol described for people: what `tell api`
//! prints. It is built by the same walk that generates the code, so every
//! name in it is the name the macro generates.

use std::fmt::Write as _;

/// One protocol's generated API, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolOutline {
    /// The protocol's name.
    pub name: String,
    /// The generated module's name.
    pub module: String,
    /// The content id, as `CONTENT_ID` holds it.
    pub content_id: String,
    /// Each role's API, in declaration order.
    pub roles: Vec<RoleOutline>,
    /// Each message type: its Rust name and its label with its sort.
    pub messages: Vec<(String, String)>,
}

/// One role's generated API, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleOutline {
    /// The role's name in the protocol.
    pub role: String,
    /// The role's marker type (the name, unless it would shadow the prelude).
    pub marker: String,
    /// The entry point and the steps, one indented line each.
    pub lines: Vec<String>,
}

impl ProtocolOutline {
    /// The outline as text, with every role or only `role`'s.
    pub fn render(&self, role: Option<&str>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "protocol {}: `use {}::*;`", self.name, self.module);
        let _ = writeln!(out, "  {}::CONTENT_ID = {}", self.module, self.content_id);
        let _ = writeln!(out, "  messages:");
        for (rust, signature) in &self.messages {
            // A renamed message (`ResultMsg`) shows its label too.
            let renamed = signature.split('(').next() != Some(rust.as_str());
            if renamed {
                let _ = writeln!(out, "    {rust}: {signature}");
            } else {
                let _ = writeln!(out, "    {signature}");
            }
        }
        for outline in self
            .roles
            .iter()
            .filter(|r| role.map_or(true, |x| x == r.role))
        {
            let _ = writeln!(out, "  role {} (type `{}`):", outline.role, outline.marker);
            for line in &outline.lines {
                let _ = writeln!(out, "    {line}");
            }
        }
        out
    }

    /// Whether the protocol has a role named `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.role == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline() -> ProtocolOutline {
        let role = |name: &str, marker: &str| RoleOutline {
            role: name.into(),
            marker: marker.into(),
            lines: vec![format!("run_{}(...)", name.to_lowercase())],
        };
        ProtocolOutline {
            name: "P".into(),
            module: "p".into(),
            content_id: "00".into(),
            roles: vec![role("A", "A"), role("Box", "BoxRole")],
            messages: vec![
                ("Ping".into(), "Ping(nat)".into()),
                ("ResultMsg".into(), "Result".into()),
            ],
        }
    }

    #[test]
    fn renders_every_role_or_one() {
        let all = outline().render(None);
        assert!(all.contains("role A (type `A`)") && all.contains("role Box (type `BoxRole`)"));
        assert!(all.contains("    Ping(nat)\n") && all.contains("    ResultMsg: Result\n"));
        let one = outline().render(Some("Box"));
        assert!(!one.contains("role A") && one.contains("run_box(...)"));
        assert!(outline().has_role("A") && !outline().has_role("C"));
    }
}
