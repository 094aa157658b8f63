# results/train/table_run8.{md,json} (run from the repository root)
R=results/train/runs
.venv/bin/python scripts/train_table.py "run 7 (shipped before): R1+R2, LoRA r64, 1.6 epochs=$R/r1r2-run7l64" \
    "run 7 + DPO a: sigmoid, lr 2e-5, 1 epoch=$R/r1r2dpo-run8a" \
    "run 7 + DPO b: sigmoid+sft, lr 2e-5, 1 epoch=$R/r1r2dpo-run8b" \
    "run 7 + DPO c: sigmoid+sft, lr 8e-5, 2 epochs=$R/r1r2dpo-run8c" \
    "R1+R2 run 8: LoRA r128, 2.0 epochs (shipped)=$R/r1r2-run8l128" \
    "run 8 + DPO d: as a=$R/r1r2dpo-run8d" \
    "run 7 + scaffold=$R/r1r2-run7-scaf+$R/r1r2-run7l64" \
    "run 7 + DPO a + scaffold=$R/r1r2dpo-run8a-scaf+$R/r1r2dpo-run8a" \
    "run 7 + DPO b + scaffold=$R/r1r2dpo-run8b-scaf+$R/r1r2dpo-run8b" \
    "run 7 + DPO c + scaffold=$R/r1r2dpo-run8c-scaf+$R/r1r2dpo-run8c" \
    "run 8 + scaffold (rtlgen generate)=$R/r1r2-run8l128-scaf+$R/r1r2-run8l128" \
    --out results/train/table_run8.json > results/train/table_run8.md
