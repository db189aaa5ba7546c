"""Plain dataclasses and pure functions shared by every layer. Imports none of our packages."""
