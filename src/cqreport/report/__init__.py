"""The report layer: one quarter's report as the reader sees it.

``params`` (the notebook's validated parameters), ``narrative`` (the prose
and its ledger of numbers, from ``templates/``), ``charts``, ``fonts`` (the
CJK font) and ``audit`` (reads the rendered report back against the ledger).
"""
