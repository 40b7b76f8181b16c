//! Unit tests of door-plate codes and payloads.

use super::*;

#[test]
fn plate_codes_are_crockford_and_distinct() {
    let codes: std::collections::BTreeSet<String> = (0..2000).map(|_| new_plate_code()).collect();
    assert_eq!(codes.len(), 2000);
    for code in &codes {
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert!(!code.contains(['I', 'L', 'O', 'U']), "{code}");
    }
}

#[test]
fn payloads_round_trip_and_catch_any_single_change() {
    let payload = plate_payload("320722000000", "7KQ2-M9XD");
    assert_eq!(
        parse_plate_payload(&payload),
        Ok(("320722000000".into(), "7KQ2-M9XD".into()))
    );
    // Changing any one character of the county or plate is caught.
    let start = "FGDP:1:".len();
    let end = payload.rfind(':').unwrap();
    let mut caught = 0;
    for i in start..end {
        if payload.as_bytes()[i] == b':' {
            continue;
        }
        let mut b = payload.clone().into_bytes();
        b[i] = if b[i] == b'7' { b'8' } else { b'7' };
        let changed = String::from_utf8(b).unwrap();
        if parse_plate_payload(&changed) == Err(PlateError::Damaged) {
            caught += 1;
        }
    }
    assert_eq!(caught, end - start - 1);
    assert_eq!(parse_plate_payload("FGDP"), Err(PlateError::NotAPlate));
    assert_eq!(
        parse_plate_payload("FGDP:x:1:2:3"),
        Err(PlateError::Damaged)
    );
    assert_eq!(parse_plate_payload(""), Err(PlateError::NotAPlate));
}
