//! Checks of the identity data a person registers with: the resident ID-card number
//! (GB 11643: 18 characters, a check character, a real birth date) and a mainland
//! mobile number. Problems are described without repeating the number.

use std::fmt;

/// What is wrong with an ID-card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCardProblem {
    /// Not 18 characters.
    Length,
    /// The first 17 are not all digits, or the last is not a digit or X.
    Characters,
    /// Positions 7–14 are not a real date between 1900 and today.
    BirthDate,
    /// The check character does not match the first 17 digits.
    CheckCharacter,
}

impl fmt::Display for IdCardProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdCardProblem::Length => "an ID-card number has 18 characters",
            IdCardProblem::Characters => "an ID-card number is 17 digits followed by a digit or X",
            IdCardProblem::BirthDate => "the birth date in the ID-card number is not a real date",
            IdCardProblem::CheckCharacter => {
                "the ID-card number's check character does not match (a digit is mistyped)"
            }
        })
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Checks an 18-character resident ID-card number (GB 11643-1999).
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
    let num = |r: std::ops::Range<usize>| number[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let this_year = 1970 + (crate::store::now() / 31_556_952) as u32;
    if !(1900..=this_year).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || d > days[m as usize - 1]
    {
        return Err(IdCardProblem::BirthDate);
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

/// Whether `phone` is a mainland mobile number (11 digits, `1[3-9]…`).
pub fn is_mobile_number(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
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
    }

    #[test]
    fn mobile_numbers() {
        assert!(is_mobile_number("13912345678"));
        assert!(!is_mobile_number("12912345678"));
        assert!(!is_mobile_number("1391234567"));
    }
}
