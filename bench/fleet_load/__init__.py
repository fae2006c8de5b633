"""Load at the protocol level: a Streamlit websocket client (`protocol`), a Locust user built on it
(`user`), the stand-in gateway in its own process (`standin`) and the scenario that measures how
many streaming sessions one replica and a Caddy fleet hold (`scenario`, run as
`python -m bench.fleet_load`). Importing the package imports neither Locust nor gevent."""
