//! `serve`: run one role of a protocol as a process, start to finish.

use crate::config::TcpConfig;
use crate::tcp_handler::TcpHandler;
use telltale_choreography::{
    interpret_with, ChoreoResult, Decider, InterpretConfig, Program, RunSummary,
};
use tokio::net::TcpListener;

/// Connects to every peer, runs `program` with `decider`, then shuts the
/// connections down gracefully (also when the run failed, so peers learn
/// of it at once instead of at their timeout).
///
/// This is the whole life of a role process: what a `tell serve` command
/// does after reading the roster, the protocol and the role's projection.
pub async fn serve<D: Decider>(
    listener: TcpListener,
    config: TcpConfig,
    program: &Program,
    decider: &mut D,
    limits: InterpretConfig,
) -> ChoreoResult<RunSummary> {
    let mut handler = TcpHandler::establish(listener, config).await?;
    let result = interpret_with(&mut handler, &mut (), program, decider, limits).await;
    let closed = handler.shutdown().await;
    let summary = result?;
    closed?;
    Ok(summary)
}
