//! From camera bytes to evidence: format check, decoding within limits, EXIF
//! (orientation, capture time, place, device), upright pixels, resize, JPEG, and a
//! thumbnail.
//!
//! What EXIF stays in the stored file: none. The re-encoded JPEG carries pixels
//! only; capture time, place and device are kept as metadata in the store (and
//! travel with the photo's record), where access is controlled. A photo file that
//! leaks does not carry a household's coordinates with it.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
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

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still
/// covers `edge` pixels: a 12 MP photo bound for 1600 px decodes at half size, a
/// quarter of the work. Dimensions and memory are checked before decoding.
fn decode_jpeg(
    bytes: &[u8],
    edge: u32,
    options: &PhotoOptions,
) -> Result<DynamicImage, PhotoError> {
    let damaged = |e: jpeg_decoder::Error| PhotoError(format!("it is damaged or truncated ({e})"));
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(damaged)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError("it is damaged or truncated".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w > options.max_dimension || h > options.max_dimension || w == 0 || h == 0 {
        return Err(too_large(options));
    }
    let long = w.max(h);
    let (w, h) = if long > edge {
        let want = |side: u32| {
            ((u64::from(side) * u64::from(edge)).div_ceil(u64::from(long))).max(1) as u16
        };
        let (sw, sh) = decoder.scale(want(w), want(h)).map_err(damaged)?;
        (u32::from(sw), u32::from(sh))
    } else {
        (w, h)
    };
    if u64::from(w) * u64::from(h) * 4 > options.max_decode_bytes {
        return Err(too_large(options));
    }
    let pixels = decoder.decode().map_err(damaged)?;
    let format = decoder.info().map(|i| i.pixel_format);
    let short = || PhotoError("it is damaged or truncated (fewer pixels than declared)".into());
    Ok(match format {
        Some(jpeg_decoder::PixelFormat::RGB24) => {
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        Some(jpeg_decoder::PixelFormat::L8) => {
            DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        Some(jpeg_decoder::PixelFormat::L16) => {
            let gray: Vec<u8> = pixels.chunks_exact(2).map(|p| p[0]).collect();
            DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, gray).ok_or_else(short)?)
        }
        Some(jpeg_decoder::PixelFormat::CMYK32) => {
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(p[3]);
                    [0, 1, 2].map(|i| ((u16::from(p[i]) * k) / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(short)?)
        }
        None => return Err(short()),
    })
}

fn too_large(options: &PhotoOptions) -> PhotoError {
    PhotoError(format!(
        "it is larger than {0}×{0} pixels or needs too much memory to decode",
        options.max_dimension
    ))
}

/// Resizes to fit within `edge` pixels with a SIMD convolution (Catmull-Rom).
fn fit(img: &RgbImage, edge: u32) -> Result<RgbImage, PhotoError> {
    let (w, h) = img.dimensions();
    if w.max(h) <= edge {
        return Ok(img.clone());
    }
    let scale = f64::from(edge) / f64::from(w.max(h));
    let (dw, dh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let failed = |e: String| PhotoError(format!("it could not be resized ({e})"));
    let src = fast_image_resize::images::Image::from_vec_u8(
        w,
        h,
        img.as_raw().clone(),
        fast_image_resize::PixelType::U8x3,
    )
    .map_err(|e| failed(e.to_string()))?;
    let mut dst = fast_image_resize::images::Image::new(dw, dh, fast_image_resize::PixelType::U8x3);
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
    RgbImage::from_raw(dw, dh, dst.into_vec()).ok_or_else(|| failed("buffer size".into()))
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
    let img = match reader.format() {
        Some(ImageFormat::Jpeg) => decode_jpeg(bytes, options.max_edge, options)?,
        Some(ImageFormat::Png) => {
            let mut limits = Limits::default();
            limits.max_image_width = Some(options.max_dimension);
            limits.max_image_height = Some(options.max_dimension);
            limits.max_alloc = Some(options.max_decode_bytes);
            let mut reader = reader;
            reader.limits(limits);
            reader.decode().map_err(|e| match e {
                image::ImageError::Limits(_) => too_large(options),
                other => PhotoError(format!("it is damaged or truncated ({other})")),
            })?
        }
        _ => return Err(PhotoError("it is not a JPEG or PNG image".into())),
    };
    let capture = read_capture(bytes);
    let upright = apply_orientation(img, capture.orientation).to_rgb8();
    let full = fit(&upright, options.max_edge)?;
    let thumb = fit(&full, options.thumb_edge)?;
    Ok(Processed {
        jpeg: encode_rgb(&full, options.quality)?,
        width: full.width(),
        height: full.height(),
        thumb: encode_rgb(&thumb, 75)?,
        capture,
    })
}
