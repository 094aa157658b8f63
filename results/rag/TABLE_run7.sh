# results/rag/table_run7.{md,json} (run from the repository root)
R=results/train/runs; G=results/rag/runs
.venv/bin/python scripts/train_table.py "run 5 default=$R/r1r2dpo-run5-default" "run 5 + RAG, BM25 (session 4)=$G/r1r2dpo-run5-rag-default" \
  "run 7 default (R1+R2, LoRA r64)=$R/r1r2-run7l64" "run 7 + RAG, BM25=$G/r1r2-run7-rag" \
  --out results/rag/table_run7.json > results/rag/table_run7.md
