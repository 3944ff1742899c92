"""The data layer: the curated tables, their schema, validation and the typed Dataset.

``schema`` is the only reader of ``datapackage.json``'s table specs; ``load``
reads the CSV files; ``validate`` checks them (every problem, with file, row
and column); ``model`` holds :class:`Dataset`, which knows observations and
series but nothing about quarter reports.
"""
