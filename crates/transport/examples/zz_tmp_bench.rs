//! Temporary runner.
#![allow(missing_docs, clippy::unwrap_used)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args[2].parse().unwrap();
    let r = match args[1].as_str() {
        "async-pingpong" => telltale_transport::bench::async_pingpong(n),
        "tcp-pingpong" => telltale_transport::bench::tcp_pingpong(n),
        _ => telltale_transport::bench::tcp_stream(n),
    };
    println!("{}", serde_json::to_string(&r.unwrap()).unwrap());
}
