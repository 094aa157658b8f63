# results/train/table_run6.{md,json} (run from the repository root)
R=results/train/runs
.venv/bin/python scripts/train_table.py "base=results/base" "run 5 default (shipped)=$R/r1r2dpo-run5-default" \
    "R1+R2 (run 6)=$R/r1r2-run6" "R1+R2+DPO (run 6)=$R/r1r2dpo-run6" \
    "run 5 + scaffold (rtlgen generate)=results/scaffold/runs/plain-rec+$R/r1r2dpo-run5-default" \
    "run 6 + scaffold (rtlgen generate)=$R/r1r2dpo-run6-scaf+$R/r1r2dpo-run6" \
    --out results/train/table_run6.json > results/train/table_run6.md
