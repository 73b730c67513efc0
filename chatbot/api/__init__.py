"""Guichet's own OpenAI-compatible HTTP API, mounted at ``/v1`` in the chat server.

- ``schemas``: the request and response bodies (pydantic), OpenAI's shapes plus our extras;
- ``keys``: API keys of client systems, stored hashed, each acting as one role;
- ``errors``: OpenAI's error shape, French messages;
- ``limits``: rate limits (``limits`` library, Redis when configured) for the API, the chat
  socket, the widget token and logins: one place;
- ``conversations``: conversation ids a key may continue, and their privacy gates;
- ``chat``: ``POST /v1/chat/completions``, streamed or not, through ``chatbot.turn``;
- ``routes``: the sub-application (``GET /v1/models``, the OpenAPI schema) and its mounting.
"""
