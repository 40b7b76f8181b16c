//! The awkward photo corpus (`tests/fixtures/photos/`, see its README): each file
//! with its expected outcome, and the memory budget asserted on the process
//! itself. Every file is processed again in a child process of its own that
//! reports how far its resident set grew; nothing accepted may grow it past
//! `PhotoOptions::max_decode_bytes`, and nothing refused may have decoded first.

use std::path::{Path, PathBuf};

use fieldgrid_core::FieldStore;
use fieldgrid_core::media::{PhotoOptions, process};
use image::{Rgb, RgbImage};

use crate::peak;

const CASE: &str = "FIELDGRID_PHOTO_CASE";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos")
}

/// What must come of a file.
enum Expect {
    /// Stored at this size; each (x, y) of the stored photo near that colour.
    Stored(u32, u32, &'static [(u32, u32, [u8; 3])]),
    /// Refused with a message containing this.
    Refused(&'static str),
}

const RED: [u8; 3] = [220, 30, 30];
const BLUE: [u8; 3] = [30, 40, 210];
const HALVES_320: &[(u32, u32, [u8; 3])] = &[(40, 120, RED), (280, 120, BLUE)];

fn expectations() -> Vec<(&'static str, Expect)> {
    use Expect::*;
    vec![
        (
            "cmyk-adobe.jpg",
            Stored(256, 192, &[(30, 96, RED), (226, 96, BLUE)]),
        ),
        (
            "progressive-rotated.jpg",
            Stored(400, 300, &[(40, 150, RED), (360, 150, BLUE)]),
        ),
        ("exif-garbage-header.jpg", Stored(320, 240, HALVES_320)),
        ("exif-ifd-out-of-range.jpg", Stored(320, 240, HALVES_320)),
        ("exif-truncated-ifd.jpg", Stored(320, 240, HALVES_320)),
        ("exif-ifd-loop.jpg", Stored(320, 240, HALVES_320)),
        ("exif-orientation-as-text.jpg", Stored(320, 240, HALVES_320)),
        ("exif-length-too-short.jpg", Stored(320, 240, HALVES_320)),
        ("exif-length-zero.jpg", Stored(320, 240, HALVES_320)),
        (
            "progressive-12000-420.jpg",
            Stored(1600, 1600, &[(800, 800, [90, 120, 150])]),
        ),
        (
            "progressive-12000-444.jpg",
            Refused("MB of memory to decode"),
        ),
        (
            "png16-8000.png",
            Stored(1600, 1600, &[(10, 10, [117, 156, 195])]),
        ),
        (
            "png-bomb-12000.png",
            Stored(1600, 1600, &[(800, 800, [0, 0, 0])]),
        ),
        (
            "png-oversize-header.png",
            Refused("larger than 12000×12000"),
        ),
        (
            "png-ztxt-bomb.png",
            Stored(64, 64, &[(32, 32, [200, 60, 60])]),
        ),
        (
            "png-interlaced-alpha.png",
            Stored(200, 100, &[(30, 50, RED), (170, 50, [255, 255, 255])]),
        ),
    ]
}

fn near(p: &Rgb<u8>, want: [u8; 3]) -> bool {
    p.0.iter()
        .zip(want)
        .all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() <= 12)
}

fn check(name: &str, bytes: &[u8], expect: &Expect) {
    let got = process(bytes, &PhotoOptions::default());
    match (expect, got) {
        (Expect::Stored(w, h, samples), Ok(p)) => {
            assert_eq!((p.width, p.height), (*w, *h), "{name}: stored size");
            let img: RgbImage = image::load_from_memory(&p.jpeg).unwrap().to_rgb8();
            for &(x, y, want) in *samples {
                let px = img.get_pixel(x, y);
                assert!(
                    near(px, want),
                    "{name}: at ({x}, {y}) {px:?}, want {want:?}"
                );
            }
            assert!(!p.thumb.is_empty(), "{name}: a thumbnail");
        }
        (Expect::Refused(why), Err(e)) => {
            assert!(
                e.0.contains(why),
                "{name}: refused with «{e}», want «{why}»"
            );
        }
        (Expect::Stored(..), Err(e)) => panic!("{name} was refused: {e}"),
        (Expect::Refused(why), Ok(p)) => {
            panic!(
                "{name} was stored at {}×{}, want refused ({why})",
                p.width, p.height
            )
        }
    }
}

/// Adobe YCCK, as Photoshop writes CMYK when asked to compress better: made
/// here with jpeg-encoder from ink amounts (left half red, right half blue).
fn ycck() -> Vec<u8> {
    let ink = |[r, g, b]: [u8; 3]| [255 - r, 255 - g, 255 - b, 0];
    let mut cmyk = Vec::new();
    for _y in 0..120 {
        for x in 0..160 {
            cmyk.extend(ink(if x < 80 { RED } else { BLUE }));
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&cmyk, 160, 120, jpeg_encoder::ColorType::CmykAsYcck)
        .unwrap();
    out
}

#[test]
fn every_corpus_file_comes_out_as_expected() {
    let listed: Vec<&str> = expectations().iter().map(|e| e.0).collect();
    for entry in std::fs::read_dir(corpus()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let photo = name.ends_with(".jpg") || name.ends_with(".png");
        assert!(
            !photo || listed.contains(&name.as_str()),
            "{name} has no expected outcome"
        );
    }
    for (name, expect) in expectations() {
        let bytes = std::fs::read(corpus().join(name)).unwrap();
        check(name, &bytes, &expect);
    }
    check(
        "YCCK",
        &ycck(),
        &Expect::Stored(160, 120, &[(20, 60, RED), (140, 60, BLUE)]),
    );
}

#[test]
fn damaged_exif_is_ignored_and_the_photo_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
    s.sign_in("worker-1");
    for name in [
        "exif-garbage-header.jpg",
        "exif-ifd-out-of-range.jpg",
        "exif-truncated-ifd.jpg",
        "exif-ifd-loop.jpg",
        "exif-orientation-as-text.jpg",
        "exif-length-too-short.jpg",
        "exif-length-zero.jpg",
    ] {
        let info = s
            .add_photo_file(corpus().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.capture.orientation, 1, "{name}");
        assert_eq!(info.capture.taken_at_ms, None, "{name}");
    }
}

/// Runs only as the child of `memory_stays_within_the_budget_on_the_process`.
#[test]
#[ignore = "the child process of the memory test; runs when that test starts it"]
fn memory_child() {
    let path = std::env::var_os(CASE).expect("started by the memory test");
    peak::child(Path::new(&path));
}

#[test]
fn memory_stays_within_the_budget_on_the_process() {
    let budget = PhotoOptions::default().max_decode_bytes;
    let mut rows = Vec::new();
    let mut growth = std::collections::HashMap::new();
    for (name, expect) in expectations() {
        let m = peak::measure(
            &[
                "--exact",
                "photo_corpus::memory_child",
                "--ignored",
                "--nocapture",
            ],
            (CASE, &corpus().join(name)),
        );
        rows.push(format!(
            "{name}: {:?}, {:.0} ms, grew {:.1} MB",
            m.outcome,
            m.ms,
            m.peak_growth as f64 / 1048576.0
        ));
        growth.insert(name, m.peak_growth);
        match expect {
            Expect::Stored(..) => {
                assert!(m.outcome.is_ok(), "{name} refused: {:?}", m.outcome);
                assert!(
                    m.peak_growth <= budget,
                    "{name} grew the process by {} MB, over the {} MB budget",
                    m.peak_growth >> 20,
                    budget >> 20
                );
            }
            Expect::Refused(_) => {
                assert!(m.outcome.is_err(), "{name} stored");
                assert!(
                    m.peak_growth < 16 << 20,
                    "{name} was refused only after {} MB were taken",
                    m.peak_growth >> 20
                );
            }
        }
    }
    // A PNG far larger than it is stored is reduced as it streams: the 12000×12000
    // bomb and the 16-bit 8000×8000 never exist whole.
    // (Measured once, in the loop above.)
    for name in ["png-bomb-12000.png", "png16-8000.png"] {
        let grew = growth[name];
        assert!(
            grew < 96 << 20,
            "{name} grew the process by {} MB",
            grew >> 20
        );
    }
    println!("{}", rows.join("\n"));
}
