//! Real-looking GPS tracks for tests, benchmarks and the demo: a walker following
//! a route at a steady pace, sampled at a fixed rate, with Gaussian position noise
//! and varying accuracy, as a phone reports it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::fix::{Fix, Provider};

const M_PER_DEG_LAT: f64 = 111_195.0;

/// A route of `(lat, lon)` waypoints walked at `speed_mps`, sampled every
/// `interval_ms`, with position noise of `noise_m` (standard deviation).
#[derive(Debug, Clone)]
pub struct Walk {
    /// Waypoints.
    pub route: Vec<(f64, f64)>,
    /// Walking speed, m/s.
    pub speed_mps: f64,
    /// Time between fixes, ms.
    pub interval_ms: i64,
    /// GPS noise, metres (standard deviation).
    pub noise_m: f64,
    /// RNG seed.
    pub seed: u64,
}

impl Walk {
    /// The route's length in metres (flat approximation).
    pub fn length_m(&self) -> f64 {
        self.route.windows(2).map(|w| metres(w[0], w[1])).sum()
    }

    /// The fixes, starting at `start_ms`.
    pub fn fixes(&self, start_ms: i64) -> Vec<Fix> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut out = Vec::new();
        let step = self.speed_mps * self.interval_ms as f64 / 1000.0;
        let mut t = start_ms;
        for w in self.route.windows(2) {
            let len = metres(w[0], w[1]);
            let n = (len / step).ceil().max(1.0) as usize;
            for i in 0..n {
                let f = i as f64 / n as f64;
                let (lat, lon) = (
                    w[0].0 + (w[1].0 - w[0].0) * f,
                    w[0].1 + (w[1].1 - w[0].1) * f,
                );
                out.push(self.noisy(&mut rng, t, lat, lon));
                t += self.interval_ms;
            }
        }
        if let Some(&(lat, lon)) = self.route.last() {
            out.push(self.noisy(&mut rng, t, lat, lon));
        }
        out
    }

    fn noisy(&self, rng: &mut StdRng, t: i64, lat: f64, lon: f64) -> Fix {
        // Box-Muller: two independent standard normals.
        let (u1, u2): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
        let r = (-2.0 * u1.ln()).sqrt();
        let (n1, n2) = (
            r * (std::f64::consts::TAU * u2).cos(),
            r * (std::f64::consts::TAU * u2).sin(),
        );
        let dlat = n1 * self.noise_m / M_PER_DEG_LAT;
        let dlon = n2 * self.noise_m / (M_PER_DEG_LAT * lat.to_radians().cos());
        let mut fix = Fix::new(
            t,
            lat + dlat,
            lon + dlon,
            (self.noise_m * rng.random_range(1.0..2.5)) as f32,
        );
        fix.altitude_m = Some(20.0 + rng.random_range(-1.0..1.0));
        fix.speed_mps = Some(self.speed_mps as f32);
        fix.provider = Provider::Gps;
        fix
    }
}

/// Flat distance between two points, metres.
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (b.0 - a.0) * M_PER_DEG_LAT;
    let dx = (b.1 - a.1) * M_PER_DEG_LAT * a.0.to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

/// A point `east_m`, `north_m` metres from `origin`.
pub fn offset(origin: (f64, f64), east_m: f64, north_m: f64) -> (f64, f64) {
    (
        origin.0 + north_m / M_PER_DEG_LAT,
        origin.1 + east_m / (M_PER_DEG_LAT * origin.0.to_radians().cos()),
    )
}

/// A back-and-forth sweep of a `width_m` × `height_m` rectangle from its south-west
/// corner `origin`, with passes `spacing_m` apart.
pub fn sweep(origin: (f64, f64), width_m: f64, height_m: f64, spacing_m: f64) -> Vec<(f64, f64)> {
    let mut route = Vec::new();
    let mut x = spacing_m / 2.0;
    let mut north = true;
    while x < width_m {
        let (y0, y1) = if north {
            (5.0, height_m - 5.0)
        } else {
            (height_m - 5.0, 5.0)
        };
        route.push(offset(origin, x, y0));
        route.push(offset(origin, x, y1));
        north = !north;
        x += spacing_m;
    }
    route
}
