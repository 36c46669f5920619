"""What the library's layers share for reading and writing files, below all of them: atomic
writes (:mod:`nistpf.io.atomic`), the cell writer for ``.xlsx`` (:mod:`nistpf.io.xlsx`) and the
gap register's client columns (:mod:`nistpf.io.register_columns`). Nothing here imports from
``nistpf.export``, ``nistpf.inventory`` or the store."""
