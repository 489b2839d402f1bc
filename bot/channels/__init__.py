"""Channels: the console REPL, the `ask` command and Telegram."""
