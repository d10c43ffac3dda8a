//! The embedded backend: every role as tasks of this process, on loopback ports.
