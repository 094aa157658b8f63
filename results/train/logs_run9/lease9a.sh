# run 9, lease A: round 2 as run 8 (LoRA r=128, alpha 256, lr 6e-4, packed rows, scaffold_fraction 1.0) for 3.0 epochs
# instead of 2.0, then its plain and scaffolded evaluations side by side
. /root/m/env.sh
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p /root/m/data && tar -xzf /root/m/d6/data.tar.gz -C /root/m/data
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/r2e3 --work /root/runs9 \
    --stages round2 --r1-adapter $A1 --r2-seconds 1500 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=3.0 \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=128 --set round2.lora.alpha=256 > $O/r2e3.log 2>&1
mkdir -p $O/ad && tar -C /root/runs9/round2 -cf /root/m/r2e3_adapter.tar adapter && split -b 12M -d /root/m/r2e3_adapter.tar $O/ad/r2e3.tar.
echo done > $O/r2e3.done
AD="--adapter $A1 --adapter /root/runs9/round2/adapter"
bash /root/m/gen9.sh r1r2-run9e3 $AD &
bash /root/m/gen9.sh r1r2-run9e3-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/all9a.done
