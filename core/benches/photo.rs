//! Photo processing benchmark: a 12 MP camera JPEG to the stored 1600 px JPEG plus
//! its 320 px thumbnail, with the project's pipeline (`media::process`) next to the
//! plain `image` crate pipeline (full decode, resize, encode) in the same run.
//!
//! A second table runs each awkward input of `core/tests/fixtures/photos/` (and the
//! camera JPEG, and the same picture as a PNG) in a child process of its own and
//! prints its time and how far the process grew while decoding (peak resident
//! set above where it stood before), so the memory budget is seen on the process
//! itself.
//!
//! `cargo bench -p fieldgrid-core --bench photo`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "../tests/support/peak.rs"]
mod peak;

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

/// The child's switch: the file to process.
const CASE: &str = "FIELDGRID_PHOTO_CASE";

fn main() {
    if let Some(path) = std::env::var_os(CASE) {
        peak::child(Path::new(&path));
        return;
    }
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
    decoders(&input);
    memory_table(&input);
}

/// The JPEG decoders alone: jpeg-decoder at the DCT scale the pipeline uses
/// (half size for a 12 MP photo bound for 1600 px) and zune-jpeg (what `image`
/// uses), which decodes only at full size.
fn decoders(input: &[u8]) {
    let mut scaled = Vec::new();
    let mut zune = Vec::new();
    let (mut scaled_px, mut zune_px) = (0, 0);
    for _ in 0..7 {
        let t = Instant::now();
        let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(input));
        d.read_info().unwrap();
        d.scale(2000, 1500).unwrap();
        scaled_px = black_box(d.decode().unwrap()).len() / 3;
        scaled.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        zune_px = black_box(image::load_from_memory(input).unwrap())
            .to_rgb8()
            .len()
            / 3;
        zune.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("\n| 12 MP JPEG decode alone, median of 7 | ms | pixels out |");
    println!("|---|---|---|");
    println!(
        "| jpeg-decoder at 1/2 DCT scale (used) | {:.0} | {scaled_px} |",
        median(scaled)
    );
    println!(
        "| zune-jpeg via `image`, full size only | {:.0} | {zune_px} |",
        median(zune)
    );
}

/// Each case in a child process, three runs: median time, highest peak.
fn memory_table(camera: &[u8]) {
    let tmp = std::env::temp_dir().join(format!("fieldgrid-photo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let jpeg = tmp.join("camera-12mp.jpg");
    std::fs::write(&jpeg, camera).unwrap();
    let png = tmp.join("camera-12mp.png");
    image::load_from_memory(camera).unwrap().save(&png).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
    let mut cases: Vec<PathBuf> = vec![jpeg.clone(), png.clone()];
    for name in [
        "cmyk-adobe.jpg",
        "progressive-rotated.jpg",
        "progressive-12000-420.jpg",
        "progressive-12000-444.jpg",
        "png16-8000.png",
        "png-bomb-12000.png",
        "png-ztxt-bomb.png",
        "png-oversize-header.png",
        "exif-length-too-short.jpg",
    ] {
        cases.push(corpus.join(name));
    }
    let budget = PhotoOptions::default().max_decode_bytes;
    println!(
        "\n| input (each in its own process, 3 runs) | file | outcome | ms (median) | peak growth MB (highest) | within {} MB |",
        budget >> 20
    );
    println!("|---|---|---|---|---|---|");
    let (mut accepted, mut refused) = (0, 0);
    for case in &cases {
        let runs: Vec<peak::Measured> = (0..3).map(|_| peak::measure(&[], (CASE, case))).collect();
        let ms = median(runs.iter().map(|m| m.ms).collect());
        let growth = runs.iter().map(|m| m.peak_growth).max().unwrap();
        let outcome = match &runs[0].outcome {
            Ok((w, h)) => {
                accepted += 1;
                format!("stored {w}×{h}")
            }
            Err(e) => {
                refused += 1;
                format!(
                    "refused: {}",
                    e.trim_start_matches("the photo was not accepted: ")
                )
            }
        };
        println!(
            "| {} | {:.1} MB | {outcome} | {ms:.0} | {:.1} | {} |",
            case.file_name().unwrap().to_string_lossy(),
            std::fs::metadata(case).unwrap().len() as f64 / 1e6,
            growth as f64 / 1048576.0,
            if growth <= budget { "yes" } else { "**no**" }
        );
    }
    println!(
        "\n{} cases run: {accepted} stored, {refused} refused",
        cases.len()
    );
    assert_eq!(accepted + refused, cases.len(), "every case reported back");
    for must in [&jpeg, &png] {
        let m = peak::measure(&[], (CASE, must));
        assert!(
            m.outcome.is_ok(),
            "{} was refused: {:?}",
            must.display(),
            m.outcome
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
