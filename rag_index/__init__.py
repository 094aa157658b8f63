"""rag_index package."""
