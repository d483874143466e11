"""The API's views: thin, each one validates input, calls one service or selector, and serialises."""
