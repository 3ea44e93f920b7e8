"""ebank: an open-source e-banking platform."""

__version__ = "0.1.0"
