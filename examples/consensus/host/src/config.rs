//! One round's settings: how many provers, which one leads, the round
//! number and the quorum rule (with the negative control's bug).

use crate::error::HostError;

/// How many matching votes finalize a state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QuorumRule {
    /// 2f+1 of N = 3f+1: any two quorums share an honest prover.
    #[default]
    TwoFPlusOne,
    /// 2f: the deliberate bug of the negative control; two quorums may
    /// share only byzantine provers.
    TwoF,
}

impl QuorumRule {
    /// Reads `2f+1` or `2f`.
    pub fn parse(text: &str) -> Result<QuorumRule, HostError> {
        match text.trim() {
            "2f+1" => Ok(QuorumRule::TwoFPlusOne),
            "2f" => Ok(QuorumRule::TwoF),
            other => Err(HostError::Option {
                key: "quorum".into(),
                reason: format!("`{other}` is neither `2f+1` nor `2f`"),
            }),
        }
    }
}

/// The settings of one round (one session of `ConsensusRound`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundConfig {
    /// N, the number of provers.
    pub provers: u64,
    /// L, the index of the round's leader (the protocol's parameter).
    pub leader: u64,
    /// The round number.
    pub round: u64,
    /// The quorum rule.
    pub quorum: QuorumRule,
}

impl RoundConfig {
    /// A round of `provers` provers; the leader is the one the leader rule
    /// names for `round` (`round mod N`).
    pub fn new(provers: u64, round: u64) -> Result<RoundConfig, HostError> {
        if provers == 0 {
            return Err(HostError::Option {
                key: "N".into(),
                reason: "a round needs at least one prover".into(),
            });
        }
        Ok(RoundConfig {
            provers,
            leader: round % provers,
            round,
            quorum: QuorumRule::TwoFPlusOne,
        })
    }

    /// A round of `provers` provers of which only `members` (in session
    /// order) take part: the leader is the one the rule names among them
    /// (`members[round mod |members|]`); quorums still count against all
    /// `provers`. `None` when `members` is empty or names no prover.
    pub fn among(provers: u64, round: u64, members: &[u64]) -> Option<RoundConfig> {
        if members.is_empty() || members.iter().any(|&k| k >= provers) {
            return None;
        }
        let mut config = RoundConfig::new(provers, round).ok()?;
        config.leader = members[(round % members.len() as u64) as usize];
        Some(config)
    }

    /// f, the most byzantine provers tolerated: ⌊(N−1)/3⌋.
    pub fn faults(&self) -> u64 {
        self.provers.saturating_sub(1) / 3
    }

    /// The number of matching votes that finalize a state.
    pub fn quorum_size(&self) -> u64 {
        match self.quorum {
            QuorumRule::TwoFPlusOne => 2 * self.faults() + 1,
            QuorumRule::TwoF => (2 * self.faults()).max(1),
        }
    }

    /// The leader rule (the seed's `GetNextLeaders`): leaders in order
    /// from this round's on, rotating through every prover.
    pub fn next_leaders(&self) -> Vec<u64> {
        (0..self.provers)
            .map(|k| (self.leader + k) % self.provers)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorums_follow_the_fault_bound() {
        let c = RoundConfig::new(4, 0).unwrap();
        assert_eq!((c.faults(), c.quorum_size()), (1, 3));
        let c = RoundConfig::new(7, 0).unwrap();
        assert_eq!((c.faults(), c.quorum_size()), (2, 5));
        let bug = RoundConfig {
            quorum: QuorumRule::TwoF,
            ..c
        };
        assert_eq!(bug.quorum_size(), 4);
    }

    #[test]
    fn the_leader_rotates_with_the_round() {
        assert_eq!(RoundConfig::new(4, 5).unwrap().leader, 1);
        assert_eq!(
            RoundConfig::new(4, 5).unwrap().next_leaders(),
            vec![1, 2, 3, 0]
        );
        assert!(RoundConfig::new(0, 0).is_err());
        let live = RoundConfig::among(4, 2, &[0, 1, 3]).unwrap();
        assert_eq!((live.leader, live.quorum_size()), (3, 3));
        assert!(RoundConfig::among(4, 0, &[]).is_none());
        assert!(RoundConfig::among(4, 0, &[4]).is_none());
        assert!(QuorumRule::parse("3f").is_err());
    }
}
