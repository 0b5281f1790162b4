#![allow(dead_code)]
use telltale_choreography::{ChoreoHandler, ChoreoResult};
use shop::*;

telltale_macros::choreography!(
    r#"
protocol Shop =
  roles Buyer, Seller, Bank
  Buyer -> Seller : Order of Nat
  choice Seller at
    | Yes =>
      Seller -> Buyer : Accept
      Seller -> Bank : Charge of Nat
    | No =>
      Seller -> Buyer : Reject
      Seller -> Bank : Cancel
"#
);

/// The buyer orders, drops its session and leaves without the answer.
async fn buyer<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_buyer(h, e, |s| async move {
        let _ignored = s.send(Order(3)).await?;
        Ok(())
    })
    .await
}

fn main() {}
