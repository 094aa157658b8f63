# results/train/table_run7.{md,json} (run from the repository root)
R=results/train/runs
.venv/bin/python scripts/train_table.py "base=results/base" "run 5 default (shipped before)=$R/r1r2dpo-run5-default" \
    "R1+R2 run 6 (LoRA r16, lr 2e-4, 2 epochs)=$R/r1r2-run6" "R1+R2+DPO run 6=$R/r1r2dpo-run6" \
    "R1+R2 run 7: full FT, lr 1e-4 (greedy only)=$R/r1r2-run7full" \
    "R1+R2 run 7: full FT cut to rank 24 by SVD=$R/r1r2-run7full-svd24" \
    "R1+R2 run 7: LoRA r24, lr 6e-4=$R/r1r2-run7l24" \
    "R1+R2 run 7: LoRA r64, lr 6e-4 (shipped)=$R/r1r2-run7l64" \
    "run 5 + scaffold (rtlgen generate)=results/scaffold/runs/plain-rec+$R/r1r2dpo-run5-default" \
    "run 7 + scaffold (rtlgen generate)=$R/r1r2-run7-scaf+$R/r1r2-run7l64" \
    --out results/train/table_run7.json > results/train/table_run7.md
