# run 8, lease 2: round 2 as run 7 (lr 6e-4, packed rows, scaffold_fraction 1.0) with LoRA r=128 for 2.0 epochs,
# then its plain and scaffolded evaluations side by side
. /root/m/env.sh
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p /root/m/data && tar -xzf /root/m/d6/data.tar.gz -C /root/m/data
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/r2l128 --work /root/runsl128 \
    --stages round2 --r1-adapter $A1 --r2-seconds 840 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=2.0 \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=128 --set round2.lora.alpha=256 > $O/r2l128.log 2>&1
echo done > $O/r2l128.done
AD="--adapter $A1 --adapter /root/runsl128/round2/adapter"
bash /root/m/gen8.sh r1r2-run8l128 $AD &
bash /root/m/gen8.sh r1r2-run8l128-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/all2.done
