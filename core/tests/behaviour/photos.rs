//! Photos through the public API: upright pixels for all 8 EXIF orientations,
//! deduplication, garbage collection with shared references, pruning rules, and
//! hostile input refused with nothing stored.

use fieldgrid_core::media::PhotoOptions;
use fieldgrid_core::records::Household;
use fieldgrid_core::{Error, FieldStore};
use image::{DynamicImage, Rgb, RgbImage};

fn store(dir: &tempfile::TempDir) -> FieldStore {
    let s = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
    s.sign_in("worker-1");
    s
}

/// 60×40, upright: red top-left, green top-right, blue bottom-left, white bottom-right.
fn upright() -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(60, 40, |x, y| match (x < 30, y < 20) {
        (true, true) => Rgb([230, 20, 20]),
        (false, true) => Rgb([20, 200, 20]),
        (true, false) => Rgb([20, 20, 230]),
        (false, false) => Rgb([240, 240, 240]),
    }))
}

/// An EXIF APP1 segment with Orientation and Model in IFD0 (big-endian TIFF).
fn exif_app1(orientation: u16, model: &str) -> Vec<u8> {
    let mut model_bytes = model.as_bytes().to_vec();
    model_bytes.push(0);
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let model_offset = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x01, 0x10, 0x00, 0x02]);
    tiff.extend_from_slice(&(model_bytes.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(model_offset as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff.extend_from_slice(&model_bytes);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\x00\x00");
    seg.extend_from_slice(&tiff);
    seg
}

/// A JPEG as a camera held sideways writes it: pixels stored so that applying
/// `orientation` makes them upright, with the tag saying so.
fn camera_jpeg(orientation: u16) -> Vec<u8> {
    let img = upright();
    let stored = match orientation {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate270(),
        7 => img.rotate270().fliph(),
        8 => img.rotate90(),
        _ => img,
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&stored.to_rgb8())
        .unwrap();
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend(exif_app1(orientation, "HUAWEI Mate 60"));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn near(p: &Rgb<u8>, want: [u8; 3]) -> bool {
    p.0.iter()
        .zip(want)
        .all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() < 40)
}

fn media_files(s: &FieldStore) -> usize {
    walk(&s.media_dir())
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[test]
fn every_exif_orientation_is_stored_upright() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    for o in 1..=8u16 {
        let photo = s.add_photo(&camera_jpeg(o)).unwrap();
        assert_eq!((photo.width, photo.height), (60, 40), "orientation {o}");
        // (Two orientations may give byte-identical upright photos: stored once.)
        assert_eq!(photo.capture.device.as_deref(), Some("HUAWEI Mate 60"));
        let stored = image::open(s.photo_file(&photo.hash, false).unwrap().unwrap())
            .unwrap()
            .to_rgb8();
        for ((x, y), want) in [
            ((5, 5), [230, 20, 20]),
            ((55, 5), [20, 200, 20]),
            ((5, 35), [20, 20, 230]),
            ((55, 35), [240, 240, 240]),
        ] {
            assert!(
                near(stored.get_pixel(x, y), want),
                "orientation {o}: pixel {x},{y} is {:?}",
                stored.get_pixel(x, y)
            );
        }
        // The stored file carries no EXIF (place and time stay in the database).
        assert!(
            fieldgrid_core::media::read_capture(
                &std::fs::read(s.photo_file(&photo.hash, false).unwrap().unwrap()).unwrap()
            )
            .device
            .is_none()
        );
    }
}

#[test]
fn photos_are_resized_deduplicated_and_collected_only_when_unreferenced() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let big = DynamicImage::ImageRgb8(RgbImage::from_fn(2400, 1800, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }));
    let mut png = Vec::new();
    big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let a = s.add_photo(&png).unwrap();
    assert_eq!((a.width, a.height), (1600, 1200));
    let thumb = image::open(s.photo_file(&a.hash, true).unwrap().unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
    assert_eq!(
        s.add_photo(&png).unwrap().hash,
        a.hash,
        "the same photo is stored once"
    );
    assert_eq!(s.media_usage().unwrap().photos, 1);
    assert_eq!(media_files(&s), 2);

    let h1 = s
        .create(&Household::new("320722104201001", "安峰村1号", "刘凤"))
        .unwrap();
    let h2 = s
        .create(&Household::new("320722104201001", "安峰村2号", "王丽"))
        .unwrap();
    s.attach_photo(&a.hash, &h1, "door").unwrap();
    s.attach_photo(&a.hash, &h2, "door").unwrap();
    s.attach_photo(&a.hash, &h2, "door").unwrap();
    assert_eq!(s.photos_of(&h2).unwrap().len(), 1);
    assert!(matches!(
        s.attach_photo(&a.hash, "no-such-record", "door"),
        Err(Error::NotFound { .. })
    ));
    assert!(s.detach_photo(&a.hash, &h1, "door").unwrap());
    assert_eq!(
        s.gc_photos(0).unwrap(),
        0,
        "still referenced by the second household"
    );
    assert!(s.photo_file(&a.hash, false).unwrap().unwrap().exists());
    s.detach_photo(&a.hash, &h2, "door").unwrap();
    assert_eq!(
        s.gc_photos(3600).unwrap(),
        0,
        "a fresh photo gets a grace period"
    );
    assert_eq!(s.gc_photos(0).unwrap(), 1);
    assert!(s.photo(&a.hash).unwrap().is_none());
    assert_eq!(media_files(&s), 0);
}

#[test]
fn pruning_frees_only_photos_the_server_has() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    // Three different photos (a dot in a different place on each).
    let hashes: Vec<String> = (0..3u32)
        .map(|n| {
            let mut img = upright().to_rgb8();
            for d in 0..4 {
                img.put_pixel(10 + n * 15 + d, 10, Rgb([0, 0, 0]));
            }
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
                .encode_image(&img)
                .unwrap();
            s.add_photo(&jpeg).unwrap().hash
        })
        .collect();
    assert_eq!(
        hashes
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        3
    );
    s.mark_photo_uploaded(&hashes[0]).unwrap();
    s.mark_photo_uploaded(&hashes[2]).unwrap();
    let before = s.media_usage().unwrap();
    assert_eq!(s.prune_photos(0).unwrap(), 2);
    let after = s.media_usage().unwrap();
    assert_eq!(after.unsynced_bytes, before.unsynced_bytes);
    assert!(after.full_bytes < before.full_bytes);
    assert_eq!(s.photo_file(&hashes[0], false).unwrap(), None);
    assert!(
        s.photo_file(&hashes[0], true).unwrap().unwrap().exists(),
        "thumbnails stay"
    );
    assert!(
        s.photo_file(&hashes[1], false).unwrap().unwrap().exists(),
        "never prune unsynced photos"
    );
    assert!(s.photo(&hashes[0]).unwrap().unwrap().full_pruned);
    // A budget already met prunes nothing.
    assert_eq!(s.prune_photos(u64::MAX).unwrap(), 0);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

#[test]
fn hostile_input_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let good = camera_jpeg(1);

    // A PNG "bomb": it claims 100,000 × 100,000 pixels in a few bytes.
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    bomb.extend(png_chunk(b"IHDR", &ihdr));
    bomb.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(png_chunk(b"IEND", &[]));

    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\x00\x00\x00\x00mif1heic");
    let mut corrupt = good.clone();
    for b in &mut corrupt[good.len() / 2..good.len() / 2 + 64] {
        *b = 0xFF;
    }
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "truncated JPEG",
            good[..good.len() / 3].to_vec(),
            "damaged or truncated",
        ),
        ("PNG bomb", bomb, "larger than"),
        ("HEIC", heic, "HEIC"),
        (
            "not an image",
            b"%PDF-1.7 not a photo".to_vec(),
            "not a JPEG or PNG",
        ),
        ("empty", Vec::new(), "not a JPEG or PNG"),
    ];
    for (name, bytes, expected) in cases {
        let err = s.add_photo(&bytes).unwrap_err();
        assert!(matches!(err, Error::InvalidPhoto(_)), "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    // Garbage in the middle of a JPEG either decodes to something or is refused;
    // it never panics.
    let _ = s.add_photo(&corrupt);
    let tight = PhotoOptions {
        max_dimension: 50,
        ..PhotoOptions::default()
    };
    assert!(
        s.add_photo_with(&good, &tight)
            .unwrap_err()
            .to_string()
            .contains("larger than 50×50")
    );
    let usage = s.media_usage().unwrap();
    assert!(usage.photos <= 1, "only the mangled JPEG may have decoded");
    assert_eq!(media_files(&s), usage.photos as usize * 2);
}

/// A little TIFF/EXIF writer: IFD0 (Model, Orientation, pointers), the Exif IFD
/// (DateTimeOriginal) and the GPS IFD (latitude, longitude), big-endian.
fn full_exif(lat: (u32, u32, u32), lon: (u32, u32, u32), taken: &str) -> Vec<u8> {
    struct Entry(u16, u16, u32, Vec<u8>); // tag, type, count, value bytes
    fn ifd(entries: &[Entry], at: u32, tiff: &mut Vec<u8>) {
        // Entries, then their out-of-line values right after the IFD.
        let mut extra_at = at + 2 + 12 * entries.len() as u32 + 4;
        let mut extra = Vec::new();
        tiff.extend_from_slice(&(entries.len() as u16).to_be_bytes());
        for Entry(tag, kind, count, value) in entries {
            tiff.extend_from_slice(&tag.to_be_bytes());
            tiff.extend_from_slice(&kind.to_be_bytes());
            tiff.extend_from_slice(&count.to_be_bytes());
            if value.len() <= 4 {
                let mut v = value.clone();
                v.resize(4, 0);
                tiff.extend_from_slice(&v);
            } else {
                tiff.extend_from_slice(&extra_at.to_be_bytes());
                extra.extend_from_slice(value);
                extra_at += value.len() as u32;
            }
        }
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(&extra);
    }
    let ascii = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    };
    let rational = |(d, m, s): (u32, u32, u32)| {
        [(d, 1u32), (m, 1), (s, 100)]
            .iter()
            .flat_map(|(n, q)| [n.to_be_bytes(), q.to_be_bytes()].concat())
            .collect::<Vec<u8>>()
    };
    let model = ascii("XIAOMI 14");
    // Lay out: header (8), IFD0 at 8, Exif IFD, GPS IFD.
    let ifd0_len = 2 + 12 * 4 + 4 + model.len() as u32;
    let exif_at = 8 + ifd0_len;
    let exif_len = 2 + 12 + 4 + 20;
    let gps_at = exif_at + exif_len;
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    ifd(
        &[
            Entry(0x0110, 2, model.len() as u32, model.clone()),
            Entry(0x0112, 3, 1, vec![0, 1]),
            Entry(0x8769, 4, 1, exif_at.to_be_bytes().to_vec()),
            Entry(0x8825, 4, 1, gps_at.to_be_bytes().to_vec()),
        ],
        8,
        &mut tiff,
    );
    ifd(&[Entry(0x9003, 2, 20, ascii(taken))], exif_at, &mut tiff);
    ifd(
        &[
            Entry(0x0001, 2, 2, ascii("N")),
            Entry(0x0002, 5, 3, rational(lat)),
            Entry(0x0003, 2, 2, ascii("E")),
            Entry(0x0004, 5, 3, rational(lon)),
        ],
        gps_at,
        &mut tiff,
    );
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\x00\x00");
    seg.extend_from_slice(&tiff);
    seg
}

