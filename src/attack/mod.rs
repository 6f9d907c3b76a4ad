//! The active attacker: what someone on the wire can do beyond reading it.
//!
//! - [`crack`]: the offline APOP dictionary search over a captured login.

pub mod crack;
