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

/// The bank keeps using its session after ending it.
async fn bank<H: ChoreoHandler>(h: &mut H, e: &mut H::Endpoint) -> ChoreoResult<()> {
    run_bank(h, e, |s| async move {
        match s.branch().await? {
            BankChargeOrCancel::Charge(_, s) => {
                let done = s.end();
                let _again = s.end();
                Ok(done)
            }
            BankChargeOrCancel::Cancel(_, s) => Ok(s.end()),
        }
    })
    .await
}

fn main() {}
