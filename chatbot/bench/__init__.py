"""Load benchmark (``chatbot bench load``) and the socket.io chat client it shares with the
tests."""
