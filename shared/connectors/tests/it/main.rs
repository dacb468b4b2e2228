//! Integration tests: the clients against the fakes (added with the fakes).
