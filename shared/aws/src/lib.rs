//! switchboard-aws
