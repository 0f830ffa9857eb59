"""Lambda entry points (thin: parse, call the engine, format)."""
