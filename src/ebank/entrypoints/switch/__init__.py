"""The ISO 8583 switch: an asyncio TCP server (``server.py``) and the translation of
messages to the card-transaction use cases (``handlers.py``)."""
