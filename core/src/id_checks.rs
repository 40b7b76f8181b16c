//! Checks of the identity data a person registers with: the resident ID-card number
//! (GB 11643: 18 characters, a region code of GB/T 2260 shipped as data in
//! `core/data/gb2260/`, a real birth date, a check character) and a mainland mobile
//! number. Problems are described without repeating the number.

use std::fmt;

/// What is wrong with an ID-card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCardProblem {
    /// Not 18 characters.
    Length,
    /// The first 17 are not all digits, or the last is not a digit or X.
    Characters,
    /// The first six digits are not an administrative division code (GB/T 2260).
    Region,
    /// Positions 7–14 are not a real date between 1900 and today (China time).
    BirthDate,
    /// The check character does not match the first 17 digits.
    CheckCharacter,
}

impl fmt::Display for IdCardProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdCardProblem::Length => "an ID-card number has 18 characters",
            IdCardProblem::Characters => "an ID-card number is 17 digits followed by a digit or X",
            IdCardProblem::Region => {
                "the first six digits of the ID-card number are not an administrative division code"
            }
            IdCardProblem::BirthDate => "the birth date in the ID-card number is not a real date",
            IdCardProblem::CheckCharacter => {
                "the ID-card number's check character does not match (a digit is mistyped)"
            }
        })
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// An ID-card number as typed, in the one form it is checked, stored and looked up
/// in: full-width digits as ASCII (NFKC), spaces and hyphens dropped, `x` as `X`.
pub fn normalise_id_number(typed: &str) -> String {
    crate::text::nfkc(typed)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Checks an 18-character resident ID-card number (GB 11643-1999): its
/// characters, the birth date inside it, and the check character.
pub fn check_id_card(number: &str) -> Result<(), IdCardProblem> {
    let b = number.as_bytes();
    if number.chars().count() != 18 || b.len() != 18 {
        return Err(IdCardProblem::Length);
    }
    if !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
    {
        return Err(IdCardProblem::Characters);
    }
    if !is_division_code(&number[..6]) {
        return Err(IdCardProblem::Region);
    }
    let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
    let today = crate::time::date_at(crate::time::now());
    match crate::time::parse_date(&birth) {
        Some(date) if date.year() >= 1900 && date <= today => {}
        _ => return Err(IdCardProblem::BirthDate),
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != b[17].to_ascii_uppercase() {
        return Err(IdCardProblem::CheckCharacter);
    }
    Ok(())
}

/// Every county-level division code of every GB/T 2260 edition in the shipped
/// data (current and retired: a card keeps the code of its first registration).
static DIVISIONS: std::sync::LazyLock<std::collections::HashSet<u32>> =
    std::sync::LazyLock::new(|| {
        include_str!("../data/gb2260/codes.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    });

/// Whether `code` (six digits) is an administrative division code: listed, or a
/// county code under a listed province and prefecture (the data holds the editions
/// from 2002 on; a county retired before then still appears on valid cards).
pub fn is_division_code(code: &str) -> bool {
    let Ok(c) = code.parse::<u32>() else {
        return false;
    };
    code.len() == 6
        && (DIVISIONS.contains(&c)
            || (c % 100 != 0
                && DIVISIONS.contains(&(c / 100 * 100))
                && DIVISIONS.contains(&(c / 10_000 * 10_000))))
}

/// Whether `phone` is a mainland mobile number (11 digits, `1[3-9]…`).
pub fn is_mobile_number(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Whether `phone` is a mainland landline with its area code: `0` and 2–3 more
/// digits, an optional `-`, then 7–8 digits (e.g. `0518-87654321`).
pub fn is_landline_number(phone: &str) -> bool {
    let (area, local) = match phone.split_once('-') {
        Some((a, l)) => (a, l),
        None if phone.len() >= 10 => phone.split_at(if phone.len() == 12 { 4 } else { 3 }),
        None => return false,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    area.starts_with('0')
        && (3..=4).contains(&area.len())
        && (7..=8).contains(&local.len())
        && digits(area)
        && digits(local)
        && !local.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_card_numbers() {
        // The standard's published example.
        assert_eq!(check_id_card("11010519491231002X"), Ok(()));
        assert_eq!(
            check_id_card("110105194912310021"),
            Err(IdCardProblem::CheckCharacter)
        );
        assert_eq!(
            check_id_card("11010519491231002"),
            Err(IdCardProblem::Length)
        );
        assert_eq!(
            check_id_card("1101051949123100AX"),
            Err(IdCardProblem::Characters)
        );
        assert_eq!(
            check_id_card("110105194902301234"),
            Err(IdCardProblem::BirthDate)
        );
        assert!(!IdCardProblem::CheckCharacter.to_string().contains("1101"));
        // A well-formed number whose birth date is next year.
        let year = crate::time::date_at(crate::time::now()).year() + 1;
        let mut future = format!("320722{year}0101123");
        let sum: u32 = future
            .bytes()
            .zip(WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        future.push(CHECK[(sum % 11) as usize] as char);
        assert_eq!(check_id_card(&future), Err(IdCardProblem::BirthDate));
    }

    /// A number with a valid check character over `region` + a 1980 birth date.
    fn with_region(region: &str) -> String {
        let mut n = format!("{region}19800101123");
        let sum: u32 = n
            .bytes()
            .zip(WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        n.push(CHECK[(sum % 11) as usize] as char);
        n
    }

    #[test]
    fn region_codes_come_from_the_division_list() {
        // Current codes: 东海县, 北京市朝阳区, 连云港市 (a prefecture's own code);
        // a retired one: 南京市白下区 (320103, merged into 秦淮区 in 2013); and a
        // county under a listed prefecture that the editions since 2002 lack.
        for ok in ["320722", "110105", "320700", "320103", "320798"] {
            assert_eq!(check_id_card(&with_region(ok)), Ok(()), "{ok}");
        }
        // No such province, prefecture or place.
        for bad in ["000000", "990101", "329901", "123456"] {
            assert_eq!(
                check_id_card(&with_region(bad)),
                Err(IdCardProblem::Region),
                "{bad}"
            );
        }
        assert!(!IdCardProblem::Region.to_string().contains("000000"));
    }

    #[test]
    fn landline_numbers() {
        assert!(is_landline_number("0518-87654321"));
        assert!(is_landline_number("051887654321"));
        assert!(is_landline_number("010-1234567"));
        assert!(!is_landline_number("518-87654321"));
        assert!(!is_landline_number("0518-0765432"));
        assert!(!is_landline_number("0518-876543211"));
    }

    #[test]
    fn mobile_numbers() {
        assert!(is_mobile_number("13912345678"));
        assert!(!is_mobile_number("12912345678"));
        assert!(!is_mobile_number("1391234567"));
    }
}
