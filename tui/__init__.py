"""The Textual chat UI (`rag chat`). It uses only rag's public API; see ``tui.app.run_chat``."""
