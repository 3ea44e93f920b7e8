"""SMS transports behind the one ``SmsTransport`` port: SMPP 3.4, an HTTP webhook
(Twilio-style) and a console twin for development."""
