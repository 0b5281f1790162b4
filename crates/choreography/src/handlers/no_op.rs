//! `NoOpHandler`: accepts every send and has nothing to receive.

use crate::error::{ChoreoError, ChoreoResult};
use crate::handler::ChoreoHandler;
use crate::message::Message;
use telltale_types::Role;

/// A handler that discards sends and refuses receives, for running the
/// sending side of a program (or generated code) without any peer.
#[derive(Clone, Debug)]
pub struct NoOpHandler {
    role: Role,
}

impl NoOpHandler {
    /// A no-op handler acting for `role`.
    pub fn new(role: impl Into<Role>) -> Self {
        NoOpHandler { role: role.into() }
    }
}

impl ChoreoHandler for NoOpHandler {
    type Endpoint = ();

    fn role(&self) -> &Role {
        &self.role
    }

    async fn send(&mut self, _: &mut (), _: &Role, _: Message) -> ChoreoResult<()> {
        Ok(())
    }

    async fn recv(&mut self, _: &mut (), _: &Role) -> ChoreoResult<Message> {
        Err(ChoreoError::Unsupported {
            handler: "NoOpHandler",
            operation: "recv",
        })
    }

    async fn choose(&mut self, _: &mut (), _: &Role, _: Message) -> ChoreoResult<()> {
        Ok(())
    }

    async fn offer(&mut self, _: &mut (), _: &Role) -> ChoreoResult<Message> {
        Err(ChoreoError::Unsupported {
            handler: "NoOpHandler",
            operation: "offer",
        })
    }
}
