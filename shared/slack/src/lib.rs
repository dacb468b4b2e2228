//! switchboard-slack
