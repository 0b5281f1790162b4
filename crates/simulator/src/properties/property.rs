//! The properties a scenario states (`"buffer_bound(16)"`, ...), read
//! from their text.

/// A property checked while the world runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Property {
    /// No coroutine faults (crashes the scenario injects excepted).
    NoFaults,
    /// No buffer ever holds more than this many messages.
    BufferBound(u64),
    /// The run never reaches a state where roles remain, none can step and
    /// nothing is in flight.
    DeadlockFree,
    /// Every message sent is received by the end of the run.
    SendRecvLiveness,
    /// Every role only moves forward along its projected local type
    /// (checked from the types, independently of the machine's monitor).
    TypeMonotonicity,
    /// Every live role makes progress within this many ticks once faults
    /// stop.
    Liveness(u64),
    /// Every message a `forge` or `replay` role injects is rejected by the
    /// machine (signature, replay or monitor check); added on its own
    /// when a role injects.
    InjectionsRejected,
    /// A predicate a host project added in Rust
    /// ([`crate::host_predicate::HostPredicate`]); never read from a
    /// scenario.
    Host(String),
    /// Every honest role that observed the key observed the same value.
    Agreement(String),
    /// Every observed value of the key is one of these.
    Validity(String, Vec<String>),
    /// Some honest role observes the key by this tick.
    Eventually(String, u64),
    /// No honest role ever observes the key.
    Never(String),
}

/// Every property name, for suggestions.
pub const NAMES: &[&str] = &[
    "no_faults",
    "buffer_bound",
    "deadlock_free",
    "send_recv_liveness",
    "type_monotonicity",
    "injections_rejected",
    "liveness",
    "agreement",
    "validity",
    "eventually",
    "never",
];

impl Property {
    /// Reads `name` or `name(argument)`.
    pub fn parse(text: &str) -> Result<Property, String> {
        let text = text.trim();
        let (name, arg) = match text.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(arg) => (name.trim(), Some(arg.trim())),
                None => return Err("missing `)`".into()),
            },
            None => (text, None),
        };
        let count = |arg: Option<&str>| -> Result<u64, String> {
            let arg = arg.ok_or_else(|| format!("`{name}` needs a number, e.g. `{name}(16)`"))?;
            arg.parse::<u64>()
                .map_err(|_| format!("`{arg}` is not a whole number"))
        };
        let none = |p: Property| match arg {
            None => Ok(p),
            Some(_) => Err(format!("`{name}` takes no argument")),
        };
        match name {
            "no_faults" => none(Property::NoFaults),
            "deadlock_free" => none(Property::DeadlockFree),
            "send_recv_liveness" => none(Property::SendRecvLiveness),
            "type_monotonicity" => none(Property::TypeMonotonicity),
            "injections_rejected" => none(Property::InjectionsRejected),
            "buffer_bound" => Ok(Property::BufferBound(count(arg)?)),
            "liveness" => Ok(Property::Liveness(count(arg)?)),
            "agreement" => Ok(Property::Agreement(key(name, arg)?)),
            "never" => Ok(Property::Never(key(name, arg)?)),
            "eventually" => {
                let (k, ticks) = split_pair(name, arg, "eventually(finalized, 500)")?;
                Ok(Property::Eventually(k, count(Some(ticks))?))
            }
            "validity" => {
                let (k, list) = split_pair(name, arg, "validity(vote, [Approve, Reject])")?;
                Ok(Property::Validity(k, allowed(list)?))
            }
            _ => Err(format!(
                "no property `{name}`{} (properties: {})",
                crate::scenario_error::closest(name, NAMES.iter().copied())
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default(),
                NAMES.join(", ")
            )),
        }
    }
}

/// The one key argument of `agreement(key)` and `never(key)`.
fn key(name: &str, arg: Option<&str>) -> Result<String, String> {
    match arg {
        Some(k) if !k.is_empty() && !k.contains(',') => Ok(k.to_string()),
        _ => Err(format!("`{name}` takes one key, e.g. `{name}(finalized)`")),
    }
}

/// `key, rest` of a two-argument property.
fn split_pair<'a>(
    name: &str,
    arg: Option<&'a str>,
    example: &str,
) -> Result<(String, &'a str), String> {
    let usage = || format!("`{name}` takes a key and a second argument, e.g. `{example}`");
    let (k, rest) = arg.and_then(|a| a.split_once(',')).ok_or_else(usage)?;
    let k = k.trim();
    if k.is_empty() {
        return Err(usage());
    }
    Ok((k.to_string(), rest.trim()))
}

/// The `[a, b]` list of `validity`; values may be quoted.
fn allowed(list: &str) -> Result<Vec<String>, String> {
    let inner = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .ok_or_else(|| format!("`{list}` is not a list: write `[a, b]`"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_property_reads_from_its_text() {
        assert_eq!(Property::parse("no_faults"), Ok(Property::NoFaults));
        assert_eq!(
            Property::parse(" buffer_bound( 16 ) "),
            Ok(Property::BufferBound(16))
        );
        assert_eq!(Property::parse("liveness(40)"), Ok(Property::Liveness(40)));
        assert_eq!(Property::parse("deadlock_free"), Ok(Property::DeadlockFree));
        assert_eq!(
            Property::parse("send_recv_liveness"),
            Ok(Property::SendRecvLiveness)
        );
        assert_eq!(
            Property::parse("agreement(finalized)"),
            Ok(Property::Agreement("finalized".into()))
        );
        assert_eq!(
            Property::parse("never(fork)"),
            Ok(Property::Never("fork".into()))
        );
        assert_eq!(
            Property::parse("eventually(finalized, 500)"),
            Ok(Property::Eventually("finalized".into(), 500))
        );
        assert_eq!(
            Property::parse("validity(vote, [Approve, \"Reject\"])"),
            Ok(Property::Validity(
                "vote".into(),
                vec!["Approve".into(), "Reject".into()]
            ))
        );
    }

    #[test]
    fn malformed_properties_say_why() {
        assert!(Property::parse("buffer_bound")
            .unwrap_err()
            .contains("needs a number"));
        assert!(Property::parse("buffer_bound(x)")
            .unwrap_err()
            .contains("whole number"));
        assert!(Property::parse("no_faults(1)")
            .unwrap_err()
            .contains("no argument"));
        assert!(Property::parse("deadlock_fre")
            .unwrap_err()
            .contains("did you mean `deadlock_free`"));
        assert_eq!(
            Property::parse("type_monotonicity"),
            Ok(Property::TypeMonotonicity)
        );
        assert!(Property::parse("agreement")
            .unwrap_err()
            .contains("one key"));
        assert!(Property::parse("eventually(x)")
            .unwrap_err()
            .contains("second argument"));
        assert!(Property::parse("validity(x, a)")
            .unwrap_err()
            .contains("not a list"));
        assert!(Property::parse("liveness(3")
            .unwrap_err()
            .contains("missing `)`"));
    }
}
