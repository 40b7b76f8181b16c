//! From camera bytes to evidence: format check, decoding within limits, EXIF
//! (orientation, capture time, place, device), upright pixels, resize, JPEG, and a
//! thumbnail.
//!
//! What EXIF stays in the stored file: none. The re-encoded JPEG carries pixels
//! only; capture time, place and device are kept as metadata in the store (and
//! travel with the photo's record), where access is controlled. A photo file that
//! leaks does not carry a household's coordinates with it.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use serde::Serialize;

/// How photos are processed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoOptions {
    /// The stored photo's longest edge, pixels.
    pub max_edge: u32,
    /// JPEG quality of the stored photo, 1–100.
    pub quality: u8,
    /// The thumbnail's longest edge, pixels.
    pub thumb_edge: u32,
    /// Larger images are refused (pixels per side).
    pub max_dimension: u32,
    /// The most memory decoding may take, bytes.
    pub max_decode_bytes: u64,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            max_edge: 1600,
            quality: 82,
            thumb_edge: 320,
            max_dimension: 12_000,
            max_decode_bytes: 512 * 1024 * 1024,
        }
    }
}

/// What the camera recorded about a photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptureInfo {
    /// When it was taken (unix ms; EXIF local time read as China time when the
    /// file gives no offset).
    pub taken_at_ms: Option<i64>,
    /// Where, WGS-84 degrees.
    pub lat: Option<f64>,
    /// Where, WGS-84 degrees.
    pub lon: Option<f64>,
    /// The camera's make and model.
    pub device: Option<String>,
    /// The EXIF orientation that was applied (1–8).
    pub orientation: u32,
}

/// Why a photo was refused; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the photo was not accepted: {0}")]
pub struct PhotoError(pub String);

/// A processed photo, ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The stored JPEG.
    pub jpeg: Vec<u8>,
    /// Its size.
    pub width: u32,
    /// Its size.
    pub height: u32,
    /// The thumbnail JPEG.
    pub thumb: Vec<u8>,
    /// What EXIF said.
    pub capture: CaptureInfo,
}

fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif"
        )
}

/// Reads the EXIF the camera wrote (missing or damaged EXIF is simply absent).
pub fn read_capture(bytes: &[u8]) -> CaptureInfo {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return CaptureInfo {
            orientation: 1,
            ..CaptureInfo::default()
        };
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    let orientation = field(exif::Tag::Orientation)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let text = |tag| {
        field(tag).map(|f| {
            f.display_value()
                .to_string()
                .trim_matches('"')
                .trim()
                .to_owned()
        })
    };
    let taken_at_ms = text(exif::Tag::DateTimeOriginal).and_then(|t| {
        // "YYYY-MM-DD HH:MM:SS" as kamadak-exif displays it.
        let iso = format!("{}T{}", t.get(..10)?, t.get(11..19)?);
        let offset = text(exif::Tag::OffsetTimeOriginal)
            .filter(|o| o.len() == 6)
            .unwrap_or_else(|| "+08:00".into());
        crate::patrol::gpx::parse_time(&format!("{iso}{offset}"))
    });
    let coord = |tag, reference, negative: &str| -> Option<f64> {
        let f = field(tag)?;
        let exif::Value::Rational(ref r) = f.value else {
            return None;
        };
        if r.len() < 3 || r.iter().any(|x| x.denom == 0) {
            return None;
        }
        let v = r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|s| s.starts_with(negative)) {
            -1.0
        } else {
            1.0
        };
        Some(sign * v)
    };
    let lat =
        coord(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S").filter(|v| v.abs() <= 90.0);
    let lon = coord(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W")
        .filter(|v| v.abs() <= 180.0);
    let device = match (text(exif::Tag::Make), text(exif::Tag::Model)) {
        (Some(m), Some(d)) if d.starts_with(&m) => Some(d),
        (Some(m), Some(d)) => Some(format!("{m} {d}")),
        (m, d) => m.or(d),
    };
    CaptureInfo {
        taken_at_ms,
        lat,
        lon,
        device,
        orientation,
    }
}

/// Turns pixels upright as EXIF orientation `o` says.
pub fn apply_orientation(img: DynamicImage, o: u32) -> DynamicImage {
    match o {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    }
}

fn encode(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img.to_rgb8())
        .map_err(|e| PhotoError(format!("it could not be encoded ({e})")))?;
    Ok(out)
}

/// Processes camera bytes (JPEG or PNG) into the stored photo and its thumbnail.
pub fn process(bytes: &[u8], options: &PhotoOptions) -> Result<Processed, PhotoError> {
    if is_heic(bytes) {
        return Err(PhotoError(
            "HEIC/HEIF photos are not supported; set the camera to JPEG (\"Most Compatible\")"
                .into(),
        ));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError(format!("it could not be read ({e})")))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png) => {}
        _ => return Err(PhotoError("it is not a JPEG or PNG image".into())),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(options.max_dimension);
    limits.max_image_height = Some(options.max_dimension);
    limits.max_alloc = Some(options.max_decode_bytes);
    let mut reader = reader;
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError(format!(
            "it is larger than {0}×{0} pixels or needs too much memory to decode",
            options.max_dimension
        )),
        other => PhotoError(format!("it is damaged or truncated ({other})")),
    })?;
    let capture = read_capture(bytes);
    let img = apply_orientation(img, capture.orientation);
    let fit = |img: &DynamicImage, edge: u32| {
        if img.width().max(img.height()) > edge {
            img.resize(edge, edge, FilterType::CatmullRom)
        } else {
            img.clone()
        }
    };
    let full = fit(&img, options.max_edge);
    let thumb = fit(&full, options.thumb_edge);
    Ok(Processed {
        jpeg: encode(&full, options.quality)?,
        width: full.width(),
        height: full.height(),
        thumb: encode(&thumb, 75)?,
        capture,
    })
}
