"""What the library's layers share for reading and writing files, below all of them: atomic
writes (:mod:`nistpf.io.atomic`), the one check that no output of a command is a path it reads
or another of its outputs (:mod:`nistpf.io.paths`), CSV text with formula starts neutralised
(:mod:`nistpf.io.csv_safe`), the cell writer for ``.xlsx`` (:mod:`nistpf.io.xlsx`) and the gap
register's client columns (:mod:`nistpf.io.register_columns`). Nothing here imports from
``nistpf.export``, ``nistpf.inventory`` or the store."""
