"""Dates, times and numbers as each language Pass speaks writes them (FORMAT_MODULE_PATH).

Only what differs from Django's own locale formats is here. English keeps Pass's day-month
look ("01 Feb 2026, 10:30"); Azerbaijani and Russian write dd.mm.yyyy. Every language uses the
24-hour clock. The names are Django's: templates say ``|date:"SHORT_DATETIME_FORMAT"``.
"""
