//! Deterministic synthetic series with known change points, shared by the tests,
//! the labelled data set generator and the evaluation.
#![allow(dead_code)]

use std::f64::consts::TAU;

/// 2024-01-01T00:00:00Z, a Monday.
pub const START: i64 = 1_704_067_200;
pub const HOUR: i64 = 3600;

/// SplitMix64: tiny, fast, and good enough for test data; same output everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
    }

    pub fn poisson(&mut self, lambda: f64) -> f64 {
        if lambda <= 0.0 {
            return 0.0;
        }
        if lambda > 40.0 {
            return (lambda + lambda.sqrt() * self.normal()).round().max(0.0);
        }
        let limit = (-lambda).exp();
        let mut k = 0.0;
        let mut p = self.uniform();
        while p > limit {
            k += 1.0;
            p *= self.uniform();
        }
        k
    }

    pub fn binomial(&mut self, n: f64, p: f64) -> f64 {
        if n <= 60.0 {
            let mut k = 0.0;
            for _ in 0..n as u64 {
                if self.uniform() < p {
                    k += 1.0;
                }
            }
            return k;
        }
        let sd = (n * p * (1.0 - p)).sqrt();
        (n * p + sd * self.normal()).round().clamp(0.0, n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    None,
    Daily,
    Weekly,
    Both,
}

impl Season {
    pub fn name(self) -> &'static str {
        match self {
            Season::None => "none",
            Season::Daily => "daily",
            Season::Weekly => "weekly",
            Season::Both => "both",
        }
    }

    /// Multiplier on the expected value at time `t`: quiet nights, quieter weekends.
    fn factor(self, t: i64, amplitude: f64) -> f64 {
        let hour = (t.rem_euclid(86_400)) as f64 / 3600.0;
        let day = (t - START).div_euclid(86_400).rem_euclid(7);
        let daily = 1.0 + amplitude * (TAU * (hour - 9.0) / 24.0).sin();
        let weekly = if day >= 5 { 1.0 - 0.6 * amplitude } else { 1.0 };
        match self {
            Season::None => 1.0,
            Season::Daily => daily,
            Season::Weekly => weekly,
            Season::Both => daily * weekly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeKind {
    /// Permanent multiplicative step from this point on.
    Step(f64),
    /// Multiplier for `len` points, then back.
    Spike { factor: f64, len: usize },
    /// Linear move to `factor` over `len` points, then stays there.
    Ramp { factor: f64, len: usize },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub at: usize,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Counts around `level` per step.
    Count { level: f64 },
    /// Share `share` of a denominator around `volume` per step.
    Share { share: f64, volume: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub name: String,
    /// Change type for reporting: none, step_up, step_down, spike, ramp, share_flip...
    pub category: &'static str,
    pub kind: Kind,
    pub season: Season,
    /// Seasonal amplitude (0.5 = nights at half the mean).
    pub amplitude: f64,
    /// Log-normal (counts) or logit-normal (shares) extra noise, on top of
    /// Poisson/binomial sampling.
    pub noise: f64,
    pub len: usize,
    pub step_secs: i64,
    /// Multiplicative growth over the whole series (1.0 = flat).
    pub growth: f64,
    pub changes: Vec<Change>,
    /// Fraction of points written with an empty value.
    pub missing_rate: f64,
    /// Rows dropped entirely (a collector outage): (start, length).
    pub outage: Option<(usize, usize)>,
    pub seed: u64,
}

impl Spec {
    pub fn count(name: &str, category: &'static str, level: f64, season: Season) -> Self {
        Self {
            name: name.to_string(),
            category,
            kind: Kind::Count { level },
            season,
            amplitude: 0.5,
            noise: 0.05,
            len: 1008,
            step_secs: HOUR,
            growth: 1.0,
            changes: Vec::new(),
            missing_rate: 0.0,
            outage: None,
            seed: 1,
        }
    }

    pub fn share(name: &str, category: &'static str, share: f64, volume: f64) -> Self {
        Self {
            kind: Kind::Share { share, volume },
            amplitude: 0.3,
            ..Self::count(name, category, 0.0, Season::None)
        }
    }

    pub fn with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }

    pub fn change(mut self, at: usize, kind: ChangeKind) -> Self {
        self.changes.push(Change { at, kind });
        self
    }

    /// Multiplier from the changes at point `i`.
    fn change_factor(&self, i: usize) -> f64 {
        let mut f = 1.0;
        for c in &self.changes {
            if i < c.at {
                continue;
            }
            let since = i - c.at;
            f *= match c.kind {
                ChangeKind::Step(m) => m,
                ChangeKind::Spike { factor, len } if since < len => factor,
                ChangeKind::Spike { .. } => 1.0,
                ChangeKind::Ramp { factor, len } => {
                    let progress = ((since + 1) as f64 / len as f64).min(1.0);
                    1.0 + (factor - 1.0) * progress
                }
            };
        }
        f
    }
}

/// One generated row. `value` is the count or the numerator; `None` when missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: i64,
    pub value: Option<f64>,
    pub denominator: Option<f64>,
    pub label: bool,
}

pub fn generate(spec: &Spec) -> Vec<Point> {
    let mut rng = Rng::new(spec.seed);
    let mut out = Vec::with_capacity(spec.len);
    for i in 0..spec.len {
        let t = START + i as i64 * spec.step_secs;
        let growth = spec.growth.powf(i as f64 / spec.len as f64);
        let season = spec.season.factor(t, spec.amplitude);
        let change = spec.change_factor(i);
        let wiggle = spec.noise * rng.normal();
        let (value, denominator) = match spec.kind {
            Kind::Count { level } => {
                let mean =
                    level * growth * season * change * (wiggle - spec.noise.powi(2) / 2.0).exp();
                (rng.poisson(mean), None)
            }
            Kind::Share { share, volume } => {
                let n = rng.poisson(volume * season * growth);
                // Shares drift less with the clock than volumes do.
                let p = (share * change * (1.0 + 0.3 * (season - 1.0))).clamp(0.001, 0.999);
                let logit = (p / (1.0 - p)).ln() + wiggle;
                let p = 1.0 / (1.0 + (-logit).exp());
                (rng.binomial(n, p), Some(n))
            }
        };
        let missing = rng.uniform() < spec.missing_rate;
        let dropped = spec
            .outage
            .is_some_and(|(start, len)| (start..start + len).contains(&i));
        let label = spec.changes.iter().any(|c| c.at == i);
        if dropped {
            continue;
        }
        out.push(Point {
            t,
            value: (!missing).then_some(value),
            denominator: if missing { None } else { denominator },
            label,
        });
    }
    out
}

/// The labelled data set shipped under `data/`: 67 series over four seasonalities,
/// two noise levels, sparse counts, shares with large and tiny denominators, trends,
/// gaps and a finer step. Change points sit after the default warm-up.
pub fn dataset() -> Vec<Spec> {
    use ChangeKind::*;
    let mut specs = Vec::new();
    let mut seed = 100;
    let mut next_seed = || {
        seed += 1;
        seed
    };
    let seasons = [Season::None, Season::Daily, Season::Weekly, Season::Both];
    for season in seasons {
        for (noise_name, noise, level) in [("low", 0.05, 200.0), ("high", 0.2, 80.0)] {
            let base = |cat: &'static str, seed: u64| {
                Spec::count(
                    &format!("count_{}_{noise_name}_{cat}", season.name()),
                    cat,
                    level,
                    season,
                )
                .with(|s| {
                    s.noise = noise;
                    s.seed = seed;
                })
            };
            let (up, down) = if noise > 0.1 {
                (1.7, 0.55)
            } else {
                (1.3, 0.75)
            };
            specs.push(base("none", next_seed()));
            specs.push(base("step_up", next_seed()).change(520, Step(up)));
            specs.push(base("step_down", next_seed()).change(610, Step(down)));
            specs.push(
                base("spike", next_seed())
                    .change(
                        470,
                        Spike {
                            factor: 3.0,
                            len: 1,
                        },
                    )
                    .change(
                        800,
                        Spike {
                            factor: 2.5,
                            len: 2,
                        },
                    ),
            );
            specs.push(base("ramp", next_seed()).change(
                560,
                Ramp {
                    factor: if noise > 0.1 { 2.0 } else { 1.5 },
                    len: 48,
                },
            ));
        }
    }
    // Sparse counts: mostly zeros.
    for (i, (level, season)) in [
        (0.1, Season::None),
        (0.3, Season::Daily),
        (0.5, Season::Both),
        (0.2, Season::Weekly),
    ]
    .into_iter()
    .enumerate()
    {
        specs.push(
            Spec::count(&format!("sparse_{i}_none"), "sparse_none", level, season)
                .with(|s| s.seed = next_seed()),
        );
    }
    for (i, level) in [0.2, 0.4, 0.3].into_iter().enumerate() {
        specs.push(
            Spec::count(
                &format!("sparse_{i}_step_up"),
                "sparse_step",
                level,
                Season::Both,
            )
            .with(|s| s.seed = next_seed())
            .change(600, Step(4.0 / level)),
        );
    }
    specs.push(
        Spec::count("sparse_spike", "sparse_spike", 0.3, Season::Daily)
            .with(|s| s.seed = next_seed())
            .change(
                700,
                Spike {
                    factor: 100.0,
                    len: 1,
                },
            ),
    );
    // Shares with healthy denominators: no shift, and a flip between two brands.
    for season in [Season::None, Season::Both] {
        for (noise_name, noise) in [("low", 0.03), ("high", 0.12)] {
            let base = |cat: &'static str, seed: u64| {
                Spec::share(
                    &format!("share_{}_{noise_name}_{cat}", season.name()),
                    cat,
                    0.55,
                    300.0,
                )
                .with(|s| {
                    s.season = season;
                    s.noise = noise;
                    s.seed = seed;
                })
            };
            specs.push(base("share_none", next_seed()));
            specs.push(
                base("share_flip", next_seed())
                    .change(650, Step(if noise > 0.1 { 0.65 } else { 0.8 })),
            );
        }
    }
    // Shares out of a handful of mentions: noisy by nature, must stay quiet.
    for (i, volume) in [5.0, 8.0].into_iter().enumerate() {
        specs.push(
            Spec::share(
                &format!("share_small_{i}_none"),
                "share_small_none",
                0.3,
                volume,
            )
            .with(|s| {
                s.season = Season::Both;
                s.seed = next_seed();
            }),
        );
    }
    specs.push(
        Spec::share("share_small_flip", "share_flip", 0.3, 8.0)
            .with(|s| s.seed = next_seed())
            .change(600, Step(2.0)),
    );
    // Trends.
    for season in [Season::Daily, Season::Both] {
        specs.push(
            Spec::count(
                &format!("trend_{}_none", season.name()),
                "trend_none",
                100.0,
                season,
            )
            .with(|s| {
                s.growth = 2.5;
                s.noise = 0.1;
                s.seed = next_seed();
            }),
        );
    }
    specs.push(
        Spec::count("trend_both_step_down", "step_down", 100.0, Season::Both)
            .with(|s| {
                s.growth = 2.0;
                s.noise = 0.1;
                s.seed = next_seed();
            })
            .change(700, Step(0.6)),
    );
    // Gaps: empty values and a 12-hour outage.
    specs.push(
        Spec::count("gaps_count_none", "gaps_none", 120.0, Season::Both).with(|s| {
            s.noise = 0.1;
            s.missing_rate = 0.03;
            s.outage = Some((500, 12));
            s.seed = next_seed();
        }),
    );
    specs.push(
        Spec::share("gaps_share_none", "gaps_none", 0.4, 200.0).with(|s| {
            s.season = Season::Daily;
            s.missing_rate = 0.03;
            s.outage = Some((700, 12));
            s.seed = next_seed();
        }),
    );
    specs.push(
        Spec::count("gaps_count_step_up", "step_up", 120.0, Season::Both)
            .with(|s| {
                s.noise = 0.1;
                s.missing_rate = 0.03;
                s.outage = Some((450, 12));
                s.seed = next_seed();
            })
            .change(640, Step(1.5)),
    );
    // A finer step: 15-minute points over four weeks.
    for (cat, change) in [("none", None), ("step_up", Some(Step(1.4)))] {
        let mut spec = Spec::count(&format!("quarter_hour_both_{cat}"), cat, 40.0, Season::Both)
            .with(|s| {
                s.step_secs = 900;
                s.len = 4 * 24 * 28;
                s.noise = 0.1;
                s.seed = next_seed();
            });
        if let Some(kind) = change {
            spec = spec.change(2100, kind);
        }
        specs.push(spec);
    }
    specs
}
