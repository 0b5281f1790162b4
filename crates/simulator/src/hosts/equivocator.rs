//! A host's own idea of "another story". The `equivocate` strategy tells
//! peers with odd role ids something else than the others; by default that
//! is a random value of the label's sort, which a host that checks its
//! payloads rejects as junk (a named sort fabricates as unit). A bundled
//! host that knows its protocol can offer a *plausible* other story — a
//! second proposal its leader really signed — so the simulation tests what
//! an adversary with the role's keys can do, not only malformed input.

use telltale_compiler::{LabelId, Value};
use telltale_vm::SendDecisionInput;

/// Supplies the other story of an equivocating role's send.
pub trait Equivocator {
    /// What `input`'s role tells an odd-numbered peer instead of `honest`
    /// on `label`; `None` keeps the random value.
    fn other_story(
        &self,
        input: &SendDecisionInput<'_>,
        label: LabelId,
        honest: &Value,
    ) -> Option<Value>;
}
