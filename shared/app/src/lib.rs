//! switchboard-app
