//! Knowledge facts and the flow policy that says which roles a fact may be
//! checked for (`Tag`/`Check`, see `exec/knowledge.rs`).

use serde::{Deserialize, Serialize};
use telltale_compiler::Value;

/// Which facts may be revealed to which roles by `Check`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowPolicy {
    /// Every fact may be checked for every role.
    #[default]
    AllowAll,
    /// A fact may be checked for a role only if some rule whose prefix
    /// starts the fact's key lists the role; facts no rule matches may not
    /// be revealed to anyone.
    Allow(Vec<FlowRule>),
}

/// One rule of [`FlowPolicy::Allow`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRule {
    /// Prefix of the fact keys the rule covers (`""` covers every fact).
    pub prefix: String,
    /// Role names the covered facts may be revealed to.
    pub roles: Vec<String>,
}

impl FlowPolicy {
    /// Whether a fact with policy key `fact` may be revealed to `role`.
    pub fn permits(&self, fact: &str, role: &str) -> bool {
        match self {
            FlowPolicy::AllowAll => true,
            FlowPolicy::Allow(rules) => rules
                .iter()
                .any(|r| fact.starts_with(r.prefix.as_str()) && r.roles.iter().any(|x| x == role)),
        }
    }
}

/// The key a flow policy matches a fact by: the text of a string fact, the
/// key of the first field of a tuple fact (its kind, as in
/// `("balance", 10)`), and the rendering of any other value.
pub fn fact_key(fact: &Value) -> String {
    // A loop, not recursion: a fact may be a tuple nested arbitrarily deep.
    let mut fact = fact;
    loop {
        match fact {
            Value::String(s) => return s.to_string(),
            Value::Product(fields) if !fields.is_empty() => fact = &fields[0],
            other => return other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn keys_and_rules() {
        assert_eq!(fact_key(&Value::String("price.eu".into())), "price.eu");
        let tuple = Value::Product(Arc::from(vec![Value::String("bal".into()), Value::Nat(3)]));
        assert_eq!(fact_key(&tuple), "bal");
        assert_eq!(fact_key(&Value::Nat(7)), "7");
        let policy = FlowPolicy::Allow(vec![FlowRule {
            prefix: "price".into(),
            roles: vec!["Buyer".into()],
        }]);
        assert!(policy.permits("price.eu", "Buyer"));
        assert!(!policy.permits("price.eu", "Seller"));
        assert!(!policy.permits("secret", "Buyer"));
        assert!(FlowPolicy::AllowAll.permits("secret", "Seller"));
    }

    #[test]
    fn old_configs_load_with_the_default_policy() {
        let mut json = serde_json::to_value(crate::Config::default()).unwrap();
        json.as_object_mut().unwrap().remove("flow_policy");
        let config: crate::Config = serde_json::from_value(json).unwrap();
        assert_eq!(config.flow_policy, FlowPolicy::AllowAll);
    }
}
