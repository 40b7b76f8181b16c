//! Photo processing benchmark: a 12 MP camera JPEG to the stored 1600 px JPEG plus
//! its 320 px thumbnail, with the project's pipeline (`media::process`) next to the
//! plain `image` crate pipeline (full decode, resize, encode) in the same run.
//!
//! `cargo bench -p fieldgrid-core --bench photo`

use std::hint::black_box;
use std::time::Instant;

use fieldgrid_core::media::{PhotoOptions, process};
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};

/// A 4000×3000 "photo": smooth light, edges and fine texture, saved at quality 92
/// as a phone camera would.
fn camera_jpeg() -> Vec<u8> {
    let mut seed = 12_345u32;
    let img = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let (fx, fy) = (x as f32 / 4000.0, y as f32 / 3000.0);
        let sky = (200.0 - 120.0 * fy).max(0.0);
        let wall = if (x / 400 + y / 300) % 2 == 0 {
            40.0
        } else {
            0.0
        };
        let tex = (seed % 24) as f32;
        let r = (sky * 0.6 + wall + tex + 30.0 * (fx * 20.0).sin()).clamp(0.0, 255.0);
        let g = (sky * 0.8 + wall * 0.5 + tex).clamp(0.0, 255.0);
        let b = (sky + tex * 0.5 + 20.0 * (fy * 15.0).cos()).clamp(0.0, 255.0);
        Rgb([r as u8, g as u8, b as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .unwrap();
    out
}

/// The plain pipeline: decode everything, resize, encode, thumbnail.
fn plain(bytes: &[u8]) -> (usize, usize) {
    let img = image::load_from_memory(bytes).unwrap();
    let full = img.resize(1600, 1600, FilterType::CatmullRom);
    let thumb = full.resize(320, 320, FilterType::CatmullRom);
    let enc = |i: &DynamicImage, q| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
            .encode_image(&i.to_rgb8())
            .unwrap();
        out.len()
    };
    (enc(&full, 82), enc(&thumb, 75))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let input = camera_jpeg();
    let options = PhotoOptions::default();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let (mut ours_out, mut plain_out) = ((0, 0), (0, 0));
    for _ in 0..7 {
        let t = Instant::now();
        let p = black_box(process(&input, &options).unwrap());
        ours.push(t.elapsed().as_secs_f64() * 1e3);
        ours_out = (p.jpeg.len(), p.thumb.len());
        let t = Instant::now();
        plain_out = black_box(plain(&input));
        theirs.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (o, p) = (median(ours), median(theirs));
    println!(
        "\n| 12 MP JPEG ({:.1} MB) → 1600 px JPEG + 320 px thumbnail, median of 7 | ms | output bytes |",
        input.len() as f64 / 1e6
    );
    println!("|---|---|---|");
    println!(
        "| fieldgrid `media::process` | {o:.0} | {} + {} |",
        ours_out.0, ours_out.1
    );
    println!(
        "| plain `image` decode → resize (CatmullRom) → encode | {p:.0} | {} + {} |",
        plain_out.0, plain_out.1
    );
    println!("| speed-up | {:.2}× | |", p / o);
}
