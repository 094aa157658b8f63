# results/train/table_run11.{md,json} (run from the repository root)
R=results/train/runs
.venv/bin/python scripts/train_table.py "run 9f (shipped before)=$R/r1r2-run9f" \
    "run 10n: narrated voice, rebuilt data=$R/r1r2-run10n" "run 10r: rebuilt data, no narration=$R/r1r2-run10r" \
    "soup s2: mean of 9f and 10n=$R/r1r2-soup-s2" "soup s3: mean of 9f, 10n and 10r (shipped)=$R/r1r2-soup-s3" \
    "run 9f + scaffold=$R/r1r2-run9f-scaf+$R/r1r2-run9f" "run 10n + scaffold=$R/r1r2-run10n-scaf+$R/r1r2-run10n" \
    "run 10r + scaffold=$R/r1r2-run10r-scaf+$R/r1r2-run10r" \
    "soup s2 + scaffold=$R/r1r2-soup-s2-scaf+$R/r1r2-soup-s2" "soup s3 + scaffold=$R/r1r2-soup-s3-scaf+$R/r1r2-soup-s3" \
    --out results/train/table_run11.json > results/train/table_run11.md
