"""Bridges to other frameworks. Each lives in its own module and imports its framework only when that module is
imported: ``import rag`` never loads them.

- ``rag.integrations.llama_index``: the hybrid retriever and the cited, verified answers as LlamaIndex components.
"""
