"""Debian's nginx run by a test: the code lives in ``chatbot.bench.nginx`` (the load
benchmark starts the same nginx in front of two instances)."""

from chatbot.bench.nginx import SHIPPED, Nginx, NginxConfig, nginx_binary

__all__ = ["SHIPPED", "Nginx", "NginxConfig", "nginx_binary"]
