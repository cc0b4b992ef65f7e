"""CarbonSpot: performance and carbon-footprint exploration of DNN accelerators."""

__version__ = "0.1.0"
