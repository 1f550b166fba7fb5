"""Stand-ins for external services, served over real HTTP on loopback so clients are tested as they run."""
