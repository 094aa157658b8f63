# run 7, lease 3: DPO (500 new problems) on the chosen LoRA round 2, plus its scaffold and RAG variants
. /root/m/env.sh
R2=/root/m/a7/r2
AD="--adapter $A1 --adapter $R2"
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data7/default --out $O/dpo --work /root/runs \
  --stages dpo --r1-adapter $A1 --r2-adapter $R2 --dpo-seconds 150 --k 8 --set dpo.max_new_tokens=512 \
  --set dpo.sim_workers=14 --set dpo.scaffold_fraction=0.5 > $O/dpo.log 2>&1 &
sleep 60
bash /root/m/gen7.sh r1r2-run7-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
bash /root/m/gen7.sh r1r2-run7-rag $AD --contexts /root/m/ctx6/bm25.jsonl &
wait
echo done > $O/stage1.done
D=/root/runs/dpo/adapter
bash /root/m/gen7.sh r1r2dpo-run7 $AD --adapter $D &
bash /root/m/gen7.sh r1r2dpo-run7-scaf $AD --adapter $D --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/all.done
