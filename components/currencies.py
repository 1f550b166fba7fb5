"""The currencies every money field offers: the ones this business deals in most first, then every other one.

One list, so a booking, a payment, a sale, a rate and a commission rule offer the same choices in the same order.
"""

from __future__ import annotations

from services.money import CURRENCIES

COMMON_CURRENCIES = ('EUR', 'SEK', 'USD', 'CHF', 'GBP', 'DKK', 'NOK')
CURRENCY_CHOICES = [*COMMON_CURRENCIES, *sorted(CURRENCIES - set(COMMON_CURRENCIES))]
