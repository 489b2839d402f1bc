"""The channel-neutral dialogue core: text or a button payload in, a Reply out."""
