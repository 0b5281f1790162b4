//! Tests of the bench workloads with tiny message counts.
#![allow(clippy::unwrap_used)]
use super::*;

fn assert_sane(report: &AsyncBenchReport, workload: &str, baseline: &str, messages: u64) {
    assert_eq!(report.workload, workload);
    assert_eq!(report.baseline, baseline);
    assert_eq!(report.messages, messages);
    for value in [
        report.seconds,
        report.msgs_per_sec,
        report.baseline_seconds,
        report.baseline_msgs_per_sec,
        report.ratio_to_baseline,
    ] {
        assert!(value.is_finite() && value > 0.0, "{report:?}");
    }
    let rate = messages as f64 / report.seconds;
    assert!(
        (report.msgs_per_sec - rate).abs() <= 1e-6 * rate,
        "{report:?}"
    );
    let ratio = report.msgs_per_sec / report.baseline_msgs_per_sec;
    assert!((report.ratio_to_baseline - ratio).abs() <= 1e-9 * ratio);
    let json = serde_json::to_value(report).unwrap();
    assert_eq!(json["workload"], workload);
    assert_eq!(json["messages"], messages);
}

#[test]
fn async_pingpong_reports_both_sides() {
    let report = async_pingpong(200).unwrap();
    assert_sane(&report, "async-pingpong", "tokio-mpsc", 200);
}

#[test]
fn tcp_pingpong_reports_both_sides() {
    let report = tcp_pingpong(200).unwrap();
    assert_sane(&report, "tcp-pingpong", "tokio-length-delimited", 200);
    // An odd count ends with an unanswered ping and still completes.
    assert_eq!(tcp_pingpong(7).unwrap().messages, 7);
}

#[test]
fn tcp_stream_reports_both_sides() {
    let report = tcp_stream(200).unwrap();
    assert_sane(&report, "tcp-stream", "tokio-length-delimited", 200);
}

#[test]
fn the_secure_stream_reports_both_sides() {
    let report = tcp_stream_secure(200).unwrap();
    assert_sane(&report, "tcp-stream-secure", "tokio-length-delimited", 200);
}

#[test]
fn zero_messages_is_an_error() {
    for result in [
        async_pingpong(0),
        tcp_pingpong(0),
        tcp_stream(0),
        tcp_stream_secure(0),
    ] {
        assert!(matches!(result, Err(TransportError::Bench { .. })));
    }
}

#[test]
fn rounds_add_up() {
    assert_eq!(rounds(3), vec![1, 1, 1]);
    assert_eq!(rounds(12), vec![2, 2, 2, 2, 4]);
    assert_eq!(rounds(200_000).iter().sum::<u64>(), 200_000);
}
