"""cfggen: generate, validate and convert Darknet .cfg network files."""

__version__ = "0.1.0"
