"""The platform's rules: money, catalog, sessions, rounds, free bets and jackpots. No aiohttp here."""
