# results/train/table_run9.{md,json} (run from the repository root)
R=results/train/runs
.venv/bin/python scripts/train_table.py "R1+R2 run 8: LoRA r128, 2.0 epochs over run 6's rows (shipped before)=$R/r1r2-run8l128" \
    "run 9e3: as run 8, 3.0 epochs=$R/r1r2-run9e3" \
    "run 9f: as run 8, 1.46 epochs over run 6's rows + 17,005 new procedural rows=$R/r1r2-run9f" \
    "run 8 + scaffold (rtlgen generate)=$R/r1r2-run8l128-scaf+$R/r1r2-run8l128" \
    "run 9e3 + scaffold=$R/r1r2-run9e3-scaf+$R/r1r2-run9e3" \
    "run 9f + scaffold=$R/r1r2-run9f-scaf+$R/r1r2-run9f" \
    --out results/train/table_run9.json > results/train/table_run9.md
# run 9g was evaluated on v1 Machine only (the device budget ran out): results/train/table_run9_machine.{md,json}
.venv/bin/python scripts/train_table.py --benches verilogeval-v1-machine \
    "run 8=$R/r1r2-run8l128" "run 9e3=$R/r1r2-run9e3" "run 9f (shipped)=$R/r1r2-run9f" \
    "run 9g: as 9f on 79,929 rows (a fourth procedural build), 1.24 epochs=$R/r1r2-run9g-mach" \
    --out results/train/table_run9_machine.json > results/train/table_run9_machine.md
