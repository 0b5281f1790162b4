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

/// The buyer sends an `Accept` where the protocol says `Order`.
async fn buyer<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_buyer(h, e, |s| async move {
        let s = s.send(Accept).await?;
        match s.branch().await? {
            BuyerAcceptOrReject::Accept(_, s) => Ok(s.end()),
            BuyerAcceptOrReject::Reject(_, s) => Ok(s.end()),
        }
    })
    .await
}

fn main() {}
