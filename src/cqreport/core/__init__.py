"""The core layer: the vocabulary and the pure helpers every other layer uses.

``vocab`` (units, qualifiers, bounds, topics, languages, scales, months, the
reliability grades and the zh/en glossary, read from ``data/datapackage.json``
and the metric catalogue), ``numbers`` (reading numerals), ``periods``
(quarters and period phrases), ``figures`` (formatting and scanning figures in
Chinese and English) and ``paths``. Nothing here imports from another layer.
"""
