"""Answerers: turn a question and numbered sources into answer text with [n] markers.

A backend is one module with a class that satisfies :class:`rag.backends.base.Answerer`.
"""
