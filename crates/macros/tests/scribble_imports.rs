//! `choreography!` resolves Scribble imports from files, as `tell` does: a
//! protocol that `do`es one from an imported module gets one typed API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use telltale_choreography::InMemoryHandler;
use telltale_types::Role;

mod shop {
    telltale_macros::choreography!(file = "tests/protocols/shop/Checkout.scr");
}

#[test]
fn an_imported_protocol_is_part_of_the_generated_api() {
    use shop::checkout;
    let mut network = InMemoryHandler::network(["Buyer", "Bank"]);
    let mut buyer = network.remove(&Role::new("Buyer")).unwrap();
    let mut bank = network.remove(&Role::new("Bank")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (mut buyer_endpoint, mut bank_endpoint) = ((), ());
    let (paid, _) = runtime.block_on(async {
        tokio::join!(
            checkout::run_buyer(&mut buyer, &mut buyer_endpoint, |st| async move {
                let st = st.send(checkout::Order { item: 7 }).await?;
                let st = st.send(checkout::Charge { amount: 30 }).await?;
                let (checkout::Receipt { id }, st) = st.recv().await?;
                Ok(st.finish(id))
            }),
            checkout::run_bank(&mut bank, &mut bank_endpoint, |st| async move {
                let (checkout::Order { item }, st) = st.recv().await?;
                let (checkout::Charge { amount }, st) = st.recv().await?;
                Ok(st
                    .send(checkout::Receipt { id: item + amount })
                    .await?
                    .end())
            })
        )
    });
    assert_eq!(paid.unwrap(), 37);
}
