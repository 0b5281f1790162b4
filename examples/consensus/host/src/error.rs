//! The host's errors.

/// What can go wrong building or running the consensus host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A setting (scenario parameter or handler option) is missing or wrong.
    #[error("consensus host: option `{key}`: {reason}")]
    Option {
        /// The option.
        key: String,
        /// Why it is refused.
        reason: String,
    },
    /// A role is not one of the provers.
    #[error("consensus host: `{0}` is not a prover (expected Provers0, Provers1, ...)")]
    NotAProver(String),
}
