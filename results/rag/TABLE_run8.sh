# results/rag/table_run8.{md,json} (run from the repository root): retrieval with the scaffold, as
# `rtlgen generate --rag` prompts, over the four benchmarks issue 6 names
R=results/train/runs; G=results/rag/runs
.venv/bin/python scripts/train_table.py --benches verilogeval-v2-spec,verilogeval-v1-human,verilogeval-v1-machine,rtllm-v1.1 \
  "run 7 + scaffold=$R/r1r2-run7-scaf+$R/r1r2-run7l64" "run 7 + scaffold + RAG, BM25=$G/r1r2-run7-ragscaf" \
  "run 8 + scaffold=$R/r1r2-run8l128-scaf+$R/r1r2-run8l128" "run 8 + scaffold + RAG, BM25=$G/r1r2-run8l128-ragscaf" \
  --out results/rag/table_run8.json > results/rag/table_run8.md
