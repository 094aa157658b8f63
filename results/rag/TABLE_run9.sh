# results/rag/table_run9.{md,json} (run from the repository root): retrieval with the scaffold, as
# `rtlgen generate --rag` prompts, over the four benchmarks issue 6 names, for run 8 and the run-9 default
R=results/train/runs; G=results/rag/runs
.venv/bin/python scripts/train_table.py --benches verilogeval-v2-spec,verilogeval-v1-human,verilogeval-v1-machine,rtllm-v1.1 \
  "run 8 + scaffold=$R/r1r2-run8l128-scaf+$R/r1r2-run8l128" "run 8 + scaffold + RAG, BM25=$G/r1r2-run8l128-ragscaf" \
  "run 9 + scaffold=$R/r1r2-run9f-scaf+$R/r1r2-run9f" "run 9 + scaffold + RAG, BM25=$G/r1r2-run9f-ragscaf" \
  --out results/rag/table_run9.json > results/rag/table_run9.md
