//! Test support: real redis-server processes for the integration tests.
