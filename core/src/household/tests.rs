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
    // The link printed on the plate, as the camera reads it, percent-encoded or not.
    let link = plate_link("https://grid.example.gov.cn/", "320722000000", "7KQ2-M9XD");
    assert!(
        link.starts_with("https://grid.example.gov.cn/report?plate=FGDP:1:"),
        "{link}"
    );
    let want = Ok(("320722000000".to_owned(), "7KQ2-M9XD".to_owned()));
    assert_eq!(parse_plate_payload(&link), want);
    assert_eq!(
        parse_plate_payload(&link.replace(':', "%3A").replacen("https%3A", "https:", 1)),
        want
    );
    assert_eq!(parse_plate_payload(&format!("{link}&from=wechat")), want);
    assert_eq!(
        parse_plate_payload("https://x/report?plate=FGDP:1:320722000000:7KQ2-M9XD:0000"),
        Err(PlateError::Damaged)
    );
    assert_eq!(
        parse_plate_payload("FGDP:x:1:2:3"),
        Err(PlateError::Damaged)
    );
    assert_eq!(parse_plate_payload(""), Err(PlateError::NotAPlate));
}
