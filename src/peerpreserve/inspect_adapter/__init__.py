"""The only package that imports Inspect AI.

Everything Inspect-specific lives here: tasks (``tasks``), tool wrappers (``tools``), the
agent loop (``agent``), scorers (``scorer``), model providers (``providers``), reading
logs (``logs``) and running eval sets (``run``). The rest of peerpreserve is plain Python.
"""
