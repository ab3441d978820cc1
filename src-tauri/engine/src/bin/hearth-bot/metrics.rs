//! Reading the SFU's `/metrics` (Prometheus text) with a bare HTTP/1.1 GET, and the few figures
//! the load run needs from it. Parsing is tolerant: a family that is missing is `None`.

/// Name of the SFU's forwarding-latency histogram (receipt to last forwarded send).
const FORWARD_LATENCY: &str = "hearth_sfu_forward_latency_seconds";

/// The SFU figures of one `/metrics` scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    /// `hearth_sfu_packets_forwarded_total`.
    pub packets_forwarded: Option<f64>,
    /// `hearth_sfu_bytes_forwarded_total`.
    pub bytes_forwarded: Option<f64>,
    /// `hearth_sfu_peers`.
    pub peers: Option<f64>,
    /// `hearth_sfu_forward_latency_seconds`, when the SFU exports it.
    pub forward_latency: Option<Histogram>,
}

/// A Prometheus histogram: cumulative bucket counts by upper bound (ascending, ending at +Inf).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// `(le, cumulative count)`, sorted by `le`.
    pub buckets: Vec<(f64, f64)>,
}

impl Histogram {
    /// Observations made between `earlier` and `self` (same buckets assumed).
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let buckets = self
            .buckets
            .iter()
            .map(|&(le, count)| {
                let before = earlier
                    .buckets
                    .iter()
                    .find(|(l, _)| *l == le)
                    .map_or(0.0, |(_, c)| *c);
                (le, (count - before).max(0.0))
            })
            .collect();
        Histogram { buckets }
    }

    /// Number of observations.
    pub fn count(&self) -> f64 {
        self.buckets.last().map_or(0.0, |(_, c)| *c)
    }

    /// The `q` quantile like Prometheus' `histogram_quantile`: linear inside the bucket that holds
    /// the rank, the lower bound of the first bucket being 0; a rank in the +Inf bucket gives the
    /// highest finite bound. `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total <= 0.0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total;
        let (mut lower, mut below) = (0.0, 0.0);
        for &(le, cumulative) in &self.buckets {
            if cumulative >= rank && cumulative > below {
                if le.is_infinite() {
                    return Some(lower);
                }
                return Some(lower + (le - lower) * (rank - below) / (cumulative - below));
            }
            (lower, below) = (if le.is_finite() { le } else { lower }, cumulative);
        }
        Some(lower)
    }
}

/// Fetches `http://{http_addr}/metrics` and returns the body.
pub async fn fetch(http_addr: &str) -> anyhow::Result<String> {
    hearth_engine::http::request(http_addr, "GET", "/metrics", None)
        .await?
        .ok_body("/metrics")
}

/// Picks the load run's figures out of Prometheus text.
pub fn parse(text: &str) -> Scrape {
    let mut scrape = Scrape::default();
    let mut buckets = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let name = series.split('{').next().unwrap_or(series);
        match name {
            "hearth_sfu_packets_forwarded_total" => scrape.packets_forwarded = Some(value),
            "hearth_sfu_bytes_forwarded_total" => scrape.bytes_forwarded = Some(value),
            "hearth_sfu_peers" => scrape.peers = Some(value),
            _ if name == format!("{FORWARD_LATENCY}_bucket") => {
                if let Some(le) = label(series, "le").and_then(parse_bound) {
                    buckets.push((le, value));
                }
            }
            _ => {}
        }
    }
    if !buckets.is_empty() {
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        scrape.forward_latency = Some(Histogram { buckets });
    }
    scrape
}

/// The value of label `key` in `name{k="v",...}`.
fn label<'a>(series: &'a str, key: &str) -> Option<&'a str> {
    let labels = series.split_once('{')?.1.strip_suffix('}')?;
    labels.split(',').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

fn parse_bound(le: &str) -> Option<f64> {
    match le {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# HELP hearth_sfu_peers Peers joined to the SFU.
# TYPE hearth_sfu_peers gauge
hearth_sfu_peers 51
hearth_sfu_packets_forwarded_total 12345
hearth_sfu_bytes_forwarded_total 987654
hearth_sfu_join_failures_total{reason=\"full\"} 0
hearth_sfu_forward_latency_seconds_bucket{le=\"0.0001\"} 50
hearth_sfu_forward_latency_seconds_bucket{le=\"0.00025\"} 90
hearth_sfu_forward_latency_seconds_bucket{le=\"+Inf\"} 100
hearth_sfu_forward_latency_seconds_sum 0.01
hearth_sfu_forward_latency_seconds_count 100
";

    #[test]
    fn picks_the_sfu_figures() {
        let scrape = parse(TEXT);
        assert_eq!(scrape.peers, Some(51.0));
        assert_eq!(scrape.packets_forwarded, Some(12345.0));
        assert_eq!(scrape.bytes_forwarded, Some(987654.0));
        let histogram = scrape
            .forward_latency
            .expect("the histogram is in the text");
        assert_eq!(
            histogram.buckets,
            vec![(0.0001, 50.0), (0.00025, 90.0), (f64::INFINITY, 100.0)]
        );
    }

    #[test]
    fn a_missing_histogram_is_none() {
        let scrape = parse("hearth_sfu_packets_forwarded_total 3\n");
        assert_eq!(scrape.forward_latency, None, "no histogram means n/a");
        assert_eq!(scrape.peers, None);
    }

    #[test]
    fn quantiles_interpolate_inside_a_bucket() {
        let histogram = parse(TEXT).forward_latency.expect("histogram");
        let p50 = histogram.quantile(0.5).expect("observations");
        assert!((p50 - 0.0001).abs() < 1e-12, "p50 {p50}");
        let p70 = histogram.quantile(0.7).expect("observations");
        assert!(
            (p70 - 0.000175).abs() < 1e-12,
            "p70 halfway into 100..250 µs: {p70}"
        );
        let p99 = histogram.quantile(0.99).expect("observations");
        assert_eq!(
            p99, 0.00025,
            "a rank in +Inf gives the highest finite bound"
        );
    }

    #[test]
    fn a_window_is_the_difference_of_two_scrapes() {
        let before = Histogram {
            buckets: vec![(0.001, 10.0), (f64::INFINITY, 10.0)],
        };
        let after = Histogram {
            buckets: vec![(0.001, 30.0), (f64::INFINITY, 40.0)],
        };
        let window = after.since(&before);
        assert_eq!(window.buckets, vec![(0.001, 20.0), (f64::INFINITY, 30.0)]);
        assert_eq!(window.count(), 30.0);
        assert_eq!(Histogram::default().quantile(0.5), None, "no observations");
    }
}
