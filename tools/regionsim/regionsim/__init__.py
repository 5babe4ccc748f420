"""regionsim: a local multi-region AWS endpoint for multiregion.dr.

moto 5.2.5 in server mode, patched to follow real AWS where moto is missing or wrong,
wrapped in a WSGI middleware that adds regional outages, fault injection, a latency
model and a request log. See tools/regionsim/README.md.
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
