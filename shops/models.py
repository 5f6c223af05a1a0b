# Shops, products, inventory, carts, orders, fulfilment and refunds: built by the Creator Shops issue.
