# The exact commands behind results/scaffold/table.{md,json} (run from the repository root, session 5).
R=results/train/runs/r1r2dpo-run5-default; G=results/rag/runs/r1r2dpo-run5-rag-default; S=results/scaffold/runs
.venv/bin/python scripts/train_table.py "run 5 default, upstream prompts=$R" "+ scaffold, header as written=$S/plain+$R" \
    "+ scaffold, header reconciled (rtlgen generate)=$S/plain-rec+$R" "RAG, upstream prompts=$G" \
    "RAG + scaffold, header as written=$S/rag+$G" "RAG + scaffold, header reconciled=$S/rag-rec+$G" \
    --out results/scaffold/table.json > results/scaffold/table.md
