"""netspace-mock: an offline, stateful emulator of the Netspace ONE games platform."""

__version__ = "0.1.0"
