#![allow(dead_code)]
use telltale_choreography::{ChoreoHandler, ChoreoResult};
use jobs::*;

telltale_macros::choreography!(
    r#"
protocol Jobs =
  roles Client, Server, Log
  Client -> Server : Hello
  rec Work
    choice Client at
      | More =>
        Client -> Server : Job of Nat
        choice Server at
          | Fine =>
            Server -> Log : Note
          | Bad =>
            Server -> Log : Alarm
        continue Work
      | Stop =>
        Client -> Server : Done
        Server -> Log : Closed
"#
);

/// The client selects the right message for the wrong peer.
async fn client<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_client(h, e, |s| async move {
        let s = s.send(Hello).await?;
        let s = s.select_to(Log, Done).await?;
        Ok(s.end())
    })
    .await
}

fn main() {}
