"""ACD routing: the pure engine (no Django import) and the discrete-event simulator that drives it."""
