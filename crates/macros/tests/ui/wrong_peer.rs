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

/// The seller charges the buyer instead of the bank.
async fn seller<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_seller(h, e, |s| async move {
        let (Order(amount), s) = s.recv_from(Buyer).await?;
        let s = s.select_to(Buyer, Accept).await?;
        let s = s.send_to(Buyer, Charge(amount)).await?;
        Ok(s.end())
    })
    .await
}

fn main() {}
