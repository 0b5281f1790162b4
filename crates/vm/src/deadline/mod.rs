//! Session deadlines: what a timeout does to the coroutines that wait
//! (`timeout.rs`: take a `timeout` branch, miss a missable message, or
//! fail), and the late messages of missed receives (`missed.rs`).

mod missed;
#[cfg(test)]
mod tests;
mod timeout;

pub(crate) use missed::discard_late;
