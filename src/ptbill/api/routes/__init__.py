"""The JSON API's routers, one module per resource; ``ptbill.api.main`` assembles them."""
