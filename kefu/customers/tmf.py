"""TMF629 Customer and TMF632 Individual (being written)."""

from ninja import Router

tmf629_router = Router(tags=["TMF629 Customer"])
individual_router = Router(tags=["TMF632 Party"])
