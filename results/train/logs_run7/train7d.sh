# run 7, lease 2: two LoRA round 2 runs side by side at a higher lr (6e-4): r=24 (one file) and r=64 (four files)
. /root/m/env.sh
for R in 24 64; do
  python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/r2l$R --work /root/runsl$R \
    --stages round2 --r1-adapter $A1 --r2-seconds 900 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=1.6 \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=6 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=$R --set round2.lora.alpha=$((2*R)) > $O/r2l$R.log 2>&1 &
done
wait
echo done > $O/r2l.done
bash /root/m/gen7.sh r1r2-run7l24 --adapter $A1 --adapter /root/runsl24/round2/adapter &
bash /root/m/gen7.sh r1r2-run7l64 --adapter $A1 --adapter /root/runsl64/round2/adapter &
wait
echo done > $O/gen.done
