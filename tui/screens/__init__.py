"""convsim's screens: thin compositions of widgets plus the bindings of each mode."""
