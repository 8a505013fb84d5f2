"""Training recipes compared on DHSD by ``benchmarks/cpu_training_dhsd/accuracy_dhsd.py``.

Each module has ``run(job: RecipeJob) -> dict``: it trains within the job's
wall-clock deadline, logs one row per epoch through ``BudgetLog`` and returns
the scores of its best checkpoint on the validation writers.
"""

RECIPES = ("package_default", "mltu_tutorial", "iam_line_crnn")
