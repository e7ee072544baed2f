"""F3: find a product by name or SKU as the cashier types, and add it."""

from __future__ import annotations

from typing import Any

from pos.domain.results import Err, Ok, Result
from ui import sale as sale_ops


class SaleSearch:
    """A room of ``TillWindow`` (see the module)."""

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_typed(self, _text: str) -> None:
        self.search_timer.start()

    def _search_now(self) -> None:
        text = self.search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if not text:
            self._show_hits(generation, Ok(()))
            return

        def query() -> Any:
            if generation != self._search_generation:
                return None  # the cashier typed on: this answer would be dropped anyway
            return sale_ops.search_products(self.till, text)

        self.ops.run(
            query,
            lambda result: self._show_hits(generation, result),
            self._store_failed,
            originator=self,
        )

    def _show_hits(self, generation: int, result: Result[Any] | None) -> None:
        if generation != self._search_generation or result is None:
            return
        if isinstance(result, Err):
            self.show_result(result)
            return
        self.search_model.show(result.value)
        self.results.setVisible(bool(result.value))
        if result.value:
            self.results.setCurrentIndex(self.search_model.index(0, 0))
        if self._add_when_found:
            self._add_when_found = False
            self._add_search_hit(0)

    def _search_entered(self) -> None:
        if self.search_timer.isActive():
            self.search_timer.stop()
            self._search_now()
            # Enter before the answer came: add what the search finds first.
            self._add_when_found = True
            return
        self._add_search_hit(self.results.currentIndex().row())

    def _add_search_hit(self, row: int) -> None:
        product = self.search_model.product(row)
        if product is None or self.cart is None:
            return
        cart_id = self.cart.cart_id
        quantity = self.pending_quantity or (None if product.sale_unit != "piece" else "1")
        self.pending_quantity = None
        self._show_pending_quantity()
        self.close_search()
        self.ring_up(
            lambda typed: sale_ops.add_to_cart(self.till, cart_id, product.id, typed), quantity
        )

    def close_search(self) -> None:
        self.search.clear()
        self.search_model.show(())
        self.results.hide()
        self._search_generation += 1
        self.focus_scan()
