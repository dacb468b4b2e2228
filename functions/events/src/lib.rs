//! switchboard-events
