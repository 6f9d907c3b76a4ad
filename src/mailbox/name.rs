//! Maildir file names, parsed in one place: the unique part that makes a
//! message's UID and finds it again after a rename, the size fields
//! Dovecot writes, and the flags. Pure and total, so a fuzz target can feed
//! it anything.

/// The parts of a Maildir file name: `UNIQUE[,S=n][,W=n][:2,FLAGS]`.
///
/// Parsing never fails and never panics: any string is some name, and a
/// field that is missing or not a number is simply `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaildirName<'a> {
    /// Everything before the info part (`:`): the unique part and its
    /// `,key=value` fields. It stays the same when a client changes flags,
    /// so it is how a message is found again after a rename.
    pub base: &'a str,
    /// The unique part: the name up to the first `,` or `:`.
    pub unique: &'a str,
    /// `,S=n`: the file's length on disk, as Dovecot records it.
    pub size: Option<u64>,
    /// `,W=n`: the size with CRLF line ends, as Dovecot records it.
    pub wire_size: Option<u64>,
    /// True when an `S=` or `W=` field is there but is not a number, which
    /// makes the name's sizes untrustworthy as a whole.
    pub malformed: bool,
    /// What follows the first `:` (for example `2,S`), if anything does.
    pub info: Option<&'a str>,
}

impl<'a> MaildirName<'a> {
    /// Split a file name into its parts.
    pub fn parse(name: &'a str) -> MaildirName<'a> {
        let (base, info) = match name.split_once(':') {
            Some((b, i)) => (b, Some(i)),
            None => (name, None),
        };
        let mut fields = base.split(',');
        let unique = fields.next().unwrap_or(base);
        let mut parsed = MaildirName {
            base,
            unique,
            size: None,
            wire_size: None,
            malformed: false,
            info,
        };
        for field in fields {
            let (slot, value) = if let Some(v) = field.strip_prefix("S=") {
                (&mut parsed.size, v)
            } else if let Some(v) = field.strip_prefix("W=") {
                (&mut parsed.wire_size, v)
            } else {
                continue;
            };
            // The first occurrence counts; a later duplicate is ignored.
            if slot.is_some() {
                continue;
            }
            match value.parse::<u64>() {
                Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) => *slot = Some(n),
                _ => parsed.malformed = true,
            }
        }
        parsed
    }

    /// The flags after `:2,`, if the name has that info part.
    pub fn flags(&self) -> Option<&'a str> {
        self.info?.strip_prefix("2,")
    }

    /// The `W=` size if it can be true of a file of `len` octets: adding a
    /// CR before each LF at most doubles a file (plus the CRLF that ends
    /// an unterminated last line), and an `S=` field, when there is one,
    /// must be the length itself. A name that fails these checks gets its
    /// file measured instead.
    pub fn plausible_wire_size(&self, len: u64) -> Option<u64> {
        let w = self.wire_size?;
        let fits = !self.malformed
            && self.size.is_none_or(|s| s == len)
            && len <= w
            && w <= len.saturating_mul(2).saturating_add(2);
        fits.then_some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir_names_split_into_their_parts() {
        let n = MaildirName::parse("1.M.h,S=10,W=12:2,S");
        assert_eq!(n.base, "1.M.h,S=10,W=12");
        assert_eq!(n.unique, "1.M.h");
        assert_eq!((n.size, n.wire_size), (Some(10), Some(12)));
        assert_eq!(n.flags(), Some("S"));
        assert!(!n.malformed);
        assert_eq!(MaildirName::parse("1.M.h,S=10:2,S").wire_size, None);
        // A field after the colon is part of the flags, not a size.
        assert_eq!(MaildirName::parse("1.M.h:2,W=5").wire_size, None);
        assert_eq!(MaildirName::parse("plain").info, None);
        assert_eq!(MaildirName::parse("").unique, "");
        let bad = MaildirName::parse("1,W=+5,S=99999999999999999999999");
        assert!(bad.malformed);
        assert_eq!((bad.size, bad.wire_size), (None, None));
    }

    proptest::proptest! {
        #[test]
        fn parsing_any_name_is_safe(name in ".{0,40}") {
            let n = MaildirName::parse(&name);
            proptest::prop_assert!(name.starts_with(n.base));
            proptest::prop_assert!(n.base.starts_with(n.unique));
            let _ = n.flags();
            let _ = n.plausible_wire_size(u64::MAX);
        }
    }

    #[test]
    fn a_wire_size_in_the_name_is_used_only_when_it_fits_the_file() {
        let n = MaildirName::parse("1.a,S=4,W=6:2,");
        assert_eq!(n.plausible_wire_size(4), Some(6));
        assert_eq!(n.plausible_wire_size(5), None, "S= disagrees");
        let n = MaildirName::parse("1.a,W=18446744073709551615:2,");
        assert_eq!(n.plausible_wire_size(4), None);
        assert_eq!(MaildirName::parse("1.a,W=3").plausible_wire_size(4), None);
    }
}
