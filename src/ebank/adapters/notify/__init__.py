"""Notification gateways (e-mail, SMS) behind the ``Notifier`` port."""
