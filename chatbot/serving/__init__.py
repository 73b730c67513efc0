"""Running the server: worker processes (``serve --workers``) and the start-up benchmark."""
