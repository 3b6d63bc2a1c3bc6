//! Round trips and bad data for `px-tiles`.
