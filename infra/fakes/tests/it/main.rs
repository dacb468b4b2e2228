//! Integration tests of the fakes (added with the fakes).
