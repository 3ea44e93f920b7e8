"""ISO 8583:1987 in ASCII: the field spec, the codec, the 2-byte length framing and a
client. Pure adapters: no business rules (those are in the switch's handlers and the
card-transaction use cases)."""
