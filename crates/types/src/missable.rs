//! Messages a receiver may miss: `A -> B : Vote of T or missed` in `.tell`.
//!
//! The global type does not change: `B` still receives `Vote` from `A` at
//! that point. What changes is how long `B` waits. When its session times
//! out (a deadline, a peer that crashed or went silent, a lost message)
//! while `B` waits for a missable message, the receive completes as
//! *missed*: `B` goes on as if it had received the message, with a unit
//! payload and without calling its host, and the sender's message, should
//! it arrive later, is discarded on arrival (each directed edge is FIFO, so
//! it is the next message of that edge). Only a message that decides no
//! branch can be missed: a receiver cannot guess a choice.
//!
//! The table is carried beside the global type, in [`EffectTable`]'s
//! `missable` field (the protocol's side table), and is part of the
//! protocol id when not empty.
//!
//! [`EffectTable`]: crate::effects::EffectTable

use crate::Role;
use serde::{Deserialize, Serialize};

/// Every `label` message from `from` to `to` may be missed by `to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MissableMessage {
    /// The sender.
    pub from: Role,
    /// The receiver, who may stop waiting.
    pub to: Role,
    /// The message's label.
    pub label: String,
}
