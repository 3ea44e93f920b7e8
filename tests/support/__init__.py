"""Test doubles that run as real servers on loopback."""
