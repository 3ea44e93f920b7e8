"""Cryptography for cards: keys and key check values, ISO 9564 PIN blocks, and the
software HSM behind the ``PinSecurity`` port."""
