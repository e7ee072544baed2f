"""Card terminals: the protocol, the HTTP adapter, the simulator and webhook signatures."""
