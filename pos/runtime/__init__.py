"""What runs beside the window on its own thread: the webhook listener, the poller, the
sweeper and the wiring that starts them. Each calls services; none is called by them."""
