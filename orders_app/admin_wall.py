"""Admin for wall kiosk keys (filled in by the wall screen work)."""