#[test]
fn capture_time_place_and_device_are_kept_as_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&upright().to_rgb8())
        .unwrap();
    let mut camera = jpeg[..2].to_vec();
    // 34°30'36.00" N, 118°42'18.00" E, 2026-11-24 09:30:00 China time.
    camera.extend(full_exif(
        (34, 30, 3600),
        (118, 42, 1800),
        "2026:11:24 09:30:00",
    ));
    camera.extend_from_slice(&jpeg[2..]);
    let photo = s.add_photo(&camera).unwrap();
    let c = &photo.capture;
    assert_eq!(c.device.as_deref(), Some("XIAOMI 14"));
    assert_eq!(
        c.taken_at_ms,
        Some(1_795_483_800_000),
        "09:30 +08:00 = 01:30 UTC"
    );
    assert!((c.lat.unwrap() - 34.51).abs() < 1e-9, "{:?}", c.lat);
    assert!((c.lon.unwrap() - 118.705).abs() < 1e-9, "{:?}", c.lon);
    // Kept in the database, read back the same; the file itself carries none of it.
    assert_eq!(
        s.photo(&photo.hash).unwrap().unwrap().capture.taken_at_ms,
        c.taken_at_ms
    );
    let stored = std::fs::read(s.photo_file(&photo.hash, false).unwrap().unwrap()).unwrap();
    let again = fieldgrid_core::media::read_capture(&stored);
    assert!(again.lat.is_none() && again.taken_at_ms.is_none() && again.device.is_none());
}
