#![allow(dead_code)]
use telltale_choreography::{ChoreoHandler, ChoreoResult};
use jobs::*;

telltale_macros::choreography!(
    r#"
protocol Jobs =
  roles Client, Server, Log
  rec Work
    choice Client at
      | More =>
        Client -> Server : Job of Nat
        Server -> Log : Note
        continue Work
      | Stop =>
        Client -> Server : Done
        Server -> Log : Closed
"#
);

/// The client selects a message its choice does not offer.
async fn client<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_client(h, e, |s| async move {
        let s = s.select(Note).await?;
        Ok(s.end())
    })
    .await
}

fn main() {}
