# run 9, lease B: round 2 as run 8 (LoRA r=128, alpha 256, lr 6e-4, packed rows, scaffold_fraction 1.0) on bundle 9
# (run 6's rows + 17,005 new procedural rows from seed 3) for EPOCHS epochs, then its plain, scaffolded and RAG evaluations
. /root/m/env.sh
EPOCHS=${1:-1.46}
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p /root/m/data9 && tar -xzf /root/m/d9/data.tar.gz -C /root/m/data9
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data9/default --out $O/r2f --work /root/runs9f \
    --stages round2 --r1-adapter $A1 --r2-seconds 1500 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=$EPOCHS \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=128 --set round2.lora.alpha=256 > $O/r2f.log 2>&1
mkdir -p $O/adf && tar -C /root/runs9f/round2 -cf /root/m/r2f_adapter.tar adapter && split -b 12M -d /root/m/r2f_adapter.tar $O/adf/r2f.tar.
echo done > $O/r2f.done
AD="--adapter $A1 --adapter /root/runs9f/round2/adapter"
bash /root/m/gen9.sh r1r2-run9f $AD &
bash /root/m/gen9.sh r1r2-run9f-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1
bash /root/m/gen9.sh r1r2-run9f-ragscaf $AD --contexts /root/m/ctx6/bm25.jsonl --scaffold \
    --benches verilogeval-v2-spec,verilogeval-v1-human,verilogeval-v1-machine,rtllm-v1.1 &
wait
echo done > $O/all9b.done
