//! Encryption at rest: the store (SQLCipher) and its photo files
//! (ChaCha20-Poly1305) under a key the app keeps in the Keystore / Keychain.

#[cfg(feature = "encryption")]
use fieldgrid_core::records::Household;
use fieldgrid_core::{Error, FieldStore};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

#[cfg(feature = "encryption")]
fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(160, 120, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 2) as u8, 70])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[cfg(feature = "encryption")]
#[test]
fn an_encrypted_store_keeps_nothing_readable_and_refuses_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let (id, hash) = {
        let s = FieldStore::open_encrypted(&path, KEY).unwrap();
        assert!(s.is_encrypted());
        s.sign_in("worker-1");
        let id = s
            .create(&Household::new("g1", "安峰镇山口村3组12号", "刘凤英"))
            .unwrap();
        let photo = s.add_photo(&jpeg()).unwrap();
        (id, photo.hash)
    };
    // Nothing readable on disk: no SQLite header, no name, no JPEG.
    let db = std::fs::read(&path).unwrap();
    let wal = std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default();
    assert_ne!(&db[..16], b"SQLite format 3\0");
    let needle = "刘凤英".as_bytes();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
    let s = FieldStore::open_encrypted(&path, KEY).unwrap();
    let file = std::fs::read(s.photo_file(&hash, false).unwrap().unwrap()).unwrap();
    assert!(!file.starts_with(&[0xFF, 0xD8]), "the photo file is sealed");
    let photo = s.photo_bytes(&hash, false).unwrap().unwrap();
    assert!(photo.starts_with(&[0xFF, 0xD8]));
    assert_eq!(blake3::hash(&photo).to_hex().as_str(), hash);
    assert!(
        s.photo_bytes(&hash, true)
            .unwrap()
            .unwrap()
            .starts_with(&[0xFF, 0xD8])
    );
    assert_eq!(s.get::<Household>(&id).unwrap().head_name, "刘凤英");
    drop(s);

    // A wrong key, no key, or a too-short key: refused, file unchanged.
    let before = std::fs::read(&path).unwrap();
    let wrong = FieldStore::open_encrypted(&path, b"another key of 32 bytes........!").unwrap_err();
    assert!(matches!(wrong, Error::WrongKey { .. }), "{wrong}");
    match FieldStore::open(&path).unwrap_err() {
        Error::Corrupt { detail, .. } => assert!(detail.contains("needs its key"), "{detail}"),
        other => panic!("{other}"),
    }
    assert!(matches!(
        FieldStore::open_encrypted(&path, b"short"),
        Err(Error::WrongKey { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A store created without a key is not opened with one.
    let plain = dir.path().join("plain.sqlite");
    drop(FieldStore::open(&plain).unwrap());
    assert!(matches!(
        FieldStore::open_encrypted(&plain, KEY),
        Err(Error::WrongKey { .. })
    ));
    // A sealed photo file that was tampered with is an error, never shown.
    let s = FieldStore::open_encrypted(&path, KEY).unwrap();
    let f = s.photo_file(&hash, true).unwrap().unwrap();
    let mut bytes = std::fs::read(&f).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    assert!(matches!(s.photo_bytes(&hash, true), Err(Error::Io { .. })));
}

#[cfg(not(feature = "encryption"))]
#[test]
fn a_build_without_sqlcipher_refuses_a_key_instead_of_writing_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    assert!(matches!(
        FieldStore::open_encrypted(&path, KEY),
        Err(Error::EncryptionUnavailable)
    ));
}
