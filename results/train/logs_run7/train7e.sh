# lease 2: the rank-64 run again, alone (it ran out of GPU memory beside the rank-24 run in train7d.sh, and a
# second time beside the rank-24 evaluation); the time limit was 560 s on the run that finished
. /root/m/env.sh
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
rm -rf /root/runsl64
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/r2l64 --work /root/runsl64 \
    --stages round2 --r1-adapter $A1 --r2-seconds 560 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=1.6 \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=64 --set round2.lora.alpha=128 > $O/r2l64.log 2>&1
echo done > $O/r2l64.done
rm -rf /root/m/work_r1r2-run7l64
bash /root/m/gen7.sh r1r2-run7l64 --adapter $A1 --adapter /root/runsl64/round2/adapter
