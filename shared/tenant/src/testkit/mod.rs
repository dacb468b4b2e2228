//! Contract suites for the ports, run by every adapter, and in-memory adapters.
