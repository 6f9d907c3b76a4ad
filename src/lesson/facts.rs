//! What the lab's events established (written next).
