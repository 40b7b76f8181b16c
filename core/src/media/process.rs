//! From camera bytes to evidence: format check, decoding within limits, EXIF
//! (orientation, capture time, place, device), upright pixels, resize, JPEG, and a
//! thumbnail.
//!
//! What EXIF stays in the stored file: none. The re-encoded JPEG carries pixels
//! only; capture time, place and device are kept as metadata in the store (and
//! travel with the photo's record), where access is controlled. A photo file that
//! leaks does not carry a household's coordinates with it.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use serde::Serialize;

use super::decode::{self, Pixels};

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
    /// The most memory processing one photo may take, bytes: checked from the
    /// file's header before decoding (see [`process`]).
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

pub use crate::error::PhotoError;

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
        crate::time::parse_time(&format!("{iso}{offset}"))
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
pub fn apply_orientation(img: RgbImage, o: u32) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate90, rotate180, rotate270};
    match o {
        2 => flip_horizontal(&img),
        3 => rotate180(&img),
        4 => flip_vertical(&img),
        5 => flip_horizontal(&rotate90(&img)),
        6 => rotate90(&img),
        7 => flip_horizontal(&rotate270(&img)),
        8 => rotate270(&img),
        _ => img,
    }
}

/// Resizes to fit within `edge` pixels with a SIMD convolution (Catmull-Rom),
/// taking the buffer over: an image already small enough is returned as it is.
fn fit(px: Pixels, edge: u32) -> Result<Pixels, PhotoError> {
    let (w, h) = (px.width, px.height);
    if w.max(h) <= edge {
        return Ok(px);
    }
    let scale = f64::from(edge) / f64::from(w.max(h));
    let (dw, dh) = (
        ((f64::from(w) * scale).round() as u32).clamp(1, edge),
        ((f64::from(h) * scale).round() as u32).clamp(1, edge),
    );
    let failed = |e: String| PhotoError(format!("it could not be resized ({e})"));
    let kind = px.pixel_type();
    let src = fast_image_resize::images::Image::from_vec_u8(w, h, px.buf, kind)
        .map_err(|e| failed(e.to_string()))?;
    let mut dst = fast_image_resize::images::Image::new(dw, dh, kind);
    fast_image_resize::Resizer::new()
        .resize(
            &src,
            &mut dst,
            &fast_image_resize::ResizeOptions::new().resize_alg(
                fast_image_resize::ResizeAlg::Convolution(
                    fast_image_resize::FilterType::CatmullRom,
                ),
            ),
        )
        .map_err(|e| failed(e.to_string()))?;
    Ok(Pixels {
        buf: dst.into_vec(),
        width: dw,
        height: dh,
        channels: px.channels,
    })
}

/// Grey becomes RGB; alpha is laid over white paper (a screenshot's transparent
/// parts show white, not black).
fn to_rgb(px: Pixels) -> Result<RgbImage, PhotoError> {
    let over_white = |v: u8, a: u8| {
        ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8
    };
    let buf = match px.channels {
        3 => px.buf,
        1 => px.buf.iter().flat_map(|&g| [g, g, g]).collect(),
        2 => px
            .buf
            .chunks_exact(2)
            .flat_map(|p| [over_white(p[0], p[1]); 3])
            .collect(),
        _ => px
            .buf
            .chunks_exact(4)
            .flat_map(|p| [0, 1, 2].map(|i| over_white(p[i], p[3])))
            .collect(),
    };
    RgbImage::from_raw(px.width, px.height, buf)
        .ok_or_else(|| PhotoError("it is damaged or truncated (fewer pixels than declared)".into()))
}

fn encode_rgb(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = img.dimensions();
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(PhotoError("it is too large to encode".into()));
    };
    let mut out = Vec::new();
    // jpeg-encoder picks its AVX2 path at run time where the CPU has it.
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(img.as_raw(), w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PhotoError(format!("it could not be encoded ({e})")))?;
    Ok(out)
}

/// Processes camera bytes (JPEG or PNG) into the stored photo and its thumbnail.
///
/// Memory: the file's header says, before any pixel is decoded, what decoding
/// and the steps after it will hold; more than `max_decode_bytes` is refused.
/// There is one pixel buffer at full decoded size, resized without a copy; the
/// picture is turned upright once it is small.
pub fn process(bytes: &[u8], options: &PhotoOptions) -> Result<Processed, PhotoError> {
    if is_heic(bytes) {
        return Err(PhotoError(
            "HEIC/HEIF photos are not supported; set the camera to JPEG (\"Most Compatible\")"
                .into(),
        ));
    }
    let px = match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => decode::jpeg(bytes, options.max_edge, options)?,
        Ok(ImageFormat::Png) => decode::png(bytes, options.max_edge, options)?,
        _ => return Err(PhotoError("it is not a JPEG or PNG image".into())),
    };
    let capture = read_capture(bytes);
    let full = apply_orientation(to_rgb(fit(px, options.max_edge)?)?, capture.orientation);
    let jpeg = encode_rgb(&full, options.quality)?;
    let (width, height) = full.dimensions();
    let small = fit(
        Pixels {
            width,
            height,
            buf: full.into_raw(),
            channels: 3,
        },
        options.thumb_edge,
    )?;
    let thumb = to_rgb(small)?;
    Ok(Processed {
        jpeg,
        width,
        height,
        thumb: encode_rgb(&thumb, 75)?,
        capture,
    })
}
