//! The workshop's accounts: `student01…` with generated passwords, and
//! the instructor's own list.

use ring::rand::{SecureRandom, SystemRandom};

use crate::pop3::auth::Users;

/// The most students one workshop makes accounts for.
pub const MAX_STUDENTS: usize = 999;

/// The letters a generated password is made of: lower case and digits
/// without the ones read as each other (0/o, 1/l/i).
const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Letters in each half of a generated password.
const HALF: usize = 5;

/// One account on the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// The password.
    pub password: String,
    /// popscope made it (`--students`), rather than the instructor's list.
    pub generated: bool,
}

/// The name of student `i` (from 1) of `n`: `student` and the number,
/// zero-padded to the width of `n`, at least two digits.
pub fn student_name(i: usize, n: usize) -> String {
    let width = n.to_string().len().max(2);
    format!("student{i:0width$}")
}

/// A fresh password from the system's CSPRNG: two groups of five letters
/// joined by a dash (`k7fmp-2xqab`), about 49 bits, readable aloud and
/// safe in a URL and on a shell line.
pub fn generate_password(rng: &dyn SecureRandom) -> Result<String, String> {
    // A byte at or above the largest multiple of the alphabet's size is
    // drawn again, so every letter is equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(2 * HALF + 1);
    let mut letters = 0;
    while letters < 2 * HALF {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)
            .map_err(|_| "the system's random number generator failed".to_string())?;
        for b in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if letters == 2 * HALF {
                break;
            }
            if letters == HALF {
                out.push('-');
            }
            out.push(ALPHABET[b % ALPHABET.len()] as char);
            letters += 1;
        }
    }
    Ok(out)
}

/// `n` student accounts with generated passwords.
pub fn students(n: usize) -> Result<Vec<Account>, String> {
    if n == 0 || n > MAX_STUDENTS {
        return Err(format!("--students takes 1 to {MAX_STUDENTS}"));
    }
    let rng = SystemRandom::new();
    (1..=n)
        .map(|i| {
            Ok(Account {
                name: student_name(i, n),
                password: generate_password(&rng)?,
                generated: true,
            })
        })
        .collect()
}

/// The server's user table for the students and the instructor's list
/// (either may be empty; the list's entries in file order, as
/// `Users::load_list` gives them), with the accounts in sheet order:
/// students first, then the list's names. A name in both is refused,
/// since one of the two passwords would silently not work; a name the
/// list gives twice keeps its last password, as the server's users file
/// does.
pub fn combine(
    students: &[Account],
    list: &[(String, String)],
) -> Result<(Users, Vec<Account>), String> {
    let mut users = Users::new();
    let mut accounts: Vec<Account> = students.to_vec();
    for (name, password) in list {
        if students.iter().any(|s| s.name == *name) {
            return Err(format!(
                "the users file names {name}, which --students makes too; rename it \
                 there or give fewer students"
            ));
        }
        let account = Account {
            name: name.clone(),
            password: password.clone(),
            generated: false,
        };
        match accounts.iter_mut().find(|a| a.name == *name) {
            Some(a) => *a = account,
            None => accounts.push(account),
        }
    }
    for a in &accounts {
        users.insert(&a.name, &a.password);
    }
    Ok((users, accounts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_padded_to_the_width_of_the_count() {
        assert_eq!(student_name(1, 9), "student01");
        assert_eq!(student_name(7, 20), "student07");
        assert_eq!(student_name(5, 150), "student005");
        assert_eq!(student_name(150, 150), "student150");
    }

    #[test]
    fn passwords_are_fresh_and_unambiguous() {
        let accounts = students(50).unwrap();
        assert_eq!(accounts.len(), 50);
        let mut seen = std::collections::HashSet::new();
        for a in &accounts {
            let p = a.password.as_str();
            assert_eq!(p.len(), 2 * HALF + 1, "{p}");
            assert_eq!(p.as_bytes()[HALF], b'-', "{p}");
            assert!(
                p.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))),
                "{p}"
            );
            assert!(!p.contains(['0', 'o', '1', 'l', 'i']), "{p}");
            assert!(seen.insert(p.to_string()), "a password came twice: {p}");
        }
        assert!(students(0).is_err());
        assert!(students(MAX_STUDENTS + 1).is_err());
    }

    #[test]
    fn a_name_in_both_lists_is_refused() {
        let s = students(2).unwrap();
        let list = |t: &str| Users::parse_list(t, "users.txt").unwrap();
        let e = combine(&s, &list("student02:mine\nteacher:chalk\n")).unwrap_err();
        assert!(e.contains("student02"), "{e}");
        let (users, accounts) = combine(&s, &list("teacher:old\nteacher:chalk\n")).unwrap();
        assert_eq!(users.len(), 3);
        assert!(users.check_password("teacher", "chalk"));
        let last = accounts.last().unwrap();
        assert_eq!((last.password.as_str(), last.generated), ("chalk", false));
        assert_eq!(accounts.len(), 3);
    }
}
