# run 8, lease 3: the rank-128 model (A1 + round2 part1..5) with RAG (BM25 contexts) and the scaffold
. /root/m/env.sh
P=/root/m/r128
bash /root/m/gen8.sh r1r2-run8l128-ragscaf --adapter $A1 --adapter $P/part1 --adapter $P/part2 --adapter $P/part3 \
  --adapter $P/part4 --adapter $P/part5 --contexts /root/m/ctx6/bm25.jsonl --scaffold \
  --benches verilogeval-v2-spec,verilogeval-v1-human,verilogeval-v1-machine,rtllm-v1.1
