"""The hub: aiohttp application, settings, CLI, health."""
