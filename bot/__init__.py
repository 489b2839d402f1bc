"""Policy assistant for the city's Vocational Skills Upgrading Action (2019-2021)."""
