"""Workforce management: Erlang C staffing and forecasts (pure cores first)."""
