//! switchboard-commands
