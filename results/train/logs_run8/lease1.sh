# run 8, lease 1: DPO on run 7 (base + A1 + round2 parts) from the pairs sampled in session 7, two losses side by
# side (sigmoid; sigmoid+sft = RPO); then each evaluated plain and scaffolded; then run 7 with RAG + scaffold
. /root/m/env.sh
R2="$PWD/rtlgen/adapters/rtlgen-smollm2-135m/round2"
INITS="[\"$PWD/$A1\",\"$R2/part1\",\"$R2/part2\",\"$R2/part3\",\"$R2/part4\"]"
gunzip -c /root/m/m8/pairs7.jsonl.gz > /root/m/pairs7.jsonl
for V in a b; do
  L=sigmoid; [ $V = b ] && L="sigmoid+sft"
  python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data --out $O/dpo$V --work /root/runs$V \
    --stages dpo --pairs /root/m/pairs7.jsonl --dpo-seconds 420 --set "dpo.init_adapters=$INITS" \
    --set "dpo.loss_type=$L" --set dpo.scaffold_fraction=0.5 > $O/dpo$V.log 2>&1 &
  sleep 20
done
wait
echo done > $O/dpo.done
AD="--adapter $A1 --adapter $R2/part1 --adapter $R2/part2 --adapter $R2/part3 --adapter $R2/part4"
bash /root/m/gen8.sh r1r2dpo-run8a $AD --adapter /root/runsa/dpo/adapter &
bash /root/m/gen8.sh r1r2dpo-run8b $AD --adapter /root/runsb/dpo/adapter &
wait
bash /root/m/gen8.sh r1r2dpo-run8a-scaf $AD --adapter /root/runsa/dpo/adapter --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
bash /root/m/gen8.sh r1r2dpo-run8b-scaf $AD --adapter /root/runsb/dpo/adapter --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/evals.done
bash /root/m/gen8.sh r1r2-run7-ragscaf $AD --contexts /root/m/ctx6/bm25.jsonl --scaffold --benches verilogeval-v2-spec,verilogeval-v1-human,verilogeval-v1-machine,rtllm-v1.1 &
wait
echo done > $O/all.done
