//! For tests of [`crate::InternalEvent`]s: the metrics an event records, read back by
//! name and labels (`features = ["testing"]` in a crate's dev-dependencies).
//!
//! ```
//! use earshot_runtime::testing::capture_metrics;
//!
//! let ((), metrics) = capture_metrics(|| {
//!     metrics::counter!("earshot_pages_total", "platform" => "lemmy").increment(2);
//! });
//! assert_eq!(metrics.counter("earshot_pages_total", &[("platform", "lemmy")]), Some(2));
//! assert_eq!(metrics.counter("earshot_pages_total", &[]), None, "labels must match");
//! ```

use metrics_util::debugging::{DebugValue, DebuggingRecorder};

/// Runs `f` with a recorder of its own on this thread (other tests running at the same
/// time do not see its metrics, nor it theirs) and returns what `f` recorded.
pub fn capture_metrics<T>(f: impl FnOnce() -> T) -> (T, CapturedMetrics) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let value = metrics::with_local_recorder(&recorder, f);
    let metrics = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            Captured {
                name: key.name().to_owned(),
                labels,
                value,
            }
        })
        .collect();
    (value, CapturedMetrics { metrics })
}

/// The metrics recorded inside one [`capture_metrics`].
#[derive(Debug)]
pub struct CapturedMetrics {
    metrics: Vec<Captured>,
}

#[derive(Debug)]
struct Captured {
    name: String,
    /// Sorted by key.
    labels: Vec<(String, String)>,
    value: DebugValue,
}

impl CapturedMetrics {
    /// The counter `name` with exactly `labels` (in any order), if it was touched.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        match self.find(name, labels)? {
            DebugValue::Counter(n) => Some(*n),
            _ => None,
        }
    }

    /// The last value of gauge `name` with exactly `labels`.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        match self.find(name, labels)? {
            DebugValue::Gauge(v) => Some(v.0),
            _ => None,
        }
    }

    /// Every value recorded into histogram `name` with exactly `labels`, oldest first.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Option<Vec<f64>> {
        match self.find(name, labels)? {
            DebugValue::Histogram(values) => Some(values.iter().map(|v| v.0).collect()),
            _ => None,
        }
    }

    /// The names of every metric recorded, sorted, each once.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.metrics.iter().map(|m| m.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut wanted: Vec<(&str, &str)> = labels.to_vec();
        wanted.sort_unstable();
        self.metrics
            .iter()
            .find(|m| {
                m.name == name
                    && m.labels.len() == wanted.len()
                    && m.labels
                        .iter()
                        .zip(&wanted)
                        .all(|((k, v), (wk, wv))| k == wk && v == wv)
            })
            .map(|m| &m.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_by_name_and_exact_labels() {
        let (answer, metrics) = capture_metrics(|| {
            metrics::counter!("c_total", "a" => "1", "b" => "2").increment(3);
            metrics::counter!("c_total", "a" => "1").increment(1);
            metrics::gauge!("g").set(4.5);
            metrics::histogram!("h_seconds").record(0.25);
            metrics::histogram!("h_seconds").record(0.5);
            42
        });
        assert_eq!(answer, 42);
        assert_eq!(
            metrics.counter("c_total", &[("b", "2"), ("a", "1")]),
            Some(3)
        );
        assert_eq!(metrics.counter("c_total", &[("a", "1")]), Some(1));
        assert_eq!(metrics.counter("c_total", &[("a", "2")]), None);
        assert_eq!(metrics.counter("g", &[]), None, "a gauge is not a counter");
        assert_eq!(metrics.gauge("g", &[]), Some(4.5));
        assert_eq!(metrics.histogram("h_seconds", &[]), Some(vec![0.25, 0.5]));
        assert_eq!(metrics.names(), ["c_total", "g", "h_seconds"]);
    }

    #[test]
    fn captures_do_not_leak_into_each_other() {
        let ((), first) = capture_metrics(|| metrics::counter!("x_total").increment(1));
        let ((), second) = capture_metrics(|| {});
        assert_eq!(first.counter("x_total", &[]), Some(1));
        assert!(second.names().is_empty());
    }
}
