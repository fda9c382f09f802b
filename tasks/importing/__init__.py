"""Plan import and export: readers (YAML, xlsx) → a neutral document → ``apply.plan_import``; ``xlsx_writer`` back."""
