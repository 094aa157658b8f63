
R=results/train/runs; G=results/rag/runs
.venv/bin/python scripts/train_table.py "run 5 default=$R/r1r2dpo-run5-default" "run 5 + RAG, BM25 (session 4)=$G/r1r2dpo-run5-rag-default" \
  "run 5 + RAG, tuned embedder, hybrid=$G/r1r2dpo-run5-raghy" \
  "run 6 (R1+R2+DPO)=$R/r1r2dpo-run6" "run 6 + RAG, BM25=$G/r1r2dpo-run6-rag" \
  "run 6 + RAG, tuned embedder, hybrid=$G/r1r2dpo-run6-raghy" "run 6 + RAG, default embedder, hybrid=$G/r1r2dpo-run6-ragbh" \
  --out results/rag/table_run6.json > results/rag/table_run6.md
