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
    /// Every live role makes progress within this many ticks once faults
    /// stop.
    Liveness(u64),
}

/// Properties the documentation names that this version does not check
/// yet: refused with a clear error rather than silently passing.
const NOT_YET: &[&str] = &[
    "type_monotonicity",
    "agreement",
    "validity",
    "eventually",
    "never",
];

/// Every property name, for suggestions.
pub const NAMES: &[&str] = &[
    "no_faults",
    "buffer_bound",
    "deadlock_free",
    "send_recv_liveness",
    "liveness",
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
            "buffer_bound" => Ok(Property::BufferBound(count(arg)?)),
            "liveness" => Ok(Property::Liveness(count(arg)?)),
            _ if NOT_YET.contains(&name) => Err(format!(
                "`{name}` is not supported by this version of the simulator"
            )),
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
        assert!(Property::parse("agreement(x)")
            .unwrap_err()
            .contains("not supported"));
        assert!(Property::parse("liveness(3")
            .unwrap_err()
            .contains("missing `)`"));
    }
}
