"""The store of record: models, engines per dialect, the unit of work, migrations."""
