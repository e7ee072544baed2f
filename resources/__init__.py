"""Icons, stylesheet, translations and the demo catalogue, shipped with the till."""
