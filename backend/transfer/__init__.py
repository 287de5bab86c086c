"""Getting data in and out: imports, exports and backups, all on a ``backend.shared.Backend``.

- ``pipeline``: the one import pipeline (targeting, dedupe, backup, batched writes).
- ``importing``: the importer plugin contract and bounded reading; ``importer_source``
  feeds the plugins' items to the pipeline (``run_import``).
- ``json_export`` and ``markdown_export`` (reading through ``export_reading``);
  ``json_export_check`` checks an export through and ``json_import`` feeds it to the
  pipeline (``import_json_export``).
- ``backup`` takes and rotates backups, ``backup_file`` is their format, ``restore``
  puts one back; ``snapshot_server`` reads a fork-based copy of the live database.
- ``json_stream`` reads JSON a value at a time.
"""
