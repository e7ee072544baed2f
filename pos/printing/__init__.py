"""Receipts on paper: ESC/POS printers, the cash drawer behind them, and a simulator.

``profile`` says how a till reaches its printer and what the printer can do;
``commands`` turns a laid-out :class:`~pos.domain.document.Document` into ESC/POS bytes
(with python-escpos); ``printers`` holds the :class:`~pos.printing.printers.ReceiptPrinter`
protocol and its adapters (network, USB, serial, file), each call bounded by a timeout;
``decode`` reads ESC/POS back into text and ``simulator`` is a TCP printer that keeps
what it was sent. Nothing here calls a use case (tests/unit/test_layers.py).
"""
